"""Contacts, Accounts, TaxRates, Organisation and Payments: rules and rendering."""

from __future__ import annotations

import uuid
from decimal import Decimal

from . import invoices, wire

ZERO = Decimal("0")


# -- accounts / tax rates / organisation ------------------------------------------------


def render_account(acct) -> dict:
    """An Account as Xero sends it (always with Status)."""
    body = {k: v for k, v in acct.items() if v is not None and k != "UpdatedDate"}
    body["UpdatedDateUTC"] = wire.ms_instant(acct["UpdatedDate"])
    return body


def render_tax_rate(rate) -> dict:
    """A TaxRate as Xero sends it."""
    return dict(rate)


def render_organisation(org) -> dict:
    """GET /Organisation's single element (PeriodLockDate / EndOfYearLockDate "shown if set" [SPEC])."""
    body = {"OrganisationID": org["tenant_id"], "APIKey": "", "Name": org["name"], "LegalName": org["name"],
            "PaysTax": True, "Version": org["region"], "OrganisationType": "COMPANY",
            "BaseCurrency": org["currency"], "CountryCode": org["region"], "IsDemoCompany": False,
            "OrganisationStatus": "ACTIVE", "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
            "SalesTaxBasis": "INVOICE" if org["region"] == "NZ" else "ACCRUALS", "SalesTaxPeriod": "TWOMONTHS",
            "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
            "CreatedDateUTC": wire.ms_instant(org["created"]), "OrganisationEntityType": "COMPANY",
            "Timezone": org["timezone"], "ShortCode": org["short_code"], "Class": "PREMIUM",
            "Edition": "BUSINESS", "Addresses": [], "Phones": [], "ExternalLinks": [], "PaymentTerms": {}}
    if org.get("period_lock_date"):
        body["PeriodLockDate"] = wire.ms_date(org["period_lock_date"])
    if org.get("end_of_year_lock_date"):
        body["EndOfYearLockDate"] = wire.ms_date(org["end_of_year_lock_date"])
    return body


def render_currency(row) -> dict:
    """A Currency as ``GET /Currencies`` sends it: Code and Description [SPEC Currency]."""
    return {"Code": row["Code"], "Description": row["Description"]}


# -- contacts ------------------------------------------------------------------------------


def render_contact(contact, errors=()) -> dict:
    """A Contact as Xero sends it."""
    body = {"ContactID": contact["ContactID"], "ContactStatus": contact["ContactStatus"], "Name": contact["Name"],
            "Addresses": [], "Phones": [], "ContactGroups": [], "ContactPersons": [],
            "HasValidationErrors": bool(errors), "IsSupplier": False, "IsCustomer": True}
    for key in ("ContactNumber", "EmailAddress", "FirstName", "LastName", "AccountNumber"):
        if contact.get(key):
            body[key] = contact[key]
    if contact.get("UpdatedDate") is not None:
        body["UpdatedDateUTC"] = wire.ms_instant(contact["UpdatedDate"])
    if errors:
        body["ValidationErrors"] = [{"Message": m} for m in errors]
        body["StatusAttributeString"] = "ERROR"
    return body


def find_contact(org, key: str):
    """By ContactID, else ContactNumber."""
    hit = org["contacts"].get((key or "").lower())
    return hit or next((c for c in org["contacts"].values() if c.get("ContactNumber") == key), None)


def apply_contact(org, data: dict, upsert: bool, now: float):
    """Create (PUT) or upsert (POST) one contact. Returns (contact, errors)."""
    if not isinstance(data, dict):
        return {"ContactID": wire.ZERO_GUID, "Name": "", "ContactStatus": "ACTIVE"}, ["Contact cannot be empty."]
    name = (data.get("Name") or "").strip()
    existing = None
    if data.get("ContactID") and data["ContactID"] != wire.ZERO_GUID:
        existing = org["contacts"].get(str(data["ContactID"]).lower())
        if existing is None:
            return dict(data, ContactStatus="ACTIVE", Name=name), ["Contact could not be found."]  # [INFERRED]
    elif upsert and name:
        existing = _active_by_name(org, name)
    errors = []
    target = dict(existing) if existing else {"ContactID": str(uuid.uuid4()), "ContactStatus": "ACTIVE"}
    for key in ("Name", "ContactNumber", "EmailAddress", "FirstName", "LastName", "AccountNumber", "ContactStatus"):
        if data.get(key) is not None:
            target[key] = str(data[key]).strip()
    if not target.get("Name"):
        errors.append("Contact Name cannot be empty.")
    clash = _active_by_name(org, target.get("Name") or "")
    if clash is not None and clash["ContactID"] != target["ContactID"] and target["ContactStatus"] == "ACTIVE":
        errors.append("The contact name %s is already assigned to another contact. The contact name must be "
                      "unique across all active contacts." % target["Name"])
    email = target.get("EmailAddress")
    if email and ("@" not in email or "." not in email.split("@")[-1]):
        errors.append("Email address must be valid.")
    if errors:
        if existing is None:
            target["ContactID"] = wire.ZERO_GUID
        return target, errors
    target["UpdatedDate"] = now
    org["contacts"][target["ContactID"]] = target
    return target, []


