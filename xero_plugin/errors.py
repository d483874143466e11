"""Xero's errors, classified by what they mean for the supplier (XERO.md sections 6 and 10).

`classify_response(status, body, headers)` is the stable interface; `classify_exception` reads the SDK's
exceptions, urllib3's network errors and the SDK's own token errors. Neither ever raises.

The decision reads the structure of the answer first and Xero's wording last:

1. an OAuth error body (`{"error": "invalid_grant"}`, at any status): `auth_expired`;
2. the status: 401 and 403 `auth_expired`, 429 `rate_limited`, 404 `not_found`, 5xx (but 501) `transient`;
3. a 4xx carrying Xero's ApiException with validation content (`Type` ValidationException, `ErrorNumber` 10,
   or `Elements[*]` with `ValidationErrors` / `Warnings`, nested ones included): a data error, categorised by
   its messages in `classify_messages`. Never `transient`, whatever generic line Xero adds beside them;
4. a 4xx ApiException of another `Type` (PostDataInvalidException, QueryParseException, ...): by the Type;
5. a 4xx with no structure at all: Xero's generic failure wording ("An error occurred in Xero", offline)
   is `transient`; anything else (HTML, empty, other text) is `unknown`.

Within the messages, each one is read for what it is about (a lock date, allocated payments, the invoice's
status, an account or tax code, an item's account, a duplicate number) and the weightiest reading across
all messages wins: deleted, voided, paid, period lock, archived contact, GL account, account/tax, duplicate,
else validation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs
from xml.etree import ElementTree

from integrations_core.errors import ClassifiedError, ErrorCategory
from integrations_core.plugin_api import scrub

NAME = "Xero"

# --- reading one validation message -----------------------------------------------------------------

_LOCK_DATE = re.compile(r"\block(?:ed)?[ -](?:date|period)\b|\b(?:period|year) is locked\b", re.I)
_LOCK_KIND = re.compile(r"\b(period|end of year|end-of-year|financial year|year end)[ -]lock date\b", re.I)
_LOCK_SET_AT = re.compile(r"\bcurrently set (?:at|to)\s+(.+?)[\s.]*$", re.I)
# "Organisation is not subscribed to currency JPY" (Xero's wording, as integrations quote it).
_CURRENCY = re.compile(r"\bnot subscribed to currency\s+([A-Z]{3})\b", re.I)
_CONTACT_ARCHIVED = re.compile(r"\bcontact\b[^.]*?\b(?:is|has been|been)\s+archived\b|\barchived contact\b", re.I)
_ALLOCATED = re.compile(r"\b(?:payments?|credit notes?|prepayments?|overpayments?)\b[^.]*?\ballocated\b"
                        r"|\ballocated\b[^.]*?\b(?:payments?|credit notes?)\b|\bpaid (?:invoice|document|bill)\b",
                        re.I)
_GONE = re.compile(r"\b(?:document|invoice|bill)\b[^.]*?\b(?:has been|have been|is|was|been)\s+(voided|deleted)\b"
                   r"|\b(voided|deleted)\s+(?:documents?|invoices?|bills?)\b", re.I)
_STATUS_CONFLICT = re.compile(r"\bnot of (?:a )?valid status for modification\b"
                              r"|\bcannot be (?:edited|modified|changed)\b", re.I)
_ACCOUNT = re.compile(r"\baccount(?:\s*code|\s*id)?s?\b(?!\s+number)", re.I)
_TAX = re.compile(r"\btax\s*(?:type|rate|code)s?\b", re.I)
_REFUSED = re.compile(r"\bnot (?:a )?valid\b|\binvalid\b|\bmust be valid\b|\barchived\b|\bdeleted\b|\bnot be found\b"
                      r"|\bnot found\b|\bdoes not exist\b|\bcannot be (?:used|applied)\b|\bnot (?:a )?recogni[sz]ed\b"
                      r"|\bmandatory\b|\bmust be specified\b|\bis required\b|\bcannot be empty\b|\bremoved\b", re.I)
_ABSENT = re.compile(r"\bmust be specified\b|\bis required\b|\bmandatory\b|\bcannot be empty\b|\bhas been removed\b",
                     re.I)
_ITEMS = re.compile(r"(?<!line )\bitems?\b", re.I)  # an item's account, not "each line item"
_IDEMPOTENCY = re.compile(r"\bidempotency\b|\bis used with a different request\b", re.I)
_DUPLICATE_NUMBER = re.compile(r"\b(?:invoice|document|credit note)\s*(?:#|number)\s*(?:must be unique|is already"
                               r"|already exists)", re.I)
# Lines that carry no meaning of their own: Xero's summary line and its generic failure sentence.
_SUMMARY = re.compile(r"^\s*a validation exception occurred\W*$", re.I)
_GENERIC_FAILURE = re.compile(r"\ban error occurred in xero\b|^\s*an error occurred\W*$", re.I)
# Xero's outage wording, read only when the answer has no structure (XERO.md 6.5).
_OUTAGE = re.compile(r"\ban error occurred in xero\b|\boffline for maintenance\b|\btemporarily unavailable\b"
                     r"|\btemporarily cannot be connected\b|\borganisation is offline\b", re.I)

# The weightiest reading wins: a state of the remote invoice first, then the books, then the data.
_RANK = ("deleted", "voided", "allocated", "period_locked", "contact_archived", "currency", "missing_gl",
         "account_or_tax",
         "duplicate", "idempotency", "validation")
_CATEGORY = {"deleted": ErrorCategory.DELETED_REMOTELY, "voided": ErrorCategory.VOIDED_REMOTELY,
             "allocated": ErrorCategory.INVOICE_LOCKED, "period_locked": ErrorCategory.PERIOD_LOCKED,
             "contact_archived": ErrorCategory.CONTACT_ARCHIVED, "currency": ErrorCategory.CURRENCY_NOT_ENABLED,
             "missing_gl": ErrorCategory.MISSING_GL_ACCOUNT, "account_or_tax": ErrorCategory.INVALID_ACCOUNT_OR_TAX,
             "duplicate": ErrorCategory.UNKNOWN, "idempotency": ErrorCategory.UNKNOWN,
             "validation": ErrorCategory.VALIDATION}
_BY_REMOTE_STATUS = {"VOIDED": "voided", "DELETED": "deleted", "PAID": "allocated"}

# ApiException Types other than ValidationException (XERO.md 6.1, "Other Type values").
_TYPES = {
    "objectnotfoundexception": ErrorCategory.NOT_FOUND,
    "organisationofflineexception": ErrorCategory.TRANSIENT,
    "systemunavailableexception": ErrorCategory.TRANSIENT,
    "notavailableexception": ErrorCategory.TRANSIENT,
    "internalserverexception": ErrorCategory.TRANSIENT,
    "unknownerrorexception": ErrorCategory.TRANSIENT,
    "ratelimitexceededexception": ErrorCategory.RATE_LIMITED,
    "unauthorisedexception": ErrorCategory.AUTH_EXPIRED,
}
# X-Rate-Limit-Problem values worded for support: the app's limit is not the organisation's (XERO.md 6.4).
_RATE_PROBLEMS = {"appminute": "Xero's app-wide minute limit across all organisations is reached (not this "
                               "organisation's)"}
_OAUTH_DEAD = ("invalid_grant", "invalid_client", "unauthorized_client")


def _read(message: str) -> str:
    """What one validation message is about: one of `_RANK`, or "status" (a refused status change)."""
    if _LOCK_DATE.search(message):
        return "period_locked"
    if _ALLOCATED.search(message):
        return "allocated"
    if _CONTACT_ARCHIVED.search(message):
        return "contact_archived"
    if _CURRENCY.search(message):
        return "currency"
    account, tax = _ACCOUNT.search(message), _TAX.search(message)
    if (account or tax) and _REFUSED.search(message):
        if account and not tax and (_ABSENT.search(message) or _ITEMS.search(message)):
            return "missing_gl"
        return "account_or_tax"
    gone = _GONE.search(message)
    if gone:
        return (gone.group(1) or gone.group(2)).lower()
    if _STATUS_CONFLICT.search(message):
        return "status"
    if _IDEMPOTENCY.search(message):
        return "idempotency"
    if _DUPLICATE_NUMBER.search(message):
        return "duplicate"
    return "validation"


def _clean(message) -> str:
    return " ".join(str(message).split()).rstrip(" .")


def _lock_detail(message: str) -> str:
    """'The document date cannot be before the period lock date, currently set at 31/10/2026.' ->
    'the period lock date is currently set at 31/10/2026' (support sees the date Xero holds)."""
    kind, set_at = _LOCK_KIND.search(message), _LOCK_SET_AT.search(message)
    if not set_at:
        return _clean(message)
    name = f"{kind.group(1).lower().replace('-', ' ')} lock date" if kind else "lock date"
    return f"the {name} is currently set at {set_at.group(1).strip()}"


# --- the element an error is about -------------------------------------------------------------------


def _field(element, pascal: str, snake: str):
    if isinstance(element, Mapping):
        return element.get(pascal, element.get(snake))
    return getattr(element, snake, None)


def _number(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0)


def _has_allocations(element) -> bool:
    """The echoed invoice shows money against it (payments, credit notes, a PAID status)."""
    if element is None:
        return False
    status = _field(element, "Status", "status")
    if str(getattr(status, "value", status) or "").upper() == "PAID":
        return True
    if any(_number(_field(element, p, s)) > 0 for p, s in (("AmountPaid", "amount_paid"),
                                                            ("AmountCredited", "amount_credited"))):
        return True
    return any(_field(element, p, s) for p, s in (("Payments", "payments"), ("CreditNotes", "credit_notes"),
                                                  ("Prepayments", "prepayments"), ("Overpayments", "overpayments")))


def _element_messages(element, depth: int = 0) -> tuple[list[str], list[str]]:
    """(errors, warnings) of one element, nested objects included (Contact.ValidationErrors), de-duplicated."""
    errors: list[str] = []
    warnings: list[str] = []
    if depth > 6:
        return errors, warnings
    items = element.items() if isinstance(element, Mapping) else enumerate(element) if isinstance(element, list) else ()
    for key, value in items:
        if key in ("ValidationErrors", "Warnings") and isinstance(value, list):
            found = errors if key == "ValidationErrors" else warnings
            found.extend(_message_text(v["Message"]) for v in value if isinstance(v, Mapping) and v.get("Message"))
        elif isinstance(value, (Mapping, list)):
            inner_errors, inner_warnings = _element_messages(value, depth + 1)
            errors.extend(inner_errors)
            warnings.extend(inner_warnings)
    return list(dict.fromkeys(errors)), list(dict.fromkeys(warnings))


def _message_text(value) -> str:
    return " ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def validation_messages(data) -> list[tuple[int | None, str]]:
    """Every (element index, message) in a Xero ValidationException body: errors and warnings."""
    found: list[tuple[int | None, str]] = []
    if not isinstance(data, Mapping):
        return found
    for index, element in enumerate(data.get("Elements") or []):
        if isinstance(element, Mapping):
            errors, warnings = _element_messages(element)
            found.extend((index, m) for m in errors + warnings)
    if not found and data.get("Message"):
        found.append((None, str(data["Message"])))
    return found


# --- classifying messages ----------------------------------------------------------------------------


def classify_messages(messages: list[str], *, status: int | None = 400, raw: str = "", request_id: str = "",
                      warnings: Iterable[str] = (), element=None, remote_status: str | None = None) -> ClassifiedError:
    """Classify Xero's validation messages (from a 400 or one element of a summarizeErrors=false batch).

    `element` is the invoice Xero echoed with them (a dict or the SDK's model): money allocated to it tells a
    paid invoice's refused change from another. `remote_status` is the invoice's status in Xero when the
    caller knows it (read back): VOIDED / DELETED / PAID decide "Invoice not of valid status for modification",
    which Xero words the same for all three.
    """
    pairs = [(str(m), element) for m in messages or () if m]
    return _classify(pairs, [str(w) for w in warnings or () if w], status=status, raw=raw, request_id=request_id,
                     remote_status=remote_status)


def status_decides(messages: Iterable[str]) -> bool:
    """Whether these messages are a refused status change that only the invoice's status in Xero explains
    ("Invoice not of valid status for modification" is Xero's wording for voided, deleted and paid alike)."""
    return any(_read(str(m)) == "status" for m in messages or () if m)


def _classify(errors: list[tuple[str, object]], warnings: list[str], *, status, raw, request_id,
              remote_status) -> ClassifiedError:
    common = {"http_status": status, "request_id": request_id,
              "raw": scrub(raw or " | ".join([m for m, _ in errors] + warnings))}
    meaningful = [(m, e) for m, e in errors if not _SUMMARY.search(m) and not _GENERIC_FAILURE.search(m)]
    readings = [(_resolve(_read(m), e, remote_status), m) for m, e in meaningful]
    if not readings:  # only a warning names the cause (a DRAFT saved without its GL account, say)
        readings = [(r, w) for r, w in ((_read(w), w) for w in warnings) if r in ("missing_gl", "account_or_tax")]
    if not readings:
        generic = [m for m, _ in errors if _GENERIC_FAILURE.search(m)]
        return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, detail=_join(generic), **common)
    top = min((r for r, _ in readings), key=_RANK.index)
    category = _CATEGORY[top]
    chosen = [m for r, m in readings if r == top]
    if top == "period_locked":
        detail = _join(_lock_detail(m) for m in chosen)
    elif top == "currency":  # as the pre-flight says it
        detail = _join(f"{_CURRENCY.search(m).group(1).upper()} is not one of the organisation's currencies in Xero"
                       for m in chosen)
    elif top in ("deleted", "voided", "allocated"):
        detail = ""  # the seed's words say it all
    elif top == "validation":
        detail = _join(m for _, m in readings)
    else:
        detail = _join(chosen)
    return ClassifiedError.of(category, NAME, detail=detail, **common)


def _resolve(reading: str, element, remote_status: str | None) -> str:
    """A refused status change means what the invoice's state in Xero is; without knowing it, plain validation."""
    if reading != "status":
        return reading
    known = _BY_REMOTE_STATUS.get(str(remote_status or "").upper())
    if known:
        return known
    return "allocated" if _has_allocations(element) else "validation"


def _join(messages: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(_clean(m) for m in messages if _clean(m)))[:500]


# --- reading a response ------------------------------------------------------------------------------


def _text(body) -> str:
    if body is None:
        return ""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body).decode("utf-8", errors="replace")
    if isinstance(body, (dict, list)):
        return json.dumps(body, default=str)
    return str(body)


