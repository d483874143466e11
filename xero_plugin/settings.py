"""A Xero connection's integration settings: what they are, the organisation's own lists they choose from
(accounts, tax rates, tracking categories, branding themes), and the values a push reads.

The values live in `Connection.settings`; the engine (`integrations_core.connection_settings`) checks a change
against the choices offered here and keeps who made it."""

from __future__ import annotations

import dataclasses

from integrations_core.hookspecs import SettingField
from integrations_core.models import Connection

from .client import call, client_for
from .mapping import text
from .org_cache import OrgCache

CACHE_SECONDS = 300
SALES_TYPES = ("REVENUE", "SALES", "OTHERINCOME")
STATUS_CHOICES = (("AUTHORISED", "Approved (awaiting payment)"), ("DRAFT", "Draft"))
REFERENCE_CHOICES = (("order_reference", "Order reference"), ("po_number", "PO number"))
CONTACT_MATCH_CHOICES = (
    ("number_then_name", "Retailer id (Xero's ContactNumber), then the exact name, else a new contact"),
    ("number", "Retailer id (Xero's ContactNumber) only, else a new contact"),
    ("name", "The exact name only, else a new contact"),
)
DEFAULTS = {"invoice_status": "AUTHORISED", "payment_account_code": "090", "reference": "order_reference",
            "contact_match": "number_then_name", "category_accounts": {}, "tracking": {}}


def _value(item, name: str) -> str:
    return text(getattr(item, name, None))


@dataclasses.dataclass(frozen=True)
class Organisation:
    """The organisation's lists, as settings and pre-flight need them."""

    accounts: dict[str, tuple[str, str, str, bool]]  # code -> (name, type, status, payments allowed)
    tax_rates: dict[str, tuple[str, str, bool]]  # tax type -> (name, status, usable on sales)
    tracking: dict[str, tuple[str, dict[str, str]]]  # category name -> (status, option name -> status)
    branding_themes: dict[str, str]  # id -> name
    currencies: frozenset[str]  # the currencies added, the base currency included
    base_currency: str

    def sales_accounts(self) -> tuple[tuple[str, str], ...]:
        return tuple((code, f"{code} {name}") for code, (name, kind, status, _) in sorted(self.accounts.items())
                     if status == "ACTIVE" and kind in SALES_TYPES)

    def payment_accounts(self) -> tuple[tuple[str, str], ...]:
        return tuple((code, f"{code} {name}") for code, (name, kind, status, payments) in sorted(self.accounts.items())
                     if status == "ACTIVE" and (payments or kind == "BANK"))


_cache = OrgCache("lists", shared_seconds=CACHE_SECONDS)


def forget(connection: Connection) -> None:
    """Read the organisation's lists again next time (after Xero refused one of their codes)."""
    _cache.forget(connection)


def organisation(connection: Connection, client=None, *, fresh: bool = False) -> Organisation:
    """The organisation's accounts, tax rates, tracking categories, branding themes and currencies: six calls,
    kept five minutes per connection."""
    kept = None if fresh else _cache.get(connection)
    if kept is not None:
        return kept
    client = client or client_for(connection)
    org = call(client, connection, "get_organisations")[0].organisations[0]
    accounts = call(client, connection, "get_accounts")[0].accounts or []
    rates = call(client, connection, "get_tax_rates")[0].tax_rates or []
    categories = call(client, connection, "get_tracking_categories", include_archived=True)[0].tracking_categories or []
    themes = call(client, connection, "get_branding_themes")[0].branding_themes or []
    currencies = call(client, connection, "get_currencies")[0].currencies or []
    base = _value(org, "base_currency")
    found = Organisation(
        accounts={a.code: (a.name or "", _value(a, "type"), _value(a, "status"), bool(a.enable_payments_to_account))
                  for a in accounts if a.code},
        tax_rates={r.tax_type: (r.name or r.tax_type, _value(r, "status"), bool(r.can_apply_to_revenue))
                   for r in rates if r.tax_type},
        tracking={c.name: (_value(c, "status"), {o.name: _value(o, "status") for o in (c.options or []) if o.name})
                  for c in categories if c.name},
        branding_themes={str(t.branding_theme_id): t.name or "" for t in themes if t.branding_theme_id},
        currencies=frozenset({_value(c, "code") for c in currencies} | ({base} if base else set())),
        base_currency=base,
    )
    _cache.put(connection, found)
    return found


def values(connection: Connection) -> dict:
    """The settings in force: the stored ones over the defaults."""
    return {**DEFAULTS, **(connection.settings or {})}


def fields(connection: Connection) -> list[SettingField]:
    """The settings a supplier's Xero takes, each choosing from the organisation's own lists (read now)."""
    org = organisation(connection, fresh=True)
    sales = (("", "(the product's own code)"),) + org.sales_accounts()
    same_as_sales = (("", "(the line's sales account)"),) + org.sales_accounts()
    taxes = (("", "(the product's own tax rate, else the account's)"),) + tuple(
        (tax, f"{name} ({tax})") for tax, (name, status, sales_ok) in sorted(org.tax_rates.items())
        if status == "ACTIVE" and sales_ok)
    categories = tuple((name, name) for name, (status, _) in sorted(org.tracking.items()) if status == "ACTIVE")
    themes = (("", "(the organisation's default)"),) + tuple(sorted(org.branding_themes.items(), key=lambda t: t[1]))
    return [
        SettingField("invoice_status", "Invoice status in Xero", "Approved invoices await payment; drafts wait for "
                     "someone to approve them in Xero.", STATUS_CHOICES, default=DEFAULTS["invoice_status"]),
        SettingField("sales_account_code", "Default sales account", "For lines whose product has no sales account.",
                     sales),
        SettingField("tax_type", "Default tax rate", "For lines whose product has no tax rate.", taxes),
        SettingField("category_accounts", "Sales account per product category", "A product category's lines go "
                     "to this account unless the product has its own.", org.sales_accounts(),
                     mapping="product category", default={}),
        SettingField("freight_account_code", "Freight / delivery fee account", "", same_as_sales),
        SettingField("surcharge_account_code", "Surcharge account", "", same_as_sales),
        SettingField("discount_account_code", "Discount account", "", same_as_sales),
        SettingField("payment_account_code", "Payment (clearing) account", "Where a payment made through the "
                     "platform is recorded in Xero.", org.payment_accounts(),
                     default=DEFAULTS["payment_account_code"]),
        SettingField("tracking", "Tracking", "Each Xero tracking category takes its option from a field of the "
                     "order (e.g. sales_channel, delivery_region); the option is the field's value.", None,
                     mapping="tracking category", key_choices=categories, default={}),
        SettingField("branding_theme_id", "Branding theme", "", themes),
        SettingField("reference", "Xero's Reference", "What the invoice's Reference in Xero shows.",
                     REFERENCE_CHOICES, default=DEFAULTS["reference"]),
        SettingField("contact_match", "Matching retailers to Xero contacts", "How a retailer's first invoice finds "
                     "its contact; the contact found is kept for the retailer's later invoices.",
                     CONTACT_MATCH_CHOICES, default=DEFAULTS["contact_match"]),
    ]
