"""Fault injection: the next N matching calls misbehave in a chosen way.

Kinds:

* ``timeout``               the server sleeps ``delay`` real seconds, then drops the connection
                            without answering; nothing is committed.
* ``timeout_after_commit``  the call is processed (committed), then the response is held back
                            ``delay`` seconds (past the client's read timeout).
* ``drop_after_commit``     the call is processed, then the connection is closed with no response.
* ``drop``                  the connection is closed at once with no response; nothing is committed.
* ``500`` / ``503``         Xero's 500 JSON / 503 text bodies; nothing is committed (``variant`` picks the
                            503 text; ``retry_after`` adds a ``Retry-After`` header to it).
* ``429``                   a rate-limit refusal (``X-Rate-Limit-Problem: minute`` unless ``problem`` given).
* ``slow``                  processed normally but only after ``delay`` seconds, holding a
                            concurrency slot (for testing the 5-at-once limit).
* ``401_expired``           Xero's TokenExpired 401 problem body.
"""

from __future__ import annotations

import threading

from .messages import Response, correlation_id, json_response, problem, text_response

KINDS = ("timeout", "timeout_after_commit", "drop_after_commit", "drop", "500", "503", "429", "slow",
         "401_expired")
BEFORE = ("timeout", "drop", "500", "503", "429", "401_expired")
AFTER = ("timeout_after_commit", "drop_after_commit")

MESSAGE_500 = ("An error occurred in Xero. Check the API Status page http://status.developer.xero.com "
               "for current service status.")
MESSAGES_503 = {"maintenance": "The Xero API is currently offline for maintenance",
                "unavailable": "The Xero API is temporarily unavailable",
                "offline": "The organisation temporarily cannot be connected to"}


class FaultInjector:
    """A list of armed faults, consumed first-match-first."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []

    def add(self, kind: str, count: int = 1, path=None, method=None, tenant_id=None, delay=None, **extra) -> dict:
        """Arm a fault for the next ``count`` matching calls."""
        if kind not in KINDS:
            raise ValueError("unknown fault kind %r; expected one of %s" % (kind, ", ".join(KINDS)))
        rule = {"kind": kind, "remaining": int(count), "path": path.lower() if path else None,
                "method": method.upper() if method else None,
                "tenant_id": tenant_id.lower() if tenant_id else None, "delay": delay, **extra}
        with self._lock:
            self._rules.append(rule)
        return dict(rule)

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._rules.clear()

    def pending(self) -> list:
        """Armed faults (copies)."""
        with self._lock:
            return [dict(r) for r in self._rules]

    def take(self, method: str, path: str, tenant_id: str | None):
        """Consume and return the first fault matching this call, or None.

        ``path`` matches when it is a case-insensitive substring of the request path,
        so "/Invoices" hits PUT /api.xro/2.0/Invoices and GET /api.xro/2.0/Invoices/INV-1.
        """
        if not self._rules:
            return None
        low = path.lower()
        tid = (tenant_id or "").lower()
        with self._lock:
            for rule in self._rules:
                if ((rule["method"] is None or rule["method"] == method)
                        and (rule["path"] is None or rule["path"] in low)
                        and (rule["tenant_id"] is None or rule["tenant_id"] == tid)):
                    rule["remaining"] -= 1
                    if rule["remaining"] <= 0:
                        self._rules.remove(rule)
                    return dict(rule)
        return None


def before_response(fault: dict, default_delay: float) -> Response:
    """The response (or drop) for a fault that pre-empts processing."""
    kind = fault["kind"]
    if kind == "timeout":
        resp = Response(504)
        resp.action, resp.delay = "drop", fault.get("delay") or default_delay
        return resp
    if kind == "drop":
        resp = Response(504)
        resp.action = "drop"
        return resp
    if kind == "500":
        instance = correlation_id()
        return json_response(500, {"Title": "An error occurred", "Detail": MESSAGE_500, "Status": 500,
                                   "Instance": instance}, [("Xero-Correlation-Id", instance)])
    if kind == "503":
        headers = [("Retry-After", str(fault["retry_after"]))] if fault.get("retry_after") else None
        return text_response(503, MESSAGES_503.get(fault.get("variant") or "unavailable", MESSAGES_503["unavailable"]),
                             headers=headers)
    if kind == "429":
        which = fault.get("problem") or "minute"
        headers = [("X-Rate-Limit-Problem", which)]
        if which != "concurrent":
            headers.append(("Retry-After", str(fault.get("retry_after") or 1)))
        return text_response(429, "Rate limit exceeded", headers=headers)
    if kind == "401_expired":
        return problem(401, "Unauthorized", "TokenExpired: token expired at 01/01/2024 00:00:00")
    raise ValueError(kind)


def after_commit(fault: dict, resp: Response, default_delay: float) -> Response:
    """Hold back or drop a response that has already been committed."""
    if fault["kind"] == "timeout_after_commit":
        resp.delay = fault.get("delay") or default_delay
    elif fault["kind"] == "drop_after_commit":
        resp.action = "drop"
    return resp