def _json(text: str):
    try:
        return json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None


def _xml(text: str):
    """Xero's XML ApiException (older answers, XERO.md 6.1 and 6.5) as the JSON shape, else None."""
    stripped = text.lstrip()
    if not stripped.startswith("<") or "ApiException" not in stripped[:2000] or len(stripped) > 2_000_000:
        return None
    try:
        root = ElementTree.fromstring(stripped)
    except (ElementTree.ParseError, ValueError):
        return None
    tag = lambda node: str(node.tag).rsplit("}", 1)[-1]  # noqa: E731
    if tag(root) != "ApiException":
        return None
    data = {tag(child): (child.text or "").strip() for child in root if tag(child) in ("ErrorNumber", "Type", "Message")}
    elements = []
    for container in (node for node in root.iter() if tag(node) == "Elements"):
        for item in container:
            found = {"ValidationError": [], "Warning": []}
            for node in item.iter():
                if tag(node) in found:
                    found[tag(node)].extend((m.text or "").strip() for m in node if tag(m) == "Message")
            elements.append({"ValidationErrors": [{"Message": m} for m in dict.fromkeys(found["ValidationError"]) if m],
                             "Warnings": [{"Message": m} for m in dict.fromkeys(found["Warning"]) if m]})
    if elements:
        data["Elements"] = elements
    return data


