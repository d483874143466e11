"""Seed organisations for the local Xero.

Every organisation uses the same user-facing codes so tests can be written once:

Tenants (``tenantId`` / name / region):

* ``a0000000-0000-4000-8000-000000000001`` "Demo Company (NZ)"   NZ, NZD
* ``a0000000-0000-4000-8000-000000000002`` "Demo Company (AU)"   AU, AUD
* ``a0000000-0000-4000-8000-000000000003`` "Kiwi Traders Ltd"    NZ, NZD (a second NZ org for cross-tenant tests)

Chart of accounts (all orgs):

====  ======================  ===========  ========  =========================================
Code  Name                    Type         Status    Notes
====  ======================  ===========  ========  =========================================
090   Business Bank Account   BANK         ACTIVE    EnablePaymentsToAccount true; pay invoices here
091   Business Savings        BANK         ACTIVE    EnablePaymentsToAccount false (still a bank)
200   Sales                   REVENUE      ACTIVE    default TaxType OUTPUT2 (AU: OUTPUT)
210   Services Income         REVENUE      ACTIVE    default TaxType OUTPUT2 (AU: OUTPUT)
260   Other Revenue           REVENUE      ARCHIVED  -> "has been archived, or has been deleted"
270   Interest Income         OTHERINCOME  ACTIVE    TaxType NONE
310   Cost of Goods Sold      DIRECTCOSTS  ACTIVE    TaxType INPUT2 (AU: INPUT)
400   Advertising             EXPENSE      ACTIVE    TaxType INPUT2; OUTPUT2 on it -> "cannot be used with account code"
610   Accounts Receivable     CURRENT      ACTIVE    system account (DEBTORS): not valid on invoice lines
800   Accounts Payable        CURRLIAB     ACTIVE    system account (CREDITORS)
820   GST                     CURRLIAB     ACTIVE    system account (GST)
====  ======================  ===========  ========  =========================================

Tax rates. NZ orgs: OUTPUT2 15% (revenue), INPUT2 15% (expenses only, not for revenue),
NONE 0% (both), ZERORATED 0% (revenue), EXEMPTOUTPUT 0% (revenue), GSTONIMPORTS (expenses only),
TAX001 "Old Rate" (DELETED). AU org: OUTPUT 10%, INPUT 10%, EXEMPTOUTPUT, EXEMPTEXPENSES, BASEXCLUDED,
NONE, and also OUTPUT2/INPUT2 as aliases at 10% so shared test data works in every org.

Contacts (all orgs): "Acme Ltd", "Globex Corporation", "Initech" (ACTIVE; Initech has ContactNumber
"CUST-003") and "Old Customer Ltd" (ARCHIVED). Their IDs are stable: ``contact_id(tenant_id, name)``.

Branding themes (``GET /BrandingThemes``, all orgs): "Standard" (SortOrder 0, the default) and "Special
Projects" (SortOrder 1); their IDs are stable: ``branding_theme_id(tenant_id, name)``. No tracking categories
are set up (the control API adds them), and there are no credit notes, payments or attachments.

Currencies (``GET /Currencies``): Demo Company (NZ) has NZD, AUD, USD and GBP; Demo Company (AU) has AUD,
NZD and USD; Kiwi Traders Ltd NZD and AUD. An invoice in any other currency is refused ("Organisation is not
subscribed to currency EUR"). A foreign invoice without a CurrencyRate gets the sandbox's fixed "day rate"
(``DAY_RATES``, foreign units per unit of the base currency). No lock dates are set.

Default app: client id ``SANDBOXCLIENTID0000000000000000`` / secret ``sandbox-client-secret``; webhook key
``sandbox-webhook-key``; one user ``sandbox.user@example.com``. Its registered redirect URIs are
``DEFAULT_REDIRECT_URIS`` unless the sandbox is started with others.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

DEFAULT_CLIENT_ID = "SANDBOXCLIENTID0000000000000000"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_WEBHOOK_KEY = "sandbox-webhook-key"
# The redirect URIs registered for the default app (Xero matches the one sent exactly: scheme, host, port, path).
DEFAULT_REDIRECT_URIS = (
    "http://testserver/xero/callback/",      # Django's test client
    "http://127.0.0.1:8000/xero/callback/",  # runserver on its default port
    "http://localhost:8000/xero/callback/",
)

TENANT_NZ = "a0000000-0000-4000-8000-000000000001"
TENANT_AU = "a0000000-0000-4000-8000-000000000002"
TENANT_NZ2 = "a0000000-0000-4000-8000-000000000003"
ALL_TENANTS = (TENANT_NZ, TENANT_AU, TENANT_NZ2)

DEFAULT_USER = {
    "user_id": "b0000000-0000-4000-8000-000000000001",
    "email": "sandbox.user@example.com",
    "given_name": "Sandy",
    "family_name": "Box",
}

_NS = uuid.UUID("5f0c1d3e-6a0b-4c1e-9d1a-000000005eed")

_ACCOUNTS = [
    # code, name, type, class, tax(nz), tax(au), status, enable_payments, system
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE", "BASEXCLUDED", "ACTIVE", True, ""),
    ("091", "Business Savings Account", "BANK", "ASSET", "NONE", "BASEXCLUDED", "ACTIVE", False, ""),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT2", "OUTPUT", "ACTIVE", False, ""),
    ("210", "Services Income", "REVENUE", "REVENUE", "OUTPUT2", "OUTPUT", "ACTIVE", False, ""),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT2", "OUTPUT", "ARCHIVED", False, ""),
    ("270", "Interest Income", "OTHERINCOME", "REVENUE", "NONE", "NONE", "ACTIVE", False, ""),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT2", "INPUT", "ACTIVE", False, ""),
    ("400", "Advertising", "EXPENSE", "EXPENSE", "INPUT2", "INPUT", "ACTIVE", False, ""),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "BASEXCLUDED", "ACTIVE", False, "DEBTORS"),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "BASEXCLUDED", "ACTIVE", False, "CREDITORS"),
    ("820", "GST", "CURRLIAB", "LIABILITY", "NONE", "BASEXCLUDED", "ACTIVE", False, "GST"),
]

# tax type, name, report type, rate, revenue, expenses, assets/equity/liabilities, status
_NZ_TAX = [
    ("OUTPUT2", "15% GST on Income", "OUTPUT", "15", True, False, True, "ACTIVE"),
    ("INPUT2", "15% GST on Expenses", "INPUT", "15", False, True, True, "ACTIVE"),
    ("NONE", "No GST", "NONE", "0", True, True, True, "ACTIVE"),
    ("ZERORATED", "Zero Rated", "OUTPUT", "0", True, False, True, "ACTIVE"),
    ("EXEMPTOUTPUT", "Exempt Sales", "EXEMPTOUTPUT", "0", True, False, True, "ACTIVE"),
    ("GSTONIMPORTS", "GST on Imports", "GSTONIMPORTS", "0", False, True, True, "ACTIVE"),
    ("TAX001", "Old Rate", "OUTPUT", "12.5", True, False, True, "DELETED"),
]
_AU_TAX = [
    ("OUTPUT", "GST on Income", "OUTPUT", "10", True, False, True, "ACTIVE"),
    ("INPUT", "GST on Expenses", "INPUT", "10", False, True, True, "ACTIVE"),
    ("OUTPUT2", "GST on Income (alias)", "OUTPUT", "10", True, False, True, "ACTIVE"),
    ("INPUT2", "GST on Expenses (alias)", "INPUT", "10", False, True, True, "ACTIVE"),
    ("EXEMPTOUTPUT", "GST Free Income", "EXEMPTOUTPUT", "0", True, False, True, "ACTIVE"),
    ("EXEMPTEXPENSES", "GST Free Expenses", "EXEMPTEXPENSES", "0", False, True, True, "ACTIVE"),
    ("BASEXCLUDED", "BAS Excluded", "BASEXCLUDED", "0", True, True, True, "ACTIVE"),
    ("NONE", "No GST", "NONE", "0", True, True, True, "ACTIVE"),
]

_CONTACTS = [
    ("Acme Ltd", "ACTIVE", None, "accounts@acme.example"),
    ("Globex Corporation", "ACTIVE", None, "ap@globex.example"),
    ("Initech", "ACTIVE", "CUST-003", "billing@initech.example"),
    ("Old Customer Ltd", "ARCHIVED", None, None),
]

_ORGS = [
    (TENANT_NZ, "Demo Company (NZ)", "NZ", "NZD", "NEWZEALANDSTANDARDTIME", "!nzDemo", ("AUD", "USD", "GBP")),
    (TENANT_AU, "Demo Company (AU)", "AU", "AUD", "AUSEASTERNSTANDARDTIME", "!auDemo", ("NZD", "USD")),
    (TENANT_NZ2, "Kiwi Traders Ltd", "NZ", "NZD", "NEWZEALANDSTANDARDTIME", "!kiwiTr", ("AUD",)),
]

CURRENCY_NAMES = {
    "AUD": "Australian Dollar", "CAD": "Canadian Dollar", "CHF": "Swiss Franc", "CNY": "Chinese Yuan",
    "EUR": "Euro", "FJD": "Fiji Dollar", "GBP": "British Pound", "HKD": "Hong Kong Dollar", "JPY": "Japanese Yen",
    "NZD": "New Zealand Dollar", "SGD": "Singapore Dollar", "USD": "United States Dollar",
    "ZAR": "South African Rand",
}
# The sandbox's stand-in for the XE.com day rate: units of the foreign currency per 1 unit of the base currency.
DAY_RATES = {
    "NZD": {"AUD": "0.915000", "USD": "0.598000", "GBP": "0.472000", "EUR": "0.551000"},
    "AUD": {"NZD": "1.092900", "USD": "0.654000", "GBP": "0.516000", "EUR": "0.602000"},
}


def stable_id(*parts: str) -> str:
    """A deterministic UUID for seeded objects."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def contact_id(tenant_id: str, name: str) -> str:
    """The ContactID of a seeded contact."""
    return stable_id(tenant_id, "contact", name)


