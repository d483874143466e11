"""Xero's errors, classified by what they mean for the supplier (XERO.md section 10, first match wins).

`classify_response(status, body, headers)` is the stable interface; `classify_exception` reads the SDK's
exceptions, urllib3's network errors and the SDK's own token errors. Neither ever raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from integrations_core.errors import ClassifiedError, ErrorCategory
from integrations_core.scrub import scrub

NAME = "Xero"

_LOCKED = ("invoice not of valid status for modification", "cannot be edited as it has a payment",
           "because it has payments or credit notes allocated", "locked period", "lock date")
_ACCOUNT_OR_TAX = ("is not a valid code for this document", "has been archived, or has been deleted",
                   "account must be valid", "account could not be found", "does not exist or cannot be used",
                   "cannot be used with account code", "tax rate must be valid", "the taxtype field is mandatory")
_MISSING_ACCOUNT = ("account code must be specified", "has been removed as it does not match a recognised account")
_OFFLINE = ("offline for maintenance", "temporarily unavailable", "organisation is offline",
            "temporarily cannot be connected to", "an error occurred in xero")


def _text(body) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    if isinstance(body, (dict, list)):
        return json.dumps(body)
    return str(body)


def _json(text: str):
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return None


def _header(headers, name: str) -> str:
    if not headers:
        return ""
    if isinstance(headers, Mapping):
        for key, value in headers.items():
            if key.lower() == name.lower():
                return str(value)
        return ""
    getter = getattr(headers, "get", None)
    return str(getter(name) or "") if getter else ""


def validation_messages(data) -> list[tuple[int | None, str]]:
    """Every (element index, message) in a Xero ValidationException body: errors and warnings."""
    found: list[tuple[int | None, str]] = []
    if not isinstance(data, dict):
        return found
    for index, element in enumerate(data.get("Elements") or []):
        if not isinstance(element, dict):
            continue
        for key in ("ValidationErrors", "Warnings"):
            for item in element.get(key) or []:
                if isinstance(item, dict) and item.get("Message"):
                    found.append((index, str(item["Message"])))
    if not found and data.get("Message"):
        found.append((None, str(data["Message"])))
    return found


def classify_messages(messages: list[str], *, status: int | None = 400, raw: str = "",
                      request_id: str = "") -> ClassifiedError:
    """Classify Xero's validation messages (from a 400 or one element of a summarizeErrors=false batch)."""
    joined = " | ".join(messages)
    lowered = joined.lower()
    common = {"http_status": status, "raw": scrub(raw or joined), "request_id": request_id}
    if any(m in lowered for m in _LOCKED):
        return ClassifiedError.of(ErrorCategory.INVOICE_LOCKED, NAME, **common)
    if any(m in lowered for m in _MISSING_ACCOUNT):
        return ClassifiedError.of(ErrorCategory.MISSING_GL_ACCOUNT, NAME, detail=_naming(messages, _MISSING_ACCOUNT),
                                  **common)
    if any(m in lowered for m in _ACCOUNT_OR_TAX):
        return ClassifiedError.of(ErrorCategory.INVALID_ACCOUNT_OR_TAX, NAME,
                                  detail=_naming(messages, _ACCOUNT_OR_TAX), **common)
    if "is used with a different request" in lowered or "must be unique" in lowered:
        return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, detail=joined[:300], **common)
    if messages:
        return ClassifiedError.of(ErrorCategory.VALIDATION, NAME, message=f"{NAME} rejected the invoice: {joined[:500]}",
                                  **common)
    return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, **common)


def _naming(messages: list[str], markers: tuple[str, ...]) -> str:
    """Xero's own sentence naming the code, e.g. "Account code '260' has been archived, or has been deleted"."""
    for message in messages:
        if any(m in message.lower() for m in markers):
            return message.rstrip(".")
    return messages[0] if messages else ""


