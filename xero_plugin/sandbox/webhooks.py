"""Outgoing Xero-style webhooks (XERO.md section 8), signed with HMAC-SHA256.

Events are queued by the API handlers and delivered by one background thread, so
an API call never waits for the receiver. A non-200 answer is retried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request

from . import wire


def sign(key: str, body: bytes) -> str:
    """``x-xero-signature``: base64(HMAC-SHA256(key as UTF-8, raw body))."""
    return base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def _post(url: str, body: bytes, signature: str, timeout: float = 5.0) -> int:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", "x-xero-signature": signature})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return 0


class WebhookSender:
    """Queues events per tenant and POSTs them to the configured URL."""

    def __init__(self, state, base_url_getter):
        self.state = state
        self._base_url = base_url_getter
        self._queue = queue.Queue()
        self._thread = None
        self._lock = threading.Lock()
        self.deliveries = []            # {"sequence", "status", "attempts", "events"}
        self._idle = threading.Event()
        self._idle.set()

    def publish(self, tenant_id: str, events: list) -> None:
        """Queue (category, resource_id, event_type[, data]) tuples for one tenant, if a URL is configured.
        ``data`` is the CREDITNOTE event's ``{Type, Status}`` [SPEC xero-webhooks.yaml]."""
        with self.state.lock:
            url, key = self.state.webhook.get("url"), self.state.webhook.get("key")
            if not url or not events:
                return
            now = self.state.clock.now()
            out = []
            for category, resource_id, event_type, *rest in events:
                self.state.sequence += 1
                resource = {"INVOICE": "Invoices", "CONTACT": "Contacts",
                            "CREDITNOTE": "CreditNotes"}.get(category, category.title() + "s")
                # resourceUrl points at the sandbox so a receiver that follows it stays local.
                event = {"resourceUrl": "%s/api.xro/2.0/%s/%s" % (self._base_url(), resource, resource_id),
                         "resourceId": resource_id, "eventDateUtc": wire.iso_no_zone(now)[:23],
                         "eventType": event_type, "eventCategory": category, "tenantId": tenant_id,
                         "tenantType": "ORGANISATION", "_sequence": self.state.sequence}
                if rest and rest[0]:
                    event["data"] = dict(rest[0])
                out.append(event)
        self._idle.clear()
        self._queue.put((url, key, out))
        self._ensure_thread()

    def _ensure_thread(self):
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="xero-sandbox-webhooks", daemon=True)
                self._thread.start()

    def _run(self):
        while True:
            try:
                url, key, events = self._queue.get(timeout=1.0)
            except queue.Empty:
                self._idle.set()
                continue
            seqs = [e.pop("_sequence") for e in events]
            payload = {"events": events, "firstEventSequence": seqs[0], "lastEventSequence": seqs[-1],
                       "entropy": secrets.token_hex(10).upper()}
            body = json.dumps(payload).encode()
            attempts, status = 0, 0
            retries = int(self.state.config.get("webhook_retries", 3))
            while attempts <= retries:
                attempts += 1
                status = _post(url, body, sign(key or "", body))
                if status == 200:
                    break
                time.sleep(float(self.state.config.get("webhook_retry_delay", 0.2)))
            with self._lock:
                self.deliveries.append({"sequence": seqs, "status": status, "attempts": attempts,
                                        "events": events, "url": url})
            if self._queue.empty():
                self._idle.set()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been delivered (or given up on)."""
        return self._idle.wait(timeout)

    def clear(self) -> None:
        """Forget past deliveries."""
        with self._lock:
            self.deliveries = []

    def intent_to_receive(self) -> dict:
        """Xero's Intent to Receive: one correctly and one incorrectly signed empty payload.

        The receiver passes if it answers 200 to the first and 401 to the second.
        """
        with self.state.lock:
            url, key = self.state.webhook.get("url"), self.state.webhook.get("key") or ""
        if not url:
            raise ValueError("no webhook URL configured")
        results = []
        for correct in (True, False):
            body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                               "entropy": secrets.token_hex(10).upper()}).encode()
            signature = sign(key, body) if correct else sign(key + "-wrong", body)
            status = _post(url, body, signature)
            results.append({"signed_correctly": correct, "status": status, "expected": 200 if correct else 401})
        return {"ok": all(r["status"] == r["expected"] for r in results), "results": results}
