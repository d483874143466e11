"""Contacts, Accounts, TaxRates, Organisation, BrandingThemes and Payments: rules and rendering."""

from __future__ import annotations

import uuid
from decimal import Decimal

from . import invoices, wire
from . import messages as m

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


def render_branding_theme(theme) -> dict:
    """A BrandingTheme as ``GET /BrandingThemes`` sends it [SPEC BrandingTheme]."""
    return {"BrandingThemeID": theme["BrandingThemeID"], "Name": theme["Name"], "Type": theme["Type"],
            "SortOrder": theme["SortOrder"], "CreatedDateUTC": wire.ms_instant(theme["Created"])}


# -- contacts ------------------------------------------------------------------------------

CONTACT_STATUSES = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")


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
    """By ContactID, else ContactNumber (``GET /Contacts/{ContactID or ContactNumber}`` [SPEC])."""
    hit = org["contacts"].get((key or "").lower())
    return hit or next((c for c in org["contacts"].values() if c.get("ContactNumber") == key), None)


def find_contact_any(org, key: str):
    """By ContactID, ContactNumber or Name (an active contact first): how the control API names one."""
    hit = find_contact(org, key)
    if hit is None:
        named = [c for c in org["contacts"].values() if c["Name"].lower() == (key or "").strip().lower()]
        hit = next((c for c in named if c["ContactStatus"] == "ACTIVE"), None) or (named[0] if named else None)
    return hit


def apply_contact(org, data: dict, upsert: bool, now: float, path: str = "Contacts[0]"):
    """Create (PUT) or upsert (POST) one contact. Returns (contact, errors, existed).

    POST matches an existing contact by ContactID, else by ContactNumber [INFERRED], else by the name of an
    active contact. Setting ``ContactStatus`` ARCHIVED archives it; restoring one checks its name is free.
    """
    if not isinstance(data, dict):
        return {"ContactID": wire.ZERO_GUID, "Name": "", "ContactStatus": "ACTIVE"}, ["Contact cannot be empty."], False
    name = (data.get("Name") or "").strip()
    status = data.get("ContactStatus")
    if status is not None:
        status = str(status).strip().upper()
        if status not in CONTACT_STATUSES:
            raise invoices.PostDataError(m.MSG_CONTACT_STATUS % (data["ContactStatus"], path + ".ContactStatus"))
    existing = None
    if data.get("ContactID") and data["ContactID"] != wire.ZERO_GUID:
        existing = org["contacts"].get(str(data["ContactID"]).lower())
        if existing is None:
            return dict(data, ContactStatus="ACTIVE", Name=name), [m.MSG_CONTACT_NOT_FOUND], False
    elif upsert and data.get("ContactNumber"):
        existing = next((c for c in org["contacts"].values() if c.get("ContactNumber") == data["ContactNumber"]),
                        None)
    if existing is None and upsert and name and not data.get("ContactID"):
        existing = _active_by_name(org, name)
    errors = []
    target = dict(existing) if existing else {"ContactID": str(uuid.uuid4()), "ContactStatus": "ACTIVE"}
    for key in ("Name", "ContactNumber", "EmailAddress", "FirstName", "LastName", "AccountNumber"):
        if data.get(key) is not None:
            target[key] = str(data[key]).strip()
    if status is not None:
        target["ContactStatus"] = status
    if not target.get("Name"):
        errors.append("Contact Name cannot be empty.")
    clash = _active_by_name(org, target.get("Name") or "")
    if clash is not None and clash["ContactID"] != target["ContactID"] and target["ContactStatus"] == "ACTIVE":
        errors.append(m.MSG_CONTACT_NAME_UNIQUE % target["Name"])
    email = target.get("EmailAddress")
    if email and ("@" not in email or "." not in email.split("@")[-1]):
        errors.append("Email address must be valid.")
    if errors:
        if existing is None:
            target["ContactID"] = wire.ZERO_GUID
        return target, errors, existing is not None
    target["UpdatedDate"] = now
    org["contacts"][target["ContactID"]] = target
    return target, [], existing is not None


def set_contact_status(org, contact, status: str, now: float) -> list:
    """Archive or restore a contact as a user does in Xero; a restored name must be free. Returns errors."""
    if status == "ACTIVE" and contact["ContactStatus"] != "ACTIVE":
        clash = _active_by_name(org, contact["Name"])
        if clash is not None and clash["ContactID"] != contact["ContactID"]:
            return [m.MSG_CONTACT_NAME_UNIQUE % contact["Name"]]
    contact["ContactStatus"] = status
    contact["UpdatedDate"] = now
    return []


