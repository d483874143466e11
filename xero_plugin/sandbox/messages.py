"""Tiny request/response types shared by the HTTP plumbing and the handlers."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from . import wire

JSON_TYPE = "application/json; charset=utf-8"


class Request:
    """One parsed HTTP request. ``headers`` keys are lower-case."""

    __slots__ = ("method", "path", "query", "headers", "body", "raw_query")

    def __init__(self, method: str, target: str, headers: dict, body: bytes = b""):
        self.method = method.upper()
        self.path, _, self.raw_query = target.partition("?")
        self.query = dict(parse_qsl(self.raw_query, keep_blank_values=True))
        self.headers = headers
        self.body = body

    def header(self, name: str, default=None):
        """A request header, case-insensitively."""
        return self.headers.get(name.lower(), default)

    def json(self):
        """The body parsed as JSON (floats as Decimal); ValueError if it is not JSON."""
        return wire.loads(self.body or b"null")

    def form(self) -> dict:
        """The body parsed as ``application/x-www-form-urlencoded``."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


class Response:
    """A complete response; ``action`` "drop" closes the socket without answering.

    ``delay`` (real seconds) is slept before the response is written (or dropped); ``on_done`` callbacks
    run once it has been written or dropped (e.g. to free a concurrency slot).
    """

    __slots__ = ("status", "headers", "body", "action", "delay", "on_done")

    def __init__(self, status: int = 200, body: bytes = b"", headers=None, content_type=None):
        self.status = status
        self.body = body
        self.headers = list(headers or ())
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self.action = None
        self.delay = 0.0
        self.on_done = []

    def done(self) -> None:
        """Run (and forget) the ``on_done`` callbacks."""
        callbacks, self.on_done = self.on_done, []
        for callback in callbacks:
            callback()

    def set_header(self, name: str, value) -> None:
        """Replace any header of that name."""
        low = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != low]
        self.headers.append((name, str(value)))

    def get_header(self, name: str):
        """The first header of that name, or None."""
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None


def json_response(status: int, obj, headers=None) -> Response:
    """JSON body with Xero's content type."""
    return Response(status, wire.dumps(obj), headers, JSON_TYPE)


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8", headers=None) -> Response:
    """A plain text (or HTML) body."""
    return Response(status, text.encode(), headers, content_type)


def correlation_id() -> str:
    """A fresh Xero-Correlation-Id / problem Instance."""
    return str(uuid.uuid4())


def problem(status: int, title: str, detail: str, headers=None) -> Response:
    """Xero's RFC 7807-ish problem JSON (401/403)."""
    instance = correlation_id()
    body = {"Type": None, "Title": title, "Status": status, "Detail": detail,
            "Instance": instance, "Extensions": {}}
    resp = json_response(status, body, headers)
    resp.headers.append(("Xero-Correlation-Id", instance))
    return resp


NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


def not_found() -> Response:
    """Xero's 404 (text/html, verified live per pyxero)."""
    return text_response(404, NOT_FOUND_TEXT, "text/html; charset=utf-8")
