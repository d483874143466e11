"""Error categories, the classified error a plugin returns, and the service errors callers see.

The category table (message, fix, what the engine does) is DESIGN.md's; the wording is the help
article's. The engine's policy per category lives in `sync.py`; this module only names and words them.
"""

from __future__ import annotations

import dataclasses
import enum

from django.conf import settings


class ErrorCategory(str, enum.Enum):
    AUTH_EXPIRED = "auth_expired"
    NOT_CONNECTED = "not_connected"
    INVOICE_LOCKED = "invoice_locked"
    PERIOD_LOCKED = "period_locked"
    VOIDED_REMOTELY = "voided_remotely"
    DELETED_REMOTELY = "deleted_remotely"
    INVALID_ACCOUNT_OR_TAX = "invalid_account_or_tax"
    CONTACT_ARCHIVED = "contact_archived"
    CURRENCY_NOT_ENABLED = "currency_not_enabled"
    MISSING_GL_ACCOUNT = "missing_gl_account"
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    UNKNOWN = "unknown"

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(c.value, c.value.replace("_", " ")) for c in cls]


# The seed's wording; {provider} is the provider's display name ("Xero", "NetSuite"),
# {platform} the ordering platform ("Ordermentum").
MESSAGES: dict[ErrorCategory, str] = {
    ErrorCategory.AUTH_EXPIRED: "{provider} connection expired: reconnect in Settings > Add-ons",
    ErrorCategory.NOT_CONNECTED: "{provider} is not connected: connect it in Settings > Add-ons",
    ErrorCategory.INVOICE_LOCKED: "Invoice is paid in {provider} and locked: manage changes directly in {provider}",
    ErrorCategory.PERIOD_LOCKED: "{provider} period is locked: the invoice date is before the lock date",
    ErrorCategory.VOIDED_REMOTELY: "Invoice is voided in {provider}: it takes no more changes",
    ErrorCategory.DELETED_REMOTELY: "Invoice is deleted in {provider}: it takes no more changes",
    ErrorCategory.INVALID_ACCOUNT_OR_TAX: "Account/Tax Rate must be Valid",
    ErrorCategory.MISSING_GL_ACCOUNT: "Missing GL account",
    ErrorCategory.CONTACT_ARCHIVED: "The retailer's contact is archived in {provider}",
    ErrorCategory.CURRENCY_NOT_ENABLED: "The invoice's currency is not set up in {provider}",
    ErrorCategory.TRANSIENT: "Sync unsuccessful",
    ErrorCategory.RATE_LIMITED: "Sync unsuccessful (rate limited)",
    ErrorCategory.VALIDATION: "{provider} rejected the invoice",
    ErrorCategory.NOT_FOUND: "The {provider} copy of this invoice is gone (deleted in {provider})",
    ErrorCategory.UNKNOWN: "Sync unsuccessful",
}

FIXES: dict[ErrorCategory, str] = {
    ErrorCategory.AUTH_EXPIRED: (
        "Disconnect and reconnect {provider} in Settings > Add-ons, then manually re-sync the invoices "
        "that failed to sync during the outage: reconnecting does not re-sync them by itself."
    ),
    ErrorCategory.NOT_CONNECTED: (
        "This invoice was made or changed while {provider} was disconnected, so it was not sent. Connect "
        "{provider} again in Settings > Add-ons (the same organisation), then re-sync the connection's backlog: "
        "connecting does not re-sync it by itself."
    ),
    ErrorCategory.INVOICE_LOCKED: (
        "Once an invoice is marked as Paid, {provider} locks it: changes made to the order after payment "
        "won't sync across. If changes are needed on a paid invoice, manage them directly in {provider}."
    ),
    ErrorCategory.PERIOD_LOCKED: (
        "The organisation's books in {provider} are closed up to a lock date, and this invoice (or its payment "
        "or void) is dated before it. Ask the accountant to move the lock date in {provider} (Advanced "
        "settings > Financial settings), or change the invoice date, then re-sync the invoice."
    ),
    ErrorCategory.VOIDED_REMOTELY: (
        "Someone voided this invoice in {provider}, and {provider} keeps a voided invoice as it is. If the order "
        "was cancelled, cancel it in {platform} too; if it stands, issue it again as a new invoice (a new number)."
    ),
    ErrorCategory.DELETED_REMOTELY: (
        "Someone deleted this invoice in {provider}, and {provider} keeps a deleted invoice as it is. If the order "
        "was cancelled, cancel it in {platform} too; if it stands, issue it again as a new invoice (a new number)."
    ),
    ErrorCategory.INVALID_ACCOUNT_OR_TAX: (
        "The sales code in {platform} doesn't match an active account code (or tax rate) in {provider}. "
        "Set it to an active code, then re-sync the invoice."
    ),
    ErrorCategory.CONTACT_ARCHIVED: (
        "The {provider} contact this retailer is linked to has been archived. Restore the contact in {provider} "
        "(Contacts > Archived), or ask {platform} Support to link the retailer to another contact, then re-sync "
        "the invoice."
    ),
    ErrorCategory.CURRENCY_NOT_ENABLED: (
        "The organisation has not added this currency in {provider}. Add it in {provider} (Accounting > Advanced > "
        "Currencies, which needs a plan with multi-currency), or invoice in a currency it has, then re-sync the "
        "invoice."
    ),
    ErrorCategory.MISSING_GL_ACCOUNT: (
        "An item doesn't have an expense (GL) account assigned. Assign one to the item, then re-sync the invoice."
    ),
    ErrorCategory.TRANSIENT: (
        "Often a temporary timeout or backend delay. It retries by itself; if it keeps failing, re-sync "
        "the invoice later."
    ),
    ErrorCategory.RATE_LIMITED: "{provider} asked us to slow down. It retries by itself when {provider} allows.",
    ErrorCategory.VALIDATION: "Correct what {provider} names above, then re-sync the invoice.",
    ErrorCategory.NOT_FOUND: "Re-sync the invoice to create it in {provider} again.",
    ErrorCategory.UNKNOWN: (
        "Re-sync the invoice. If it still fails, contact {platform} Support with this invoice number."
    ),
}


