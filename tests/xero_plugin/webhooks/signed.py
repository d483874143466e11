"""Signed Xero webhook deliveries, as Xero sends them, for the webhook tests."""

import json

from xero_plugin.sandbox import webhook_signature

KEY = "test-webhook-key"
EVENT = {"resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
         "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777", "eventDateUtc": "2026-11-21T01:15:39.902",
         "eventType": "UPDATE", "eventCategory": "INVOICE", "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
         "tenantType": "ORGANISATION"}


def post_raw(client, body: bytes, key: str = KEY):
    """POST `body` to the webhook endpoint, signed with `key`."""
    return client.post("/xero/webhooks/", data=body, content_type="application/json",
                       headers={"x-xero-signature": webhook_signature(key, body)})


def post(client, payload, key: str = KEY):
    """POST `payload` as JSON to the webhook endpoint, signed with `key`."""
    return post_raw(client, json.dumps(payload).encode(), key)
