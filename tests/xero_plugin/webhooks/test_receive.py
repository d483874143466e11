"""Xero webhooks in: signature over the raw body, intent to receive, each event acted on once."""

import json

import pytest

from integrations_core.models import RemoteEvent
from xero_plugin.webhooks import signature_is_valid
from xero_plugin.sandbox import webhook_signature

KEY = "test-webhook-key"
EVENT = {"resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
         "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777", "eventDateUtc": "2026-11-21T01:15:39.902",
         "eventType": "UPDATE", "eventCategory": "INVOICE", "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
         "tenantType": "ORGANISATION"}


@pytest.fixture(autouse=True)
def _key(settings):
    settings.XERO_WEBHOOK_KEY = KEY


def _post(client, payload: dict, key: str = KEY):
    body = json.dumps(payload).encode()
    return client.post("/xero/webhooks/", data=body, content_type="application/json",
                       headers={"x-xero-signature": webhook_signature(key, body)})


def test_webhook_signature_is_hmac_sha256_of_the_raw_body():
    body = b'{"events":[]}'
    assert signature_is_valid(body, webhook_signature(KEY, body), KEY)
    assert not signature_is_valid(body + b" ", webhook_signature(KEY, body), KEY)
    assert not signature_is_valid(body, webhook_signature("other", body), KEY)
    assert not signature_is_valid(body, "", KEY)


@pytest.mark.django_db
def test_webhook_intent_to_receive_200_when_signed_401_when_not(client):
    payload = {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "ABCDEF"}
    good = _post(client, payload)
    assert good.status_code == 200 and good.content == b"" and not good.cookies
    assert _post(client, payload, key="wrong-key").status_code == 401


@pytest.mark.django_db
def test_webhook_with_a_bad_signature_is_401_and_changes_nothing(client):
    response = _post(client, {"events": [EVENT]}, key="forged")
    assert response.status_code == 401 and response.content == b""
    assert RemoteEvent.objects.count() == 0


@pytest.mark.django_db
def test_webhook_replayed_event_is_recorded_once(client):
    payload = {"events": [EVENT], "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "x"}
    assert _post(client, payload).status_code == 200
    assert _post(client, payload).status_code == 200
    [event] = RemoteEvent.objects.all()
    assert (event.provider, event.event_type, event.resource_id) == ("xero", "UPDATE", EVENT["resourceId"])
    assert event.occurred_at.isoformat().startswith("2026-11-21T01:15:39")