def _get(data, key: str):
    """A key of a JSON object, in Xero's PascalCase or the older lower-case problem JSON."""
    if not isinstance(data, Mapping):
        return None
    return data.get(key, data.get(key.lower()))


def _header(headers, name: str) -> str:
    if not headers:
        return ""
    if isinstance(headers, Mapping):
        for key, value in headers.items():
            if str(key).lower() == name.lower():
                return str(value)
        return ""
    getter = getattr(headers, "get", None)
    return str(getter(name) or "") if getter else ""


def _status_code(status) -> int | None:
    try:
        return int(status) if status is not None and not isinstance(status, bool) else None
    except (TypeError, ValueError):
        return None


def _failing(data, status: int | None) -> list[tuple[Mapping, list[str], list[str]]]:
    """The elements that carry messages: a 400's `Elements`, or a 2xx batch's invoices in ERROR."""
    if not isinstance(data, Mapping):
        return []
    if isinstance(data.get("Elements"), list):
        candidates = data["Elements"]
    elif status is not None and 200 <= status < 300:
        candidates = [item for value in data.values() if isinstance(value, list) for item in value
                      if isinstance(item, Mapping) and (item.get("HasErrors") is True
                                                        or item.get("StatusAttributeString") == "ERROR")]
    else:
        return []
    out = []
    for element in candidates:
        if isinstance(element, Mapping):
            errors, warnings = _element_messages(element)
            if errors or warnings:
                out.append((element, errors, warnings))
    return out


