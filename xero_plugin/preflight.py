"""Pre-flight: an invoice's account codes, tax types and GL accounts (its own or the settings'), its currency,
tracking options and branding theme checked against the organisation's lists (cached per connection, refreshed
after a validation error), so a bad code fails fast, naming the line or the setting, without spending a call on
the push."""

from __future__ import annotations

from integrations_core.errors import ClassifiedError, ErrorCategory, PushError
from integrations_core.models import Connection, Invoice

from .client import call
from .mapping import line_account, line_tax, tracking
from .org_cache import OrgCache, bring_here
from .settings import forget as forget_lists, organisation

_SALES_TYPES = ("REVENUE", "SALES", "OTHERINCOME")
_cache = OrgCache("chart")  # (account code -> status, tax type -> (status, usable on sales))
_tax_cache = OrgCache("tax_rates")  # every tax type -> (status, usable on sales), read when a line needs it
_currency_cache = OrgCache("currencies")


def forget(connection: Connection) -> None:
    """Drop the kept chart, tax rates, currencies and lists: the next push reads them again (after Xero refused a
    code)."""
    for kept in (_cache, _tax_cache, _currency_cache):
        kept.forget(connection)
    forget_lists(connection)


def _chart(connection: Connection, client) -> tuple[dict, dict]:
    """(account code -> status, tax type -> (status, usable on sales)). The tax types known from the
    accounts' defaults are enough for most invoices; TaxRates is read only when a line uses another."""
    from . import limits

    def read():
        limits.spend(connection.tenant_id)
        accounts = client.accounting.get_accounts(connection.tenant_id, _request_timeout=(5, 30)).accounts or []
        chart = {a.code: str(getattr(a.status, "value", a.status)) for a in accounts if a.code}
        taxes = {a.tax_type: ("ACTIVE", True) for a in accounts
                 if a.tax_type and str(getattr(a.status, "value", a.status)) == "ACTIVE"
                 and str(getattr(a.type, "value", a.type)) in _SALES_TYPES}
        return chart, taxes

    return _cache.get_or_read(connection, read)


def _tax_rates(connection: Connection, client) -> dict:
    """Every tax type of the organisation, read (and kept as the chart is) only for a line whose tax type the
    accounts' defaults do not tell."""
    from . import limits

    def read():
        limits.spend(connection.tenant_id)
        rates = client.accounting.get_tax_rates(connection.tenant_id, _request_timeout=(5, 30)).tax_rates or []
        return {r.tax_type: (str(getattr(r.status, "value", r.status)), bool(r.can_apply_to_revenue)) for r in rates}

    return _tax_cache.get_or_read(connection, read)


def _currencies(connection: Connection, client) -> frozenset[str]:
    """The currencies the organisation has added (its base currency among them), kept as the chart is."""

    def read():
        data, _, _ = call(client, connection, "get_currencies")
        return frozenset(str(getattr(c.code, "value", c.code)) for c in (data.currencies or []) if c.code)

    return _currency_cache.get_or_read(connection, read)


def _refused(category: ErrorCategory, detail: str) -> PushError:
    return PushError(ClassifiedError.of(category, "Xero", detail=detail))


def check(connection: Connection, invoice: Invoice, client, settings: dict | None = None, *,
          currency: bool = True) -> None:
    """Refuse, naming the line and the code (or the setting it came from), what Xero would refuse.

    `currency=False` leaves the currency to Xero's own answer: in a batch the invoice refused for its currency
    rides in the call that carries the others, so reading the organisation's currencies first would cost a call
    and save none (Xero's "not subscribed to currency" reads as currency_not_enabled, with the same words).

    :raises PushError: missing_gl_account (an item with no expense account), invalid_account_or_tax (a code
        archived or gone, the setting named when it came from one), currency_not_enabled, validation (a tracking
        option or branding theme the organisation does not have).
    """
    settings = settings if settings is not None else {}
    lines = list(invoice.lines.all())
    for line in lines:
        if line.product is not None and not line.gl_account_code:
            raise _refused(ErrorCategory.MISSING_GL_ACCOUNT,
                           f"item {line.item_code} ({line.product.name}) on line {line.position} has no expense account")
    bring_here(connection, _cache, *((_currency_cache,) if currency else ()))
    chart, taxes = _chart(connection, client)
    for line in lines:
        (code, code_from), (tax, tax_from) = line_account(line, settings), line_tax(line, settings)
        if not code:
            raise _refused(ErrorCategory.MISSING_GL_ACCOUNT,
                           f"line {line.position} has no sales account code (and no default sales account is set)")
        if chart.get(code) != "ACTIVE":
            why = "is archived in Xero" if code in chart else "is not an account code in Xero"
            origin = f" (from {code_from})" if code_from.startswith("the ") else ""
            raise _refused(ErrorCategory.INVALID_ACCOUNT_OR_TAX,
                           f"line {line.position}: account code '{code}'{origin} {why}")
        if tax:
            if tax not in taxes:
                taxes = {**taxes, **_tax_rates(connection, client)}
            status, revenue = taxes.get(tax, ("", False))
            if status != "ACTIVE" or not revenue:
                why = "cannot be used on sales" if status == "ACTIVE" else "does not exist in Xero"
                origin = f" (from {tax_from})" if tax_from.startswith("the ") else ""
                raise _refused(ErrorCategory.INVALID_ACCOUNT_OR_TAX,
                               f"line {line.position}: tax rate '{tax}'{origin} {why}")
    if currency and invoice.currency not in _currencies(connection, client):
        raise _refused(ErrorCategory.CURRENCY_NOT_ENABLED,
                       f"{invoice.currency} is not one of the organisation's currencies in Xero")
    if tracking(invoice, settings) or settings.get("branding_theme_id"):
        _check_lists(connection, client, invoice, settings)


def _check_lists(connection: Connection, client, invoice: Invoice, settings: dict) -> None:
    """Tracking options and the branding theme the settings send, against the organisation's lists."""
    org = organisation(connection, client)
    for category, option, field in tracking(invoice, settings):
        status, options = org.tracking.get(category, ("", {}))
        if status != "ACTIVE":
            gone = "is archived in Xero" if status else "is not a tracking category in Xero"
            raise _refused(ErrorCategory.VALIDATION, f"the tracking setting's category '{category}' {gone}")
        if options.get(option) != "ACTIVE":
            gone = "an archived option" if option in options else "not an option"
            raise _refused(ErrorCategory.VALIDATION,
                           f"'{option}' (the order's {field}) is {gone} of tracking category '{category}' in Xero")
    theme = settings.get("branding_theme_id")
    if theme and theme not in org.branding_themes:
        raise _refused(ErrorCategory.VALIDATION, f"the branding_theme_id setting's theme '{theme}' is not in Xero")