def _active_by_name(org, name):
    low = name.lower()
    return next((c for c in org["contacts"].values()
                 if c["ContactStatus"] == "ACTIVE" and c["Name"].lower() == low), None) if low else None


def contact_row(contact) -> dict:
    """Fields visible to a ``where`` clause."""
    return {"ContactID": contact["ContactID"], "Name": contact["Name"], "ContactStatus": contact["ContactStatus"],
            "ContactNumber": contact.get("ContactNumber"), "EmailAddress": contact.get("EmailAddress")}


# -- payments ------------------------------------------------------------------------------


def apply_payment(org, data: dict, now: float):
    """Record one payment against an invoice. Returns (payment record or echo, invoice or None, errors)."""
    errors = []
    if not isinstance(data, dict):
        return {"PaymentID": wire.ZERO_GUID}, None, ["Invoice could not be found."]
    ref = data.get("Invoice") or {}
    inv = None
    if ref.get("InvoiceID"):
        inv = org["invoices"].get(str(ref["InvoiceID"]).lower())
    elif ref.get("InvoiceNumber") or data.get("InvoiceNumber"):
        inv = invoices.find_by_number(org, ref.get("InvoiceNumber") or data.get("InvoiceNumber"))
    acct_ref = data.get("Account") or {}
    acct = next((a for a in org["accounts"] if a["AccountID"] == str(acct_ref.get("AccountID") or "").lower()
                 or (acct_ref.get("Code") and a["Code"] == acct_ref.get("Code"))), None)
    try:
        amount = wire.money(wire.to_decimal(data.get("Amount"), ZERO))
        day = wire.parse_day(data["Date"]) if data.get("Date") else invoices.org_today(org, now)
        rate = wire.to_decimal(data.get("CurrencyRate"))
    except ValueError:
        raise invoices.PostDataError("Error converting value to type 'System.Decimal'. Path 'Payments[0]'.") from None
    if inv is None:
        errors.append("Invoice could not be found.")  # [INFERRED] wording
    elif inv["Status"] != "AUTHORISED":
        errors.append("Payments can only be made against authorised documents.")
    elif amount > inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"]:
        errors.append("The payment amount exceeds the amount outstanding on this document.")
    if amount <= 0:
        errors.append("Payment amount must be greater than zero.")  # [INFERRED] wording
    if acct is None or acct["Status"] != "ACTIVE" or not (acct["Type"] == "BANK" or acct["EnablePaymentsToAccount"]):
        errors.append("Account could not be found.")
    # [INFERRED] the payment is refused with the document wording when its own date is locked.
    errors.extend(invoices.lock_messages(org, day))
    # Payment.CurrencyRate: "Exchange rate when payment is received. Only used for non base currency
    # invoices" [SPEC]; otherwise the invoice's rate.
    if inv is None or inv.get("CurrencyCode", org["currency"]) == org["currency"]:
        rate = invoices.ONE
    elif rate is None or rate <= 0:
        rate = inv.get("CurrencyRate") or invoices.ONE
    pay = {"PaymentID": wire.ZERO_GUID if errors else str(uuid.uuid4()), "InvoiceID": inv["InvoiceID"] if inv else None,
           "AccountID": acct["AccountID"] if acct else None, "Date": day, "Amount": amount,
           "CurrencyRate": rate.quantize(Decimal("0.000001")),
           "Reference": data.get("Reference"), "Status": "AUTHORISED", "Updated": now}
    if errors:
        return pay, inv, errors
    org["payments"][pay["PaymentID"]] = pay
    inv["Payments"] = inv.get("Payments", []) + [{"PaymentID": pay["PaymentID"], "Date": day, "Amount": amount,
                                                  "CurrencyRate": pay["CurrencyRate"]}]
    invoices.settle(inv, amount, now, paid_on=day)
    return pay, inv, []


def render_payment(org, pay, errors=()) -> dict:
    """A Payment as Xero sends it."""
    inv = org["invoices"].get(pay.get("InvoiceID") or "")
    acct = next((a for a in org["accounts"] if a["AccountID"] == pay.get("AccountID")), None)
    rate = pay.get("CurrencyRate") or invoices.ONE
    body = {"PaymentID": pay["PaymentID"], "Date": wire.ms_date(pay["Date"]), "Amount": pay["Amount"],
            "BankAmount": wire.money(pay["Amount"] / rate), "CurrencyRate": rate, "Status": pay["Status"],
            "PaymentType": "ACCPAYPAYMENT" if inv and inv["Type"] == "ACCPAY" else "ACCRECPAYMENT",
            "UpdatedDateUTC": wire.ms_instant(pay["Updated"]), "HasAccount": acct is not None,
            "IsReconciled": False, "HasValidationErrors": bool(errors),
            "StatusAttributeString": "ERROR" if errors else "OK"}
    if pay.get("Reference"):
        body["Reference"] = pay["Reference"]
    if acct:
        body["Account"] = {"AccountID": acct["AccountID"], "Code": acct["Code"]}
    if inv:
        body["Invoice"] = invoices.render(org, inv, lines=False)
    if errors:
        body["ValidationErrors"] = [{"Message": m} for m in errors]
    return body
