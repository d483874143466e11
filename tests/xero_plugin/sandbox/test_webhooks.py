"""Outgoing webhooks: Xero-shaped events signed with the webhook key, retries on a
non-200, and the Intent to Receive sequence."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from xero_plugin.sandbox import TENANT_NZ

from .helpers import batch, invoice


class Receiver:
    """A tiny webhook endpoint: 200 for a valid signature, 401 otherwise; can fail the first N."""

    def __init__(self, key, fail_first=0, always_ok=False):
        self.key, self.fail_first, self.always_ok = key, fail_first, always_ok
        self.received = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = base64.b64encode(hmac.new(outer.key.encode(), body, hashlib.sha256).digest()).decode()
                valid = hmac.compare_digest(expected, self.headers.get("x-xero-signature", ""))
                outer.received.append((json.loads(body), valid))
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    status = 500
                else:
                    status = 200 if (valid or outer.always_ok) else 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = "http://127.0.0.1:%d/webhooks/xero" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(xero_sandbox):
    made = []

    def make(**kwargs):
        r = Receiver(xero_sandbox.webhook_key, **kwargs)
        xero_sandbox.control.set_webhook(r.url)
        made.append(r)
        return r
    yield make
    xero_sandbox.control.set_webhook(None)
    for r in made:
        r.close()


def test_invoice_events_are_signed(xero_sandbox, xero_api, receiver):
    rx = receiver()
    created = xero_api.accounting.create_invoices(TENANT_NZ, batch(invoice("W-1"))).invoices[0]
    xero_sandbox.control.mark_invoice(TENANT_NZ, "W-1", "PAID")
    deliveries = xero_sandbox.control.webhook_deliveries()
    events = [e for d in deliveries for e in d["events"]]
    assert [(e["eventType"], e["eventCategory"]) for e in events] == [("CREATE", "INVOICE"), ("UPDATE", "INVOICE")]
    assert all(e["resourceId"] == created.invoice_id and e["tenantId"] == TENANT_NZ for e in events)
    assert events[0]["resourceUrl"].endswith("/api.xro/2.0/Invoices/" + created.invoice_id)
    assert all(valid for _, valid in rx.received)
    payload = rx.received[0][0]
    assert set(payload) == {"events", "firstEventSequence", "lastEventSequence", "entropy"}
    assert payload["firstEventSequence"] >= 1


def test_webhook_retried_on_non_200(xero_sandbox, xero_api, receiver):
    rx = receiver(fail_first=2)
    xero_api.accounting.create_invoices(TENANT_NZ, batch(invoice("W-2")))
    [delivery] = xero_sandbox.control.webhook_deliveries()
    assert delivery["status"] == 200 and delivery["attempts"] == 3
    assert len(rx.received) == 3


def test_intent_to_receive(xero_sandbox, receiver):
    rx = receiver()
    result = xero_sandbox.control.intent_to_receive()
    assert result["ok"] is True
    assert [r["status"] for r in result["results"]] == [200, 401]
    assert rx.received[0][0]["events"] == [] and rx.received[0][0]["firstEventSequence"] == 0
    lax = receiver(always_ok=True)
    assert xero_sandbox.control.intent_to_receive()["ok"] is False
    assert len(lax.received) == 2
