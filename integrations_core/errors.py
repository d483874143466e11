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
    INVOICE_LOCKED = "invoice_locked"
    INVALID_ACCOUNT_OR_TAX = "invalid_account_or_tax"
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
    ErrorCategory.INVOICE_LOCKED: "Invoice is paid in {provider} and locked: manage changes directly in {provider}",
    ErrorCategory.INVALID_ACCOUNT_OR_TAX: "Account/Tax Rate must be Valid",
    ErrorCategory.MISSING_GL_ACCOUNT: "Missing GL account",
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
    ErrorCategory.INVOICE_LOCKED: (
        "Once an invoice is marked as Paid, {provider} locks it: changes made to the order after payment "
        "won't sync across. If changes are needed on a paid invoice, manage them directly in {provider}."
    ),
    ErrorCategory.INVALID_ACCOUNT_OR_TAX: (
        "The sales code in {platform} doesn't match an active account code (or tax rate) in {provider}. "
        "Set it to an active code, then re-sync the invoice."
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


class ResyncNotSupported(ServiceError):
    code = "resync_not_supported"
    status = 409


class ActionNotAllowed(ServiceError):
    code = "action_not_allowed"
    status = 409


class UnknownProvider(ServiceError):
    code = "unknown_provider"