def _active_by_name(org, name):
    low = name.lower()
    return next((c for c in org["contacts"].values()
                 if c["ContactStatus"] == "ACTIVE" and c["Name"].lower() == low), None) if low else None


def contact_row(contact) -> dict:
    """Fields visible to a ``where`` clause."""
    return {"ContactID": contact["ContactID"], "Name": contact["Name"], "ContactStatus": contact["ContactStatus"],
            "ContactNumber": contact.get("ContactNumber"), "EmailAddress": contact.get("EmailAddress"),
            "FirstName": contact.get("FirstName"), "LastName": contact.get("LastName"),
            "AccountNumber": contact.get("AccountNumber")}


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
    if errors:
        pay = {"PaymentID": wire.ZERO_GUID, "InvoiceID": inv["InvoiceID"] if inv else None,
               "AccountID": acct["AccountID"] if acct else None, "Date": day, "Amount": amount,
               "CurrencyRate": rate.quantize(Decimal("0.000001")), "Reference": data.get("Reference"),
               "Status": "AUTHORISED", "Updated": now}
        return pay, inv, errors
    return record_payment(org, inv, amount, acct, day, rate, data.get("Reference"), now), inv, []


def record_payment(org, inv, amount: Decimal, acct, day: str, rate: Decimal, reference, now: float) -> dict:
    """Store a payment of ``amount`` on ``day`` against an invoice (one of several, partial or in full): the
    invoice's AmountPaid grows, and it is PAID once nothing is due."""
    pay = {"PaymentID": str(uuid.uuid4()), "InvoiceID": inv["InvoiceID"], "AccountID": acct["AccountID"],
           "Date": day, "Amount": amount, "CurrencyRate": rate.quantize(Decimal("0.000001")),
           "Reference": reference, "Status": "AUTHORISED", "Updated": now}
    org["payments"][pay["PaymentID"]] = pay
    inv["Payments"] = inv.get("Payments", []) + [{"PaymentID": pay["PaymentID"], "Date": day, "Amount": amount,
                                                  "CurrencyRate": pay["CurrencyRate"]}]
    invoices.settle(inv, amount, now, paid_on=day)
    return pay


def delete_payment(org, pay, now: float, check_locks: bool = True) -> list:
    """Delete a payment (Xero: ``POST /Payments/{PaymentID}`` with ``{"Status": "DELETED"}``): its invoice is
    due again (AUTHORISED once more if it was PAID). Returns errors (nothing changed when there are any)."""
    if pay["Status"] == "DELETED":
        return [m.MSG_PAYMENT_ALREADY_DELETED]
    # [INFERRED] a payment dated in a locked period cannot be removed through the API (only by an adviser).
    errors = invoices.lock_messages(org, pay["Date"]) if check_locks else []
    if errors:
        return errors
    pay["Status"] = "DELETED"
    pay["Updated"] = now
    inv = org["invoices"].get(pay.get("InvoiceID") or "")
    if inv is not None:
        inv["Payments"] = [p for p in inv.get("Payments", []) if p["PaymentID"] != pay["PaymentID"]]
        invoices.unsettle(inv, pay["Amount"], now)
    return []


def payment_row(org, pay) -> dict:
    """Fields of a payment visible to a ``where`` clause."""
    inv = org["invoices"].get(pay.get("InvoiceID") or "") or {}
    return {"PaymentID": pay["PaymentID"], "Status": pay["Status"], "Amount": pay["Amount"],
            "Reference": pay.get("Reference") or "",
            "PaymentType": "ACCPAYPAYMENT" if inv.get("Type") == "ACCPAY" else "ACCRECPAYMENT",
            "Date": wire.dt.datetime.fromisoformat(pay["Date"]).replace(tzinfo=wire.dt.timezone.utc),
            "UpdatedDateUTC": wire.dt.datetime.fromtimestamp(pay["Updated"], wire.dt.timezone.utc),
            "Invoice": {"InvoiceID": inv.get("InvoiceID"), "InvoiceNumber": inv.get("InvoiceNumber"),
                        "Contact": {"ContactID": inv.get("ContactID")}}}


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