def _is_validation(data, failing) -> bool:
    if failing:
        return True
    return isinstance(data, Mapping) and (str(data.get("Type") or "") == "ValidationException"
                                          or str(data.get("ErrorNumber") or "") == "10")


def classify_response(status: int | None, body, headers=None, *, remote_status: str | None = None) -> ClassifiedError:
    """Classify one Xero HTTP response (status, raw body, headers) into the seed's categories. Never raises.

    `remote_status`, when the caller knows the invoice's status in Xero, is passed to `classify_messages`.
    """
    try:
        return _classify_response(status, body, headers, remote_status)
    except Exception as exc:  # a classifier must not fail the failure path
        return ClassifiedError.of(ErrorCategory.UNKNOWN, NAME, http_status=_status_code(status),
                                  raw=scrub(f"{exc!r}"))


def _classify_response(status, body, headers, remote_status) -> ClassifiedError:
    code = _status_code(status)
    text = _text(body)
    data = _json(text)
    if data is None:
        data = _xml(text)
    request_id = _header(headers, "Xero-Correlation-Id")
    common = {"http_status": code, "raw": scrub(text), "request_id": request_id}
    of = lambda category, **kw: ClassifiedError.of(category, NAME, **common, **kw)  # noqa: E731

    oauth_error = str(data.get("error") or "") if isinstance(data, Mapping) else ""
    if oauth_error in _OAUTH_DEAD:
        return of(ErrorCategory.AUTH_EXPIRED, detail=f"Xero answered {oauth_error}")
    if code == 401:
        return of(ErrorCategory.AUTH_EXPIRED, detail=_why_unauthorised(data, text))
    if code == 403:
        return of(ErrorCategory.AUTH_EXPIRED, detail="the organisation is no longer connected to this app")
    if code == 429 or _legacy_rate_limit(text):
        problem = _header(headers, "X-Rate-Limit-Problem").strip().lower()
        return of(ErrorCategory.RATE_LIMITED, detail=_RATE_PROBLEMS.get(problem, f"Xero's {problem} limit"
                                                                         if problem else ""),
                  retry_after=_retry_after(_header(headers, "Retry-After")))
    if code == 404:
        return of(ErrorCategory.NOT_FOUND)
    if code is not None and code >= 500:
        return of(ErrorCategory.UNKNOWN if code == 501 else ErrorCategory.TRANSIENT)
    if code is None or code < 400:
        failing = _failing(data, code)
        if not failing:
            return of(ErrorCategory.UNKNOWN)
        return _from_elements(failing, code, text, request_id, remote_status)
    failing = _failing(data, code)
    if _is_validation(data, failing):
        if failing:
            return _from_elements(failing, code, text, request_id, remote_status)
        return classify_messages([str(data.get("Message") or "")], status=code, raw=text, request_id=request_id,
                                 remote_status=remote_status)
    if oauth_error:  # another OAuth error (unsupported_grant_type, invalid_request): our own bug
        return of(ErrorCategory.UNKNOWN, detail=f"Xero answered {oauth_error}")
    kind = str(_get(data, "Type") or "")
    if kind:  # PostDataInvalidException, QueryParseException (XERO.md row 19), or a Type of 6.1's list
        category = _TYPES.get(kind.lower(), ErrorCategory.UNKNOWN)
        if category == ErrorCategory.RATE_LIMITED:
            return of(category, retry_after=_retry_after(_header(headers, "Retry-After")))
        named = category in (ErrorCategory.UNKNOWN, ErrorCategory.NOT_FOUND)
        return of(category, detail=_join([str(_get(data, "Message") or _get(data, "Detail") or "")]) if named else "")
    if _OUTAGE.search(text):
        return of(ErrorCategory.TRANSIENT)  # Xero's generic failure, no validation in it (XERO.md 6.5)
    return of(ErrorCategory.UNKNOWN)


