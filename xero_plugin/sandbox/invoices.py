"""Invoice rules and messages: validation, status machine, totals, rendering.

Messages are Xero's verbatim where XERO.md quotes a live response (section 6.1).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from . import messages as m
from . import tracking, wire

TYPES = ("ACCREC", "ACCPAY")
LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
TRANSITIONS = {  # confirmed by Xero support (xeroizer#48); same-status edits are allowed too
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"SUBMITTED", "DRAFT", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
}
_CLASS_FLAG = {"REVENUE": "CanApplyToRevenue", "EXPENSE": "CanApplyToExpenses", "ASSET": "CanApplyToAssets",
               "EQUITY": "CanApplyToEquity", "LIABILITY": "CanApplyToLiabilities"}
ZERO = Decimal("0")

MSG_NOT_VALID_FOR_MODIFICATION = "Invoice not of valid status for modification"
MSG_HAS_PAYMENT = "This document cannot be edited as it has a payment or credit note allocated to it."
MSG_NOT_VALID_FOR_CREATION = "Invoice not of valid status for creation"
MSG_UNIQUE = "Invoice # must be unique."
MSG_NO_CONTACT = "A Contact must be specified for this type of transaction"
MSG_EMPTY_CONTACT = "Contact cannot be empty."
MSG_NO_LINES = "One or more line items must be specified"
MSG_ACCOUNT_REQUIRED = "Account code must be specified"
# Live wording (xeroizer#92 quotes the XML; integrations quote the JSON): the date as dd-MMM-yyyy.
MSG_LOCKED = "The document date cannot be before the %s, currently set at %s"
MSG_CURRENCY = "Organisation is not subscribed to currency %s"  # live wording quoted by integrations (n8n#19499)
ONE = Decimal("1.000000")
_RATE_DP = Decimal("0.000001")  # CurrencyRate: max length [18].[6] [SPEC]
POSTED = ("AUTHORISED", "PAID")  # statuses with journals: what a lock date protects


class PostDataError(ValueError):
    """The body could not be read at all (Xero's 400 PostDataInvalidException, nothing processed)."""


def _field(raw, key, kind, path):
    value = raw.get(key)
    if value is None:
        return None
    try:
        if kind == "day":
            return wire.parse_day(value)
        if kind == "num":
            return wire.to_decimal(value)
    except ValueError:
        raise PostDataError("Error converting value %s to type '%s'. Path '%s'." % (
            wire.dumps(value).decode(), "System.DateTime" if kind == "day" else "System.Decimal", path)) from None
    return value


INVOICE_FIELDS = ("InvoiceID", "Type", "InvoiceNumber", "Reference", "Status", "Contact", "CurrencyCode", "Url",
                  "BrandingThemeID", "SentToContact")


def normalize(raw, index: int, collection: str = "Invoices", fields=INVOICE_FIELDS) -> dict:
    """Parse one posted invoice (or credit note: ``collection``, ``fields``) into plain Python values;
    raises PostDataError on bad types."""
    if not isinstance(raw, dict):
        raise PostDataError("Invalid %s at index %d" % ("invoice" if collection == "Invoices" else "element", index))
    path = "%s[%d]" % (collection, index)
    out = {k: raw.get(k) for k in fields if k in raw}
    for key in ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"):
        if raw.get(key) is not None:
            out[key] = _field(raw, key, "day", "%s.%s" % (path, key))
    if raw.get("CurrencyRate") is not None:
        out["CurrencyRate"] = _field(raw, "CurrencyRate", "num", "%s.CurrencyRate" % path)
    if isinstance(out.get("CurrencyCode"), str):
        out["CurrencyCode"] = out["CurrencyCode"].strip().upper()
    if raw.get("LineAmountTypes") is not None:
        lat = LINE_AMOUNT_TYPES.get(str(raw["LineAmountTypes"]).lower())
        if lat is None:
            raise PostDataError("Error converting value \"%s\" to type 'Xero.API.Library.LineAmountType'. "
                                "Path '%s.LineAmountTypes'." % (raw["LineAmountTypes"], path))
        out["LineAmountTypes"] = lat
    if "LineItems" in raw and raw["LineItems"] is not None:
        lines = []
        for j, line in enumerate(raw["LineItems"] or []):
            if not isinstance(line, dict):
                raise PostDataError("Invalid line item. Path '%s.LineItems[%d]'." % (path, j))
            lp = "%s.LineItems[%d]" % (path, j)
            item = {k: line.get(k) for k in ("LineItemID", "Description", "ItemCode", "AccountCode", "AccountID",
                                            "TaxType")}
            item["Tracking"] = _tracking_field(line.get("Tracking"), lp)
            for key in ("Quantity", "UnitAmount", "LineAmount", "DiscountRate", "TaxAmount"):
                item[key] = _field(line, key, "num", "%s.%s" % (lp, key))
            lines.append(item)
        out["LineItems"] = lines
    for key in ("Status", "Type"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip().upper()
    return out


def _tracking_field(value, path):
    """A line's Tracking must be a list of objects (Xero itself answers a 500 to a bare object)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise PostDataError("Invalid tracking. Path '%s.Tracking'." % path)
    return [{k: t.get(k) for k in ("TrackingCategoryID", "TrackingOptionID", "Name", "Option") if t.get(k)}
            for t in value]


def number_index(org) -> dict:
    """lower(InvoiceNumber) -> InvoiceID for ACCREC invoices (built lazily, kept by ``apply``)."""
    idx = org.get("numbers")
    if idx is None:
        idx = org["numbers"] = {i["InvoiceNumber"].lower(): i["InvoiceID"] for i in org["invoices"].values()
                                if i["Type"] == "ACCREC" and i["InvoiceNumber"]}
    return idx


def find_by_number(org, number: str, exclude_id: str | None = None):
    """An ACCREC invoice with this number (case-insensitive), any status."""
    iid = number_index(org).get((number or "").strip().lower())
    if iid is None or iid == exclude_id:
        return None
    return org["invoices"].get(iid)


def find_invoice(org, key: str):
    """By InvoiceID, else by InvoiceNumber (ACCREC first)."""
    inv = org["invoices"].get((key or "").lower())
    if inv is not None:
        return inv
    return find_by_number(org, key) or next(
        (i for i in org["invoices"].values() if i["InvoiceNumber"] == key), None)


def _account(org, line):
    if line.get("AccountID"):
        return next((a for a in org["accounts"] if a["AccountID"] == str(line["AccountID"]).lower()), None), True
    code = (line.get("AccountCode") or "").strip()
    if not code:
        return None, False
    return next((a for a in org["accounts"] if (a["Code"] or "").lower() == code.lower()), None), True


def _tax_rate(org, tax_type):
    want = tax_type.strip().upper()
    return next((t for t in org["tax_rates"] if t["TaxType"] == want), None)


def lock_messages(org, day: str | None) -> list:
    """Xero's refusals for a document dated on or before the organisation's lock dates.

    Both apply to the API (its user is not an adviser): the period lock date ("stop all users except
    advisers making changes on and before") and the end of year lock date (all users).
    """
    out = []
    if not day:
        return out
    for key, label in (("period_lock_date", "period lock date"), ("end_of_year_lock_date", "end of year lock date")):
        lock = org.get(key)
        if lock and day <= lock:
            out.append(MSG_LOCKED % (label, wire.lock_day(lock)))
    return out


def org_today(org, now: float) -> str:
    """Today in the organisation's timezone (Organisation.Timezone)."""
    return wire.org_day(now, org.get("timezone"))


def apply_currency(org, inv, data, existing, out) -> None:
    """CurrencyCode must be one the organisation has added; a foreign invoice keeps the CurrencyRate given,
    else the previous one, else the day rate [SPEC Invoice.CurrencyRate]."""
    base = org["currency"]
    code = str(inv.get("CurrencyCode") or base).upper()
    inv["CurrencyCode"] = code
    if code == base:
        inv["CurrencyRate"] = ONE
        return
    if not any(c["Code"] == code for c in org.get("currencies", ())):
        out.error(MSG_CURRENCY % code)
        inv["CurrencyRate"] = ONE
        return
    given = data.get("CurrencyRate")
    if given is not None and given > 0:
        rate = given
    elif existing is not None and existing.get("CurrencyCode") == code and existing.get("CurrencyRate"):
        rate = existing["CurrencyRate"]
    else:
        rate = org.get("day_rates", {}).get(code) or ONE
    inv["CurrencyRate"] = rate.quantize(_RATE_DP)


class Outcome:
    """Result of applying one invoice (or credit note) element."""

    def __init__(self):
        self.errors, self.warnings = [], []
        self.record, self.existing, self.new_contact = None, None, None

    def error(self, msg):
        if msg not in self.errors:
            self.errors.append(msg)

    def warn(self, msg):
        if msg not in self.warnings:
            self.warnings.append(msg)


def resolve_contact(org, contact, out: Outcome):
    """The contact an invoice or credit note names: by ContactID, else ContactNumber, else Name (an active
    contact first). A name no contact has makes a new one (``out.new_contact``, saved only with the document).
    An archived contact is returned as such; the caller refuses it."""
    if not isinstance(contact, dict):
        out.error(MSG_EMPTY_CONTACT)
        return None
    cid, number, name = contact.get("ContactID"), contact.get("ContactNumber"), (contact.get("Name") or "").strip()
    if cid and cid != wire.ZERO_GUID:
        hit = org["contacts"].get(str(cid).lower())
        if hit is None:
            out.error(MSG_EMPTY_CONTACT)  # [INFERRED] unknown ContactID; no live message found
        return hit
    if number:
        hit = next((c for c in org["contacts"].values() if c.get("ContactNumber") == number), None)
        if hit is not None:
            return hit
        if not name:
            out.error("Contact Name cannot be empty.")
            return None
    if not name:
        out.error(MSG_EMPTY_CONTACT)
        return None
    named = [c for c in org["contacts"].values() if c["Name"].lower() == name.lower()]
    # [INFERRED] a name only an archived contact has finds that contact ("the contact with the specified
    # contact details has been archived"), rather than making a second one.
    hit = next((c for c in named if c["ContactStatus"] == "ACTIVE"), None) or (named[0] if named else None)
    if hit is None:  # created only if the invoice itself is saved
        out.new_contact = {"ContactID": str(uuid.uuid4()), "Name": name, "ContactStatus": "ACTIVE",
                           "ContactNumber": number, "EmailAddress": contact.get("EmailAddress")}
        return out.new_contact
    return hit


def check_contact(org, doc, contact, out: Outcome) -> None:
    """Xero refuses a document (other than a void or delete) whose contact is archived."""
    contact = contact or org["contacts"].get(doc.get("ContactID") or "")
    if contact is not None and contact.get("ContactStatus") == "ARCHIVED" and doc["Status"] not in ("VOIDED",
                                                                                                      "DELETED"):
        out.error(m.MSG_CONTACT_ARCHIVED)


def check_branding_theme(org, doc, out: Outcome) -> None:
    """A BrandingThemeID must be one of the organisation's (kept in its canonical form)."""
    given = doc.get("BrandingThemeID")
    if not given:
        return
    theme = next((t for t in org["branding_themes"] if t["BrandingThemeID"] == str(given).strip().lower()), None)
    if theme is None:
        out.error(m.MSG_BRANDING_THEME % given)
    else:
        doc["BrandingThemeID"] = theme["BrandingThemeID"]


def _description_only(line) -> bool:
    return bool((line.get("Description") or "").strip()) and all(
        line.get(key) in (None, "") for key in ("Quantity", "UnitAmount", "LineAmount", "AccountCode", "AccountID",
                                                 "ItemCode", "TaxType"))


def price_lines(org, inv, lines, unitdp, out: Outcome):
    """Validate accounts, tax types and tracking; compute line, tax and document totals."""
    lat, status = inv["LineAmountTypes"], inv["Status"]
    priced, sub, tax_total = [], ZERO, ZERO
    for line in lines:
        if _description_only(line):
            # SPEC L20678: "A line item with just a description (i.e no unit amount or quantity) can be created
            # by specifying just a <Description> element": no account, no amount, no tax.
            priced.append({"LineItemID": (str(line["LineItemID"]).lower() if line.get("LineItemID")
                                          else str(uuid.uuid4())), "Description": line.get("Description"),
                           "LineAmount": ZERO, "TaxAmount": ZERO, "Tracking": []})
            continue
        acct, had_code = _account(org, line)
        code = line.get("AccountCode") or (acct or {}).get("Code")
        if had_code and acct is None:
            if status == "DRAFT":
                out.warn("Account code '%s' has been removed as it does not match a recognised account." % code)
            else:
                out.error("Account code '%s' is not a valid code for this document." % code)
        elif acct is not None and acct["Status"] != "ACTIVE":
            out.error("Account code '%s' has been archived, or has been deleted. "
                      "Each line item must reference a valid account." % acct["Code"])
        elif acct is not None and (acct["Type"] == "BANK" or acct["SystemAccount"]):
            out.error("Account code '%s' is not a valid code for this document." % acct["Code"])
        elif acct is None and status not in ("DRAFT", "DELETED", "VOIDED"):
            out.error(MSG_ACCOUNT_REQUIRED)
        acct = acct if (acct is not None and acct["Status"] == "ACTIVE") else None
        tax_type = (line.get("TaxType") or "").strip().upper() or (acct["TaxType"] if acct else "NONE")
        if lat == "NoTax":
            tax_type = "NONE"
        rate = _tax_rate(org, tax_type)
        direction = "CanApplyToRevenue" if inv["Type"] in ("ACCREC", "ACCRECCREDIT") else "CanApplyToExpenses"
        if rate is None or rate["Status"] != "ACTIVE" or not rate[direction]:
            out.error("The TaxType code %s does not exist or cannot be used for this type of transaction." % tax_type)
            rate = None
        elif acct is not None and not rate[_CLASS_FLAG[acct["Class"]]]:
            out.error("The TaxType code '%s' cannot be used with account code '%s'." % (tax_type, acct["Code"]))
        qty, unit_amt, line_amt = line.get("Quantity"), line.get("UnitAmount"), line.get("LineAmount")
        if qty is None and unit_amt is None and line_amt is not None:
            qty, unit_amt = Decimal(1), line_amt
        qty = Decimal(1) if qty is None else qty
        unit_amt = wire.unit(ZERO if unit_amt is None else unit_amt, unitdp)
        disc = line.get("DiscountRate") or ZERO
        amount = wire.money(qty * unit_amt * (1 - disc / 100))
        pct = (rate["EffectiveRate"] if rate else ZERO) / 100
        if lat == "Exclusive":
            tax = wire.money(amount * pct)
        elif lat == "Inclusive":
            tax = wire.money(amount - amount / (1 + pct))
        else:
            tax = ZERO
        sub += amount - tax if lat == "Inclusive" else amount
        tax_total += tax
        priced.append({"LineItemID": (str(line["LineItemID"]).lower() if line.get("LineItemID") else str(uuid.uuid4())),
                       "Description": line.get("Description"), "ItemCode": line.get("ItemCode"),
                       "Quantity": qty, "UnitAmount": unit_amt, "DiscountRate": line.get("DiscountRate"),
                       "AccountCode": acct["Code"] if acct else (None if had_code else code),
                       "AccountID": acct["AccountID"] if acct else None, "TaxType": tax_type,
                       "TaxAmount": tax, "LineAmount": amount,
                       "Tracking": tracking.resolve_line(org, line.get("Tracking"), out)})
    inv.update(LineItems=priced, SubTotal=wire.money(sub), TotalTax=wire.money(tax_total),
               Total=wire.money(sub + tax_total))


def apply(org, data: dict, mode: str, now: float, unitdp: int = 2, target=None) -> Outcome:
    """Apply one normalized invoice: mode "create" (PUT), "upsert" (POST) or "update" (POST /{id}).

    On success ``outcome.record`` is the stored record (already committed to ``org``);
    on failure nothing is changed and ``outcome.record`` is the would-be invoice for the echo.
    """
    out = Outcome()
    given_id = data.get("InvoiceID")
    given_id = None if given_id in (None, "", wire.ZERO_GUID) else str(given_id).lower()
    existing = target
    if mode == "create" and given_id:
        out.error("Invoice ID cannot be specified when creating an invoice; use POST to update.")  # [INFERRED]
    elif mode == "upsert" and given_id:
        existing = org["invoices"].get(given_id)
        if existing is None:
            out.error("Invoice could not be found.")  # [INFERRED] wording
    elif mode == "upsert" and data.get("InvoiceNumber") and data.get("Type", "ACCREC") == "ACCREC":
        existing = find_by_number(org, data["InvoiceNumber"])
    out.existing = existing
    if existing is not None:
        inv = {k: (list(v) if isinstance(v, list) else v) for k, v in existing.items()}
        new_status = data.get("Status") or existing["Status"]
        if existing["AmountPaid"] > 0 or existing["AmountCredited"] > 0 or existing["Status"] == "PAID":
            # Re-sending AUTHORISED (the status before payment) is an edit, not a status change.
            if new_status not in (existing["Status"], "AUTHORISED", "PAID"):
                out.error("The status %s cannot be applied to the invoice because it has payments or credit "
                          "notes allocated to it." % new_status)
            else:
                out.error(MSG_NOT_VALID_FOR_MODIFICATION)
                out.error(MSG_HAS_PAYMENT)
        elif new_status not in TRANSITIONS.get(existing["Status"], ()):
            out.error(MSG_NOT_VALID_FOR_MODIFICATION)
        inv["Status"] = new_status
    else:
        inv = {"InvoiceID": str(uuid.uuid4()), "Type": data.get("Type"), "InvoiceNumber": None,
               "Status": data.get("Status") or "DRAFT", "LineAmountTypes": "Exclusive",
               "Date": org_today(org, now), "DueDate": None, "CurrencyCode": org["currency"], "CurrencyRate": ONE,
               "AmountPaid": ZERO, "AmountCredited": ZERO, "Payments": [], "CreditNotes": [], "FullyPaidOnDate": None,
               "Reference": None, "Url": None, "BrandingThemeID": None, "SentToContact": False,
               "ExpectedPaymentDate": None, "PlannedPaymentDate": None, "ContactID": None,
               "LineItems": [], "SubTotal": ZERO, "TotalTax": ZERO, "Total": ZERO, "Created": now}
        if inv["Type"] not in TYPES:
            out.error("Invoice Type must be ACCREC or ACCPAY." if inv["Type"] else "Invoice Type must be specified.")
            inv["Type"] = inv["Type"] if inv["Type"] in ("ACCPAYCREDIT", "ACCRECCREDIT") else "ACCREC"
        if inv["Status"] not in CREATE_STATUSES:
            out.error(MSG_NOT_VALID_FOR_CREATION)
            inv["Status"] = inv["Status"] if inv["Status"] in ("PAID", "VOIDED", "DELETED") else "DRAFT"
    for key in ("Reference", "Url", "BrandingThemeID", "SentToContact", "Date", "DueDate", "LineAmountTypes",
                "ExpectedPaymentDate", "PlannedPaymentDate", "CurrencyCode"):
        if data.get(key) is not None:
            inv[key] = data[key]
    contact = None
    if data.get("Contact") is not None:
        contact = resolve_contact(org, data["Contact"], out)
        inv["ContactID"] = contact["ContactID"] if contact else None
        inv["ContactName"] = (contact or {}).get("Name") or (data["Contact"] or {}).get("Name")
    elif existing is None:
        out.error(MSG_NO_CONTACT)
    check_contact(org, inv, contact, out)
    check_branding_theme(org, inv, out)
    if data.get("LineItems") is not None:
        lines = data["LineItems"]
    else:
        lines = existing["RawLines"] if existing is not None else []
    if not lines and inv["Status"] not in ("DELETED", "VOIDED"):
        out.error(MSG_NO_LINES)
    if inv["Status"] not in ("DELETED", "VOIDED") or data.get("LineItems") is not None:
        price_lines(org, inv, lines, unitdp, out)
        # Keep the LineItemIDs so a later re-price (e.g. a status-only update) does not mint new ones.
        lines = [dict(raw, LineItemID=priced["LineItemID"]) for raw, priced in zip(lines, inv["LineItems"])]
    inv["RawLines"] = lines
    number = data.get("InvoiceNumber")
    if number is not None:
        inv["InvoiceNumber"] = str(number).strip()
    if inv["Type"] == "ACCREC" and inv["InvoiceNumber"] and find_by_number(org, inv["InvoiceNumber"], inv["InvoiceID"]):
        out.error(MSG_UNIQUE)
    apply_currency(org, inv, data, existing, out)
    # A posted invoice dated in a locked period can be neither changed nor voided, and nothing may be
    # approved into one; drafts and submitted invoices carry no journals and are allowed.
    if existing is not None and existing["Status"] in POSTED:
        for msg in lock_messages(org, existing["Date"]):
            out.error(msg)
    if inv["Status"] in POSTED:
        for msg in lock_messages(org, inv["Date"]):
            out.error(msg)
    out.record = inv
    if out.errors:
        return out
    if not inv["InvoiceNumber"]:
        inv["InvoiceNumber"] = _next_number(org) if inv["Type"] == "ACCREC" else ""
    if out.new_contact is not None:
        out.new_contact["UpdatedDate"] = now
        org["contacts"][out.new_contact["ContactID"]] = out.new_contact
    inv["Updated"] = now
    org["invoices"][inv["InvoiceID"]] = inv
    if inv["Type"] == "ACCREC":
        idx = number_index(org)
        if existing is not None and existing["InvoiceNumber"].lower() != inv["InvoiceNumber"].lower():
            idx.pop(existing["InvoiceNumber"].lower(), None)
        idx[inv["InvoiceNumber"].lower()] = inv["InvoiceID"]
    return out


def _next_number(org) -> str:
    while True:
        number = "INV-%04d" % org["next_number"]
        org["next_number"] += 1
        if find_by_number(org, number) is None:
            return number


def settle(inv, amount: Decimal, now: float, paid_on: str | None = None) -> None:
    """Record money received against an invoice; PAID once nothing is due (on ``paid_on``, an ISO day)."""
    inv["AmountPaid"] = wire.money(inv["AmountPaid"] + amount)
    if inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"] <= 0:
        inv["Status"] = "PAID"
        inv["FullyPaidOnDate"] = paid_on or wire.day_of(now)
    inv["Updated"] = now


def unsettle(inv, amount: Decimal, now: float) -> None:
    """Take back money received (a deleted payment): a PAID invoice that is due again is AUTHORISED."""
    inv["AmountPaid"] = wire.money(inv["AmountPaid"] - amount)
    reopen(inv, now)


def reopen(inv, now: float) -> None:
    """After money or credit is taken off an invoice: AUTHORISED again once something is due."""
    if inv["Status"] == "PAID" and inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"] > 0:
        inv["Status"] = "AUTHORISED"
        inv["FullyPaidOnDate"] = None
    inv["Updated"] = now


def credit(inv, amount: Decimal, now: float, credited_on: str) -> None:
    """Credit allocated to an invoice; PAID once nothing is due, as Xero does for a fully credited invoice."""
    inv["AmountCredited"] = wire.money(inv["AmountCredited"] + amount)
    if inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"] <= 0:
        inv["Status"] = "PAID"
        inv["FullyPaidOnDate"] = credited_on
    inv["Updated"] = now


def contact_ref(org, doc) -> dict:
    """The Contact element of a rendered invoice or credit note."""
    contact = org["contacts"].get(doc.get("ContactID") or "")
    return {"ContactID": contact["ContactID"] if contact else wire.ZERO_GUID,
            "ContactStatus": contact["ContactStatus"] if contact else "ACTIVE",
            "Name": contact["Name"] if contact else (doc.get("ContactName") or ""),
            "Addresses": [], "Phones": [], "ContactGroups": [], "ContactPersons": [], "HasValidationErrors": False}


def render(org, inv, lines: bool = True, errors=(), warnings=(), echo_id=None) -> dict:
    """An invoice exactly as Xero serialises it (ms-dates, enum-legal values, JSON booleans)."""
    due = inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"]
    body = {
        "Type": inv["Type"], "InvoiceID": echo_id or inv["InvoiceID"], "InvoiceNumber": inv["InvoiceNumber"] or "",
        "Reference": inv.get("Reference") or "",
        "Prepayments": [], "Overpayments": [], "CreditNotes": _credit_notes(org, inv),
        "AmountDue": wire.money(due), "AmountPaid": inv["AmountPaid"], "AmountCredited": inv["AmountCredited"],
        "SentToContact": bool(inv.get("SentToContact")), "CurrencyRate": inv.get("CurrencyRate") or ONE,
        "IsDiscounted": False, "HasAttachments": bool(org.get("attachments", {}).get(inv["InvoiceID"])),
        "Contact": contact_ref(org, inv),
        "DateString": wire.day_string(inv["Date"]), "Date": wire.ms_date(inv["Date"]),
        "Status": inv["Status"], "LineAmountTypes": inv["LineAmountTypes"],
        "SubTotal": inv["SubTotal"], "TotalTax": inv["TotalTax"], "Total": inv["Total"],
        "UpdatedDateUTC": wire.ms_instant(inv.get("Updated", 0)),
        "UpdatedDateUTCString": wire.instant_string(inv.get("Updated", 0)),
        "CurrencyCode": inv["CurrencyCode"],
        "Payments": [{"PaymentID": p["PaymentID"], "Date": wire.ms_date(p["Date"]), "Amount": p["Amount"],
                      "CurrencyRate": p.get("CurrencyRate") or ONE, "HasAccount": False, "HasValidationErrors": False}
                     for p in inv.get("Payments", [])],
        "HasErrors": bool(errors),
    }
    for key in ("DueDate", "ExpectedPaymentDate", "PlannedPaymentDate", "FullyPaidOnDate"):
        if inv.get(key):
            body[key] = wire.ms_date(inv[key])
            if key == "DueDate":
                body["DueDateString"] = wire.day_string(inv[key])
    for key in ("Url", "BrandingThemeID"):
        if inv.get(key):
            body[key] = inv[key]
    if lines:
        body["LineItems"] = [{k: v for k, v in line.items() if v is not None and k != "AccountID"}
                             | {"ValidationErrors": []} for line in inv["LineItems"]]
    if errors:
        body["ValidationErrors"] = [{"Message": m} for m in errors]
    if warnings:
        body["Warnings"] = [{"Message": m} for m in warnings]
    return body


def _credit_notes(org, inv) -> list:
    """The credit notes allocated to an invoice, each with the amount applied [SPEC Invoice.CreditNotes]."""
    out = []
    for alloc in inv.get("CreditNotes") or ():
        note = org.get("credit_notes", {}).get(alloc["CreditNoteID"]) or {}
        out.append({"CreditNoteID": alloc["CreditNoteID"], "CreditNoteNumber": note.get("CreditNoteNumber") or "",
                    "Type": note.get("Type") or "ACCRECCREDIT", "AppliedAmount": alloc["Amount"],
                    "Total": note.get("Total", ZERO), "DateString": wire.day_string(alloc["Date"]),
                    "Date": wire.ms_date(alloc["Date"]), "HasErrors": False})
    return out


def filter_row(org, inv) -> dict:
    """The fields a ``where`` clause can see, as comparable Python values."""
    contact = org["contacts"].get(inv.get("ContactID") or "", {})
    day = lambda d: wire.dt.datetime.fromisoformat(d).replace(tzinfo=wire.dt.timezone.utc) if d else None
    return {"InvoiceID": inv["InvoiceID"], "InvoiceNumber": inv["InvoiceNumber"], "Type": inv["Type"],
            "Status": inv["Status"], "Reference": inv.get("Reference") or "",
            "Contact": {"ContactID": contact.get("ContactID"), "Name": contact.get("Name"),
                        "ContactNumber": contact.get("ContactNumber")},
            "Date": day(inv["Date"]), "DueDate": day(inv.get("DueDate")),
            "UpdatedDateUTC": wire.dt.datetime.fromtimestamp(inv.get("Updated", 0), wire.dt.timezone.utc),
            "AmountDue": inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"], "AmountPaid": inv["AmountPaid"],
            "AmountCredited": inv["AmountCredited"],
            "Total": inv["Total"], "SubTotal": inv["SubTotal"], "CurrencyCode": inv["CurrencyCode"]}