def message_for(category: ErrorCategory, provider_name: str) -> str:
    """The supplier-facing message for a category, in the seed's words."""
    return MESSAGES[category].format(provider=provider_name, platform=settings.INTEGRATIONS_PLATFORM_NAME)


def fix_for(category: ErrorCategory, provider_name: str) -> str:
    """The one action that fixes a category, in plain words."""
    return FIXES[category].format(provider=provider_name, platform=settings.INTEGRATIONS_PLATFORM_NAME)


@dataclasses.dataclass(frozen=True)
class ClassifiedError:
    """What a plugin's `classify_error` makes of a failure: enough for the engine and the supplier.

    `message` and `fix` are shown on the invoice; `detail` says which line / code / item when known;
    `raw` is the remote's body with secrets removed, kept for support.
    """

    category: ErrorCategory
    message: str
    fix: str
    retryable: bool = False
    retry_after: float | None = None
    detail: str = ""
    http_status: int | None = None
    request_id: str = ""
    raw: str = ""

    @classmethod
    def of(
        cls,
        category: ErrorCategory,
        provider_name: str,
        *,
        detail: str = "",
        message: str | None = None,
        fix: str | None = None,
        **extra,
    ) -> ClassifiedError:
        """Build one in the seed's wording; a `detail` (line, code, item) is appended to the message."""
        text = message or message_for(category, provider_name)
        if detail:
            text = f"{text}: {detail}"
        retryable = category in (ErrorCategory.TRANSIENT, ErrorCategory.RATE_LIMITED)
        return cls(
            category=category,
            message=text,
            fix=fix or fix_for(category, provider_name),
            retryable=extra.pop("retryable", retryable),
            detail=detail,
            **extra,
        )


class PushError(Exception):
    """Raised by a plugin that already knows what went wrong (a pre-flight check, a typed remote error).

    The engine uses the attached `ClassifiedError` as it is, without asking `classify_error`.
    """

    def __init__(self, classified: ClassifiedError):
        super().__init__(classified.message)
        self.classified = classified


# --- Errors of the services (bad input, refused actions) -------------------------------------


class ServiceError(Exception):
    """Base of every error a service raises at a caller: a machine code, a human message, field errors.

    The API renders it as one JSON shape (400 unless `status` says otherwise), the admin as a message,
    the commands as one line on stderr with a non-zero exit.
    """

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        if code:
            self.code = code


class InvalidInput(ServiceError):
    code = "invalid_input"


class NotFound(ServiceError):
    code = "not_found"
    status = 404


class NoConnection(ServiceError):
    code = "no_connection"
    status = 409


class WrongState(ServiceError):
    """What was asked does not fit the object's state now (an invoice not paid, a connection not connected)."""

    code = "wrong_state"
    status = 409


class ResyncNotSupported(ServiceError):
    code = "resync_not_supported"
    status = 409


class ActionNotAllowed(ServiceError):
    code = "action_not_allowed"
    status = 409


class UnknownProvider(ServiceError):
    code = "unknown_provider"


def one_line(error: BaseException, limit: int = 300) -> str:
    """An error as one readable line for a person at a terminal: what failed, without the traceback.
    A remote that cannot be reached names its address; a service error gives its message."""
    if isinstance(error, ServiceError):
        return error.message
    if isinstance(error, PushError):
        return error.classified.message
    cause = error
    while cause is not None:  # urllib3 and requests wrap the socket's refusal a few levels down
        if isinstance(cause, ConnectionRefusedError) or "Connection refused" in str(cause):
            host = _address(str(error)) or _address(str(cause))
            return f"Could not reach {host or 'the remote'} (connection refused): is it running?"
        cause = cause.__cause__ or cause.__context__
    text = " ".join(str(error).split()) or type(error).__name__
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return f"{type(error).__name__}: {text}"


def _address(text: str) -> str:
    import re

    found = re.search(r"host='([^']+)', port=(\d+)", text) or re.search(r"(\S+):(\d+) \(Caused by", text)
    return f"{found.group(1)}:{found.group(2)}" if found else ""