def _from_elements(failing, code, text, request_id, remote_status) -> ClassifiedError:
    errors = [(m, element) for element, element_errors, _ in failing for m in element_errors]
    warnings = [w for _, _, element_warnings in failing for w in element_warnings]
    return _classify(errors, warnings, status=code, raw=text, request_id=request_id, remote_status=remote_status)


def _why_unauthorised(data, text: str) -> str:
    detail = str(_get(data, "Detail") or "")
    if detail.startswith("TokenExpired"):
        return "the access token expired"
    if "AuthorizationUnsuccessful" in text:
        return "the app lacks a permission (scope) it needs"
    return "Xero no longer accepts the app's token (revoked or disconnected)"


def _legacy_rate_limit(text: str) -> bool:
    """The OAuth 1 era's 503 body: oauth_problem=rate%20limit%20exceeded (XERO.md 6.4)."""
    if not text.startswith("oauth_problem="):
        return False
    return "rate limit" in " ".join(parse_qs(text).get("oauth_problem", [])).lower()


def _retry_after(value: str) -> float:
    try:
        return max(1.0, float(value))
    except (TypeError, ValueError):
        return 60.0


# --- exceptions --------------------------------------------------------------------------------------

_TIMEOUTS = ("MaxRetryError", "NewConnectionError", "ReadTimeoutError", "ConnectTimeoutError", "ProtocolError",
             "ConnectionError", "TimeoutError", "RemoteDisconnected", "ConnectionResetError", "Timeout")


def classify_failure(error: BaseException) -> ClassifiedError:
    """A push failure as a ClassifiedError: the one a PushError carries, else `classify_exception`'s."""
    from integrations_core.errors import PushError

    return error.classified if isinstance(error, PushError) else classify_exception(error)


def classify_exception(error: BaseException, *, remote_status: str | None = None) -> ClassifiedError:
    """Classify whatever a Xero call raised (SDK exception, network error, token error). Never raises.

    The SDK's status and reason can raise on a non-JSON 400 (XERO.md 9.3), so the raw response is read.
    """
    try:
        http_resp = getattr(error, "http_resp", None)
        if http_resp is not None:
            status = getattr(http_resp, "status", None)
            body = getattr(http_resp, "data", None) or getattr(error, "body", None) or b""
            headers = _headers_of(error, http_resp)
            return classify_response(status, body, headers, remote_status=remote_status)
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


def _headers_of(error, http_resp):
    try:
        return getattr(error, "headers", None) or http_resp.getheaders() or {}
    except Exception:
        return {}
