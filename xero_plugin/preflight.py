"""Pre-flight: an invoice's account codes, tax types and GL accounts checked against the organisation's
chart (cached per connection, refreshed after a validation error), so a bad code fails fast, naming
the line, without spending a call on the push."""

from __future__ import annotations

import threading
import time

from integrations_core.errors import ClassifiedError, ErrorCategory, PushError
from integrations_core.models import Connection, Invoice

CACHE_SECONDS = 600
_SALES_TYPES = ("REVENUE", "SALES", "OTHERINCOME")
_cache: dict[int, tuple[float, dict, dict]] = {}
_lock = threading.Lock()


def forget(connection: Connection) -> None:
    """Drop the cached chart: the next push reads it again (after Xero refused a code)."""
    with _lock:
        _cache.pop(connection.pk, None)


def _chart(connection: Connection, client) -> tuple[dict, dict]:
    """(account code -> status, tax type -> (status, usable on sales)). The tax types known from the
    accounts' defaults are enough for most invoices; TaxRates is read only when a line uses another."""
    from . import limits

    with _lock:
        cached = _cache.get(connection.pk)
    if cached and cached[0] > time.monotonic():
        return cached[1], cached[2]
    limits.spend(connection.tenant_id)
    accounts = client.accounting.get_accounts(connection.tenant_id, _request_timeout=(5, 30)).accounts or []
    chart = {a.code: str(getattr(a.status, "value", a.status)) for a in accounts if a.code}
    taxes = {a.tax_type: ("ACTIVE", True) for a in accounts
             if a.tax_type and str(getattr(a.status, "value", a.status)) == "ACTIVE"
             and str(getattr(a.type, "value", a.type)) in _SALES_TYPES}
    with _lock:
        _cache[connection.pk] = (time.monotonic() + CACHE_SECONDS, chart, taxes)
    return chart, taxes


def _tax_rates(connection: Connection, client, taxes: dict) -> dict:
    from . import limits

    limits.spend(connection.tenant_id)
    rates = client.accounting.get_tax_rates(connection.tenant_id, _request_timeout=(5, 30)).tax_rates or []
    taxes.update({r.tax_type: (str(getattr(r.status, "value", r.status)), bool(r.can_apply_to_revenue))
                  for r in rates})
    taxes["__all__"] = ("", False)  # the full list is known now
    return taxes


def check(connection: Connection, invoice: Invoice, client) -> None:
    """Refuse, naming the line and the code, what Xero would refuse.

    :raises PushError: missing_gl_account (an item with no expense account) or invalid_account_or_tax.
    """
    lines = list(invoice.lines.all())
    for line in lines:
        if line.product is not None and not line.gl_account_code:
            raise PushError(ClassifiedError.of(
                ErrorCategory.MISSING_GL_ACCOUNT, "Xero",
                detail=f"item {line.item_code} ({line.product.name}) on line {line.position} has no expense account"))
    chart, taxes = _chart(connection, client)
    for line in lines:
        code, tax = line.sales_account_code, line.effective_tax_type
        if not code:
            raise PushError(ClassifiedError.of(ErrorCategory.MISSING_GL_ACCOUNT, "Xero",
                                               detail=f"line {line.position} has no sales account code"))
        if chart.get(code) != "ACTIVE":
            why = "is archived in Xero" if code in chart else "is not an account code in Xero"
            raise PushError(ClassifiedError.of(ErrorCategory.INVALID_ACCOUNT_OR_TAX, "Xero",
                                               detail=f"line {line.position}: account code '{code}' {why}"))
        if tax:
            if tax not in taxes and "__all__" not in taxes:
                taxes = _tax_rates(connection, client, taxes)
            status, revenue = taxes.get(tax, ("", False))
            if status != "ACTIVE" or not revenue:
                why = "cannot be used on sales" if status == "ACTIVE" else "does not exist in Xero"
                raise PushError(ClassifiedError.of(ErrorCategory.INVALID_ACCOUNT_OR_TAX, "Xero",
                                                   detail=f"line {line.position}: tax rate '{tax}' {why}"))