BRANDING_THEMES = ("Standard", "Special Projects")


def branding_theme_id(tenant_id: str, name: str) -> str:
    """The BrandingThemeID of a seeded branding theme."""
    return stable_id(tenant_id, "branding-theme", name)


def seed_branding_themes(tenant_id, now):
    return [{"BrandingThemeID": branding_theme_id(tenant_id, name), "Name": name, "Type": "INVOICE",
             "SortOrder": order, "Created": now} for order, name in enumerate(BRANDING_THEMES)]


def _account(tenant_id, row, region, now):
    code, name, typ, cls, tax_nz, tax_au, status, pay, system = row
    return {
        "AccountID": stable_id(tenant_id, "account", code),
        "Code": code, "Name": name, "Type": typ, "Class": cls, "Status": status,
        "TaxType": tax_au if region == "AU" else tax_nz,
        "EnablePaymentsToAccount": pay, "ShowInExpenseClaims": cls == "EXPENSE",
        "SystemAccount": system, "ReportingCode": cls[:3], "AddToWatchlist": False,
        "BankAccountNumber": "0209087654321050" if typ == "BANK" else None,
        "BankAccountType": "BANK" if typ == "BANK" else None,
        "UpdatedDate": now,
    }


def _tax_rate(row):
    tax_type, name, report, rate, revenue, expenses, other, status = row
    rate = Decimal(rate)
    return {
        "Name": name, "TaxType": tax_type, "ReportTaxType": report, "Status": status,
        "CanApplyToRevenue": revenue, "CanApplyToExpenses": expenses,
        "CanApplyToAssets": other, "CanApplyToEquity": other, "CanApplyToLiabilities": other,
        "DisplayTaxRate": rate, "EffectiveRate": rate,
        "TaxComponents": [{"Name": "GST", "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}],
    }


def _contact(tenant_id, row, now):
    name, status, number, email = row
    return {
        "ContactID": contact_id(tenant_id, name), "Name": name, "ContactStatus": status,
        "ContactNumber": number, "EmailAddress": email, "UpdatedDate": now,
    }


def seed_organisations(now: float, rows=_ORGS) -> dict:
    """Fresh organisations keyed by tenant id (see the module docstring); `rows` as `_ORGS`'s."""
    orgs = {}
    for tenant_id, name, region, currency, tz, short, foreign in rows:
        taxes = _AU_TAX if region == "AU" else _NZ_TAX
        contacts = [_contact(tenant_id, row, now) for row in _CONTACTS]
        orgs[tenant_id] = {
            "tenant_id": tenant_id, "name": name, "region": region, "currency": currency,
            "timezone": tz, "short_code": short, "created": now,
            "accounts": [_account(tenant_id, row, region, now) for row in _ACCOUNTS],
            "tax_rates": [_tax_rate(row) for row in taxes],
            "contacts": {c["ContactID"]: c for c in contacts},
            "invoices": {},          # InvoiceID -> invoice record
            "payments": {},          # PaymentID -> payment record
            "credit_notes": {},      # CreditNoteID -> credit note record
            "attachments": {},       # InvoiceID -> [attachment record]
            "history": {},           # InvoiceID -> [history record], oldest first (history.py)
            "tracking_categories": [],  # [{TrackingCategoryID, Name, Status, Options: [...]}]
            "branding_themes": seed_branding_themes(tenant_id, now),
            "next_credit_number": 1,  # for auto-generated ACCRECCREDIT numbers CN-0001...
            "next_number": 1,        # for auto-generated ACCREC numbers INV-0001...
            "currencies": [currency_row(code) for code in (currency,) + foreign],
            "day_rates": {code: Decimal(rate) for code, rate in DAY_RATES.get(currency, {}).items()},
            "period_lock_date": None,        # ISO day or None (Organisation.PeriodLockDate)
            "end_of_year_lock_date": None,   # ISO day or None (Organisation.EndOfYearLockDate)
        }
    return orgs


def extra_organisations(first: int, count: int, now: float) -> dict:
    """`count` more NZ organisations like Demo Company (NZ), numbered from `first`, with stable ids: "Extra
    Organisation 1", ... (for benchmarks of many organisations: Xero's limits are per organisation)."""
    rows = [(stable_id("extra-org", str(n)), "Extra Organisation %d" % n, "NZ", "NZD", "NEWZEALANDSTANDARDTIME",
             "!extra%d" % n, ("AUD",)) for n in range(first, first + count)]
    return seed_organisations(now, rows)


def currency_row(code: str, description: str | None = None) -> dict:
    """One ``GET /Currencies`` element."""
    return {"Code": code, "Description": description or CURRENCY_NAMES.get(code, code)}