def classify_response(status: int | None, body, headers=None) -> ClassifiedError:
    """Classify one Xero HTTP response (status, raw body, headers) into the seed's categories. Never raises."""
    try:
        return _classify_response(status, body, headers)
    except Exception as exc:  # a classifier must not fail the failure path
        return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, http_status=status, raw=scrub(f"{exc!r}"))


def _classify_response(status, body, headers) -> ClassifiedError:
    text = _text(body)
    data = _json(text)
    lowered = text.lower()
    request_id = _header(headers, "Xero-Correlation-Id")
    common = {"http_status": status, "raw": scrub(text), "request_id": request_id}
    if isinstance(data, dict) and str(data.get("error", "")) in ("invalid_grant", "invalid_client", "unauthorized_client"):
        return ClassifiedError.of(ErrorCategory.AUTH_EXPIRED, NAME, detail=f"Xero answered {data['error']}", **common)
    if status == 401:
        detail = str((data or {}).get("Detail", "") if isinstance(data, dict) else "")
        if detail.startswith("TokenExpired"):
            why = "the access token expired"
        elif "AuthorizationUnsuccessful" in text:
            why = "the app lacks a permission (scope) it needs"
        else:
            why = "Xero no longer accepts the app's token (revoked or disconnected)"
        return ClassifiedError.of(ErrorCategory.AUTH_EXPIRED, NAME, detail=why, **common)
    if status == 403:
        return ClassifiedError.of(ErrorCategory.AUTH_EXPIRED, NAME,
                                  detail="the organisation is no longer connected to this app", **common)
    if status == 429:
        retry_after = _retry_after(_header(headers, "Retry-After"))
        problem = _header(headers, "X-Rate-Limit-Problem").lower()
        detail = f"Xero's {problem} limit" if problem else ""
        return ClassifiedError.of(ErrorCategory.RATE_LIMITED, NAME, detail=detail, retry_after=retry_after, **common)
    if status == 404:
        return ClassifiedError.of(ErrorCategory.NOT_FOUND, NAME, **common)
    if status in (500, 502, 503, 504) or any(m in lowered for m in _OFFLINE):
        return ClassifiedError.of(ErrorCategory.TRANSIENT, NAME, **common)
    if status == 400:
        messages = [m for _, m in validation_messages(data)]
        return classify_messages(messages, status=status, raw=text, request_id=request_id)
    return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, **common)


def _retry_after(value: str) -> float:
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return 60.0


_TIMEOUTS = ("MaxRetryError", "NewConnectionError", "ReadTimeoutError", "ConnectTimeoutError", "ProtocolError",
             "ConnectionError", "TimeoutError", "RemoteDisconnected", "ConnectionResetError", "Timeout")


def classify_failure(error: BaseException) -> ClassifiedError:
    """A push failure as a ClassifiedError: the one a PushError carries, else `classify_exception`'s."""
    from integrations_core.errors import PushError

    return error.classified if isinstance(error, PushError) else classify_exception(error)


def classify_exception(error: BaseException) -> ClassifiedError:
    """Classify whatever a Xero call raised (SDK exception, network error, token error). Never raises."""
    try:
        http_resp = getattr(error, "http_resp", None)
        if http_resp is not None:
            status = getattr(http_resp, "status", None)
            body = getattr(error, "body", None) or getattr(http_resp, "data", b"")
            headers = getattr(error, "headers", None) or {}
            return classify_response(status, body, headers)
        kind = type(error).__name__
        if kind == "AccessTokenExpiredError" or kind.startswith("OAuth2"):
            return ClassifiedError.of(ErrorCategory.AUTH_EXPIRED, NAME, detail="the token could not be refreshed",
                                      raw=scrub(repr(error)))
        if kind in _TIMEOUTS or isinstance(error, (TimeoutError, ConnectionError, OSError)) or re.search(
                r"timed? ?out|connection (aborted|reset|refused)", str(error), re.I):
            return ClassifiedError.of(ErrorCategory.TRANSIENT, NAME, raw=scrub(repr(error)))
        return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, raw=scrub(repr(error)))
    except Exception as exc:
        return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, raw=scrub(repr(exc)))
