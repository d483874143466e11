"""Tiny request/response types shared by the HTTP plumbing and the handlers, and Xero's validation messages."""

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


# -- Xero's validation messages for contacts, tracking, branding themes, payments, credit notes and
# attachments. The source of each is given as in XERO.md: [SPEC] xero_accounting.yaml, [ISSUE]/[3P] a live
# response quoted in public. "# INFERRED" marks wording written in Xero's style where no live message
# was found; an error classifier should not rely on those words.

# Contacts
MSG_CONTACT_NAME_UNIQUE = ("The contact name %s is already assigned to another contact. The contact name must be "
                           "unique across all active contacts.")  # [SPEC L3963, L4211]
# [3P] the same sentence quoted by many integrations' help pages (YourTradebase, Re-Leased, AgriDigital,
# WriteUpp, Payaca): Xero refuses a new or approved invoice or credit note for an archived contact.
MSG_CONTACT_ARCHIVED = ("The contact with the specified contact details has been archived. The contact must be "
                        "un-archived before creating new invoices or credit notes.")
MSG_CONTACT_NOT_FOUND = "Contact could not be found."  # INFERRED
MSG_CONTACT_STATUS = ("Error converting value \"%s\" to type 'Xero.API.Library.DataContracts.ContactStatus'. "
                      "Path '%s'.")  # INFERRED (the PostDataInvalidException shape of XERO.md 6.1)

# Tracking categories and options. [3P] xero-php#386 quotes Xero's "There is no ACTIVE tracking category with
# the name ''" for a contact's SalesTrackingCategories; its use on invoice lines, and the rest, are INFERRED.
MSG_TRACKING_CATEGORY_NAME = "There is no ACTIVE tracking category with the name '%s'"
MSG_TRACKING_CATEGORY_ID = "There is no ACTIVE tracking category with the ID '%s'"  # INFERRED
# INFERRED
MSG_TRACKING_OPTION_NAME = "There is no ACTIVE tracking option with the name '%s' in the tracking category '%s'"
MSG_TRACKING_OPTION_ID = "There is no ACTIVE tracking option with the ID '%s' in the tracking category '%s'"  # INFERRED
MSG_TRACKING_TOO_MANY = "A line item can have a maximum of 2 tracking categories"  # INFERRED ([SPEC] max 2)
MSG_TRACKING_REPEATED = "The tracking category '%s' can only be used once on a line item"  # INFERRED
MSG_TRACKING_ACTIVE_LIMIT = "You can only have 2 active tracking categories"  # INFERRED (Xero allows two)
MSG_UNIQUE_NAME = "Please enter a unique Name."  # [SPEC L157] (Accounts); for tracking names INFERRED

# Branding themes ([ISSUE] xero-php-oauth2#267: an unknown BrandingThemeID prevents the invoice; words unknown)
MSG_BRANDING_THEME = "Branding theme '%s' could not be found."  # INFERRED

# Payments
MSG_PAYMENT_ALREADY_DELETED = "This payment has already been deleted."  # INFERRED
MSG_PAYMENT_DELETE_ONLY = "A payment can only be updated to a Status of DELETED."  # INFERRED
MSG_INVOICE_NOT_FOUND = "Invoice could not be found."  # INFERRED (also used by Payments)

# Credit notes
MSG_CN_NOT_FOUND = "An existing Credit Note with the specified CreditNoteID could not be found"  # [SPEC L5567]
MSG_CN_UNIQUE = "Credit Note # must be unique."  # INFERRED (mirrors "Invoice # must be unique.")
MSG_CN_NOT_VALID_FOR_CREATION = "Credit Note not of valid status for creation"  # INFERRED (mirrors invoices)
MSG_CN_NOT_VALID_FOR_MODIFICATION = "Credit Note not of valid status for modification"  # INFERRED (mirrors invoices)
MSG_CN_TYPE = "Credit Note Type must be ACCRECCREDIT or ACCPAYCREDIT."  # INFERRED
# Allocations. [ISSUE] waynerobinson/xeroizer#320 quotes a live XML answer with the first three (the third is
# cut off after "incorrect invoice t"; its ending is INFERRED).
MSG_ALLOC_PAID_OFF = "The invoice you are trying to allocate to has already been paid off"
MSG_ALLOC_EXCEEDS_OUTSTANDING = "Credit Note cannot be allocated as amount is greater than amount outstanding"
MSG_ALLOC_WRONG_TYPE = "Credit Note cannot be allocated to an incorrect invoice type"
MSG_ALLOC_EXCEEDS_CREDIT = "Credit Note cannot be allocated as amount is greater than remaining credit"  # INFERRED
MSG_ALLOC_CREDIT_STATUS = "Only AUTHORISED credit notes can be allocated"  # INFERRED
MSG_ALLOC_INVOICE_STATUS = "Credit Note can only be allocated to an AUTHORISED invoice"  # INFERRED
MSG_ALLOC_CONTACT = "Credit Note cannot be allocated to an invoice for a different contact"  # INFERRED
MSG_ALLOC_CURRENCY = "Credit Note cannot be allocated to an invoice in a different currency"  # INFERRED
MSG_ALLOC_AMOUNT = "Allocation amount must be greater than zero."  # INFERRED

# Attachments ([DOC] "up to 10 attachments per document"; the words are INFERRED)
MSG_ATTACHMENT_EMPTY = "The file is empty. Attachments must have content."  # INFERRED
MSG_ATTACHMENT_LIMIT = "A document can have no more than 10 attachments."  # INFERRED

# History and notes ([DOC] developer.xero.com/documentation/api/accounting/historyandnotes: "Details: The note to
# be recorded against a single document. Max Length 2500 characters."; an older copy of the page says 250). The
# words of both refusals are INFERRED, in the style of "Contact cannot be empty.".
MSG_HISTORY_DETAILS_EMPTY = "Details cannot be empty."  # INFERRED
MSG_HISTORY_DETAILS_TOO_LONG = "Details must not be more than 2500 characters long."  # INFERRED
