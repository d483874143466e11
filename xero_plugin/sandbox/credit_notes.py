"""Credit notes (``/CreditNotes``) and their allocations to invoices (``PUT /CreditNotes/{id}/Allocations``).

A credit note is priced and validated like an invoice (contact, accounts, tax, tracking, currency, lock
dates: the helpers in ``invoices``), with the same status machine. Allocating it to an invoice of the same
contact moves money from its ``RemainingCredit`` to the invoice's ``AmountCredited``; either becomes PAID
when nothing is left, as Xero does. Allocations are a separate call: Xero ignores them inline on a create.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from . import invoices, wire
from . import messages as m

TYPES = ("ACCRECCREDIT", "ACCPAYCREDIT")
INVOICE_TYPE = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}
FIELDS = ("CreditNoteID", "Type", "CreditNoteNumber", "Reference", "Status", "Contact", "CurrencyCode",
          "BrandingThemeID", "SentToContact")
ZERO = Decimal("0")


def normalize(raw, index: int) -> dict:
    """Parse one posted credit note; raises ``invoices.PostDataError`` on bad types."""
    return invoices.normalize(raw, index, "CreditNotes", FIELDS)


def find_by_number(org, number: str, exclude_id: str | None = None):
    """An ACCRECCREDIT credit note with this number (case-insensitive), any status."""
    low = (number or "").strip().lower()
    return next((n for n in org["credit_notes"].values() if n["Type"] == "ACCRECCREDIT" and low
                 and (n["CreditNoteNumber"] or "").lower() == low and n["CreditNoteID"] != exclude_id), None)


def find(org, key: str):
    """By CreditNoteID, else by CreditNoteNumber."""
    return org["credit_notes"].get((key or "").strip().lower()) or find_by_number(org, key)


def allocated(note) -> Decimal:
    return sum((a["Amount"] for a in note.get("Allocations", ())), ZERO)


def remaining(note) -> Decimal:
    """RemainingCredit: what is left to allocate (a draft's whole total, as in Xero's example)."""
    return wire.money(note["Total"] - allocated(note))


def apply(org, data: dict, mode: str, now: float, unitdp: int = 2, target=None) -> invoices.Outcome:
    """Apply one normalized credit note: mode "create" (PUT), "upsert" (POST) or "update" (POST /{id}).

    A CreditNoteID names an existing credit note (unknown: Xero's "could not be found"); a POST without one
    matches an ACCRECCREDIT by its number [INFERRED, as invoices]. On failure nothing is changed.
    """
    out = invoices.Outcome()
    given_id = data.get("CreditNoteID")
    given_id = None if given_id in (None, "", wire.ZERO_GUID) else str(given_id).strip().lower()
    existing = target
    if existing is None and given_id:
        existing = org["credit_notes"].get(given_id)
        if existing is None:
            out.error(m.MSG_CN_NOT_FOUND)
    elif existing is None and mode == "upsert" and data.get("CreditNoteNumber") \
            and data.get("Type", "ACCRECCREDIT") == "ACCRECCREDIT":
        existing = find_by_number(org, data["CreditNoteNumber"])
    out.existing = existing
    if existing is not None:
        note = {k: (list(v) if isinstance(v, list) else v) for k, v in existing.items()}
        new_status = data.get("Status") or existing["Status"]
        if allocated(existing) > 0 or existing["Status"] == "PAID":
            out.error(invoices.MSG_HAS_PAYMENT)  # live wording for an allocated credit note (xeroizer#211)
        elif new_status not in invoices.TRANSITIONS.get(existing["Status"], ()):
            out.error(m.MSG_CN_NOT_VALID_FOR_MODIFICATION)
        note["Status"] = new_status
    else:
        note = {"CreditNoteID": str(uuid.uuid4()), "Type": data.get("Type"), "CreditNoteNumber": None,
                "Status": data.get("Status") or "DRAFT", "LineAmountTypes": "Exclusive",
                "Date": invoices.org_today(org, now), "DueDate": None, "CurrencyCode": org["currency"],
                "CurrencyRate": invoices.ONE, "Allocations": [], "FullyPaidOnDate": None, "Reference": None,
                "BrandingThemeID": None, "SentToContact": False, "ContactID": None, "LineItems": [],
                "SubTotal": ZERO, "TotalTax": ZERO, "Total": ZERO, "Created": now}
        if note["Type"] not in TYPES:
            out.error(m.MSG_CN_TYPE)
            note["Type"] = "ACCRECCREDIT"
        if note["Status"] not in invoices.CREATE_STATUSES:
            out.error(m.MSG_CN_NOT_VALID_FOR_CREATION)
            note["Status"] = note["Status"] if note["Status"] in ("PAID", "VOIDED", "DELETED") else "DRAFT"
    for key in ("Reference", "BrandingThemeID", "SentToContact", "Date", "DueDate", "LineAmountTypes",
                "CurrencyCode"):
        if data.get(key) is not None:
            note[key] = data[key]
    contact = None
    if data.get("Contact") is not None:
        contact = invoices.resolve_contact(org, data["Contact"], out)
        note["ContactID"] = contact["ContactID"] if contact else None
        note["ContactName"] = (contact or {}).get("Name") or (data["Contact"] or {}).get("Name")
    elif existing is None:
        out.error(invoices.MSG_NO_CONTACT)
    invoices.check_contact(org, note, contact, out)
    invoices.check_branding_theme(org, note, out)
    lines = data["LineItems"] if data.get("LineItems") is not None else (existing or {}).get("RawLines", [])
    if not lines and note["Status"] not in ("DELETED", "VOIDED"):
        out.error(invoices.MSG_NO_LINES)
    if note["Status"] not in ("DELETED", "VOIDED") or data.get("LineItems") is not None:
        invoices.price_lines(org, note, lines, unitdp, out)
        lines = [dict(raw, LineItemID=priced["LineItemID"]) for raw, priced in zip(lines, note["LineItems"])]
    note["RawLines"] = lines
    if data.get("CreditNoteNumber") is not None:
        note["CreditNoteNumber"] = str(data["CreditNoteNumber"]).strip()
    if note["Type"] == "ACCRECCREDIT" and note["CreditNoteNumber"] \
            and find_by_number(org, note["CreditNoteNumber"], note["CreditNoteID"]):
        out.error(m.MSG_CN_UNIQUE)
    invoices.apply_currency(org, note, data, existing, out)
    if existing is not None and existing["Status"] in invoices.POSTED:
        for msg in invoices.lock_messages(org, existing["Date"]):
            out.error(msg)
    if note["Status"] in invoices.POSTED:
        for msg in invoices.lock_messages(org, note["Date"]):
            out.error(msg)
    out.record = note
    if out.errors:
        return out
    if not note["CreditNoteNumber"]:
        note["CreditNoteNumber"] = _next_number(org) if note["Type"] == "ACCRECCREDIT" else ""
    if out.new_contact is not None:
        out.new_contact["UpdatedDate"] = now
        org["contacts"][out.new_contact["ContactID"]] = out.new_contact
    note["Updated"] = now
    org["credit_notes"][note["CreditNoteID"]] = note
    return out


def _next_number(org) -> str:
    while True:
        number = "CN-%04d" % org["next_credit_number"]
        org["next_credit_number"] += 1
        if find_by_number(org, number) is None:
            return number


# -- allocations ---------------------------------------------------------------------------


def allocate(org, note, data, now: float):
    """Allocate part of a credit note to an invoice. Returns (allocation or echo, invoice or None, errors);
    every refusal that applies is listed, as Xero lists them."""
    if not isinstance(data, dict):
        raise invoices.PostDataError("Invalid allocation. Path 'Allocations[0]'.")
    ref = data.get("Invoice") or {}
    inv = None
    if isinstance(ref, dict) and ref.get("InvoiceID"):
        inv = org["invoices"].get(str(ref["InvoiceID"]).strip().lower())
    elif isinstance(ref, dict) and ref.get("InvoiceNumber"):
        inv = invoices.find_invoice(org, ref["InvoiceNumber"])
    try:
        amount = wire.money(wire.to_decimal(data.get("Amount"), ZERO))
        day = wire.parse_day(data["Date"]) if data.get("Date") else invoices.org_today(org, now)
    except ValueError:
        raise invoices.PostDataError("Error converting value to type 'System.Decimal'. "
                                     "Path 'Allocations[0].Amount'.") from None
    errors = []
    if note["Status"] not in ("AUTHORISED", "PAID"):
        errors.append(m.MSG_ALLOC_CREDIT_STATUS)
    if inv is None:
        errors.append(m.MSG_INVOICE_NOT_FOUND)
    else:
        if inv["Type"] != INVOICE_TYPE[note["Type"]]:
            errors.append(m.MSG_ALLOC_WRONG_TYPE)
        if inv["Status"] == "PAID":
            errors.append(m.MSG_ALLOC_PAID_OFF)
        elif inv["Status"] != "AUTHORISED":
            errors.append(m.MSG_ALLOC_INVOICE_STATUS)
        if amount > inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"]:
            errors.append(m.MSG_ALLOC_EXCEEDS_OUTSTANDING)
        if inv.get("ContactID") != note.get("ContactID"):
            errors.append(m.MSG_ALLOC_CONTACT)
        if inv.get("CurrencyCode") != note.get("CurrencyCode"):
            errors.append(m.MSG_ALLOC_CURRENCY)
    if amount > remaining(note):
        errors.append(m.MSG_ALLOC_EXCEEDS_CREDIT)
    if amount <= 0:
        errors.append(m.MSG_ALLOC_AMOUNT)
    errors.extend(invoices.lock_messages(org, day))  # [INFERRED] as for payments
    alloc = {"AllocationID": wire.ZERO_GUID if errors else str(uuid.uuid4()), "CreditNoteID": note["CreditNoteID"],
             "InvoiceID": inv["InvoiceID"] if inv else (ref.get("InvoiceID") if isinstance(ref, dict) else None),
             "Amount": amount, "Date": day}
    if errors:
        return alloc, inv, errors
    note["Allocations"] = note.get("Allocations", []) + [alloc]
    if remaining(note) <= 0:
        note["Status"] = "PAID"
        note["FullyPaidOnDate"] = day
    note["Updated"] = now
    inv["CreditNotes"] = inv.get("CreditNotes", []) + [{"CreditNoteID": note["CreditNoteID"],
                                                        "AllocationID": alloc["AllocationID"],
                                                        "Amount": amount, "Date": day}]
    invoices.credit(inv, amount, now, credited_on=day)
    return alloc, inv, []


# -- rendering -----------------------------------------------------------------------------


def render_allocation(org, alloc, errors=()) -> dict:
    """An Allocation as ``PUT /CreditNotes/{id}/Allocations`` answers it (Invoice, Amount and Date always
    present: the SDK refuses an allocation without them)."""
    inv = org["invoices"].get(alloc.get("InvoiceID") or "")
    note = org["credit_notes"].get(alloc["CreditNoteID"]) or {}
    body = {"AllocationID": alloc["AllocationID"], "Amount": alloc["Amount"], "Date": wire.ms_date(alloc["Date"]),
            "Invoice": ({"InvoiceID": inv["InvoiceID"], "InvoiceNumber": inv["InvoiceNumber"], "Type": inv["Type"],
                         "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
                         "HasErrors": False, "IsDiscounted": False, "HasAttachments": False}
                        if inv else {"InvoiceID": alloc.get("InvoiceID") or wire.ZERO_GUID}),
            "CreditNote": {"CreditNoteID": alloc["CreditNoteID"], "CreditNoteNumber": note.get("CreditNoteNumber")
                           or "", "Type": note.get("Type") or "ACCRECCREDIT"},
            "IsDeleted": False, "StatusAttributeString": "ERROR" if errors else "OK"}
    if errors:
        body["ValidationErrors"] = [{"Message": msg} for msg in errors]
    return body


def render(org, note, lines: bool = True, errors=(), warnings=(), echo_id=None) -> dict:
    """A credit note as Xero serialises it [SPEC CreditNote; the PUT /CreditNotes example]."""
    body = {
        "CreditNoteID": echo_id or note["CreditNoteID"], "CreditNoteNumber": note["CreditNoteNumber"] or "",
        "Type": note["Type"], "Reference": note.get("Reference") or "", "Payments": [],
        "CurrencyRate": note.get("CurrencyRate") or invoices.ONE, "RemainingCredit": remaining(note),
        "Allocations": [render_allocation(org, a) for a in note.get("Allocations", ())],
        "HasAttachments": False, "Contact": invoices.contact_ref(org, note),
        "DateString": wire.day_string(note["Date"]), "Date": wire.ms_date(note["Date"]),
        "Status": note["Status"], "LineAmountTypes": note["LineAmountTypes"],
        "SubTotal": note["SubTotal"], "TotalTax": note["TotalTax"], "Total": note["Total"],
        "UpdatedDateUTC": wire.ms_instant(note.get("Updated", 0)),
        "UpdatedDateUTCString": wire.instant_string(note.get("Updated", 0)),
        "CurrencyCode": note["CurrencyCode"], "SentToContact": bool(note.get("SentToContact")),
        "HasErrors": bool(errors),
    }
    for key in ("DueDate", "FullyPaidOnDate"):
        if note.get(key):
            body[key] = wire.ms_date(note[key])
    if note.get("BrandingThemeID"):
        body["BrandingThemeID"] = note["BrandingThemeID"]
    if lines:
        body["LineItems"] = [{k: v for k, v in line.items() if v is not None and k != "AccountID"}
                             | {"ValidationErrors": []} for line in note["LineItems"]]
    if errors:
        body["ValidationErrors"] = [{"Message": msg} for msg in errors]
    if warnings:
        body["Warnings"] = [{"Message": msg} for msg in warnings]
    return body


def filter_row(org, note) -> dict:
    """The fields a ``where`` clause can see."""
    contact = org["contacts"].get(note.get("ContactID") or "", {})
    day = lambda d: wire.dt.datetime.fromisoformat(d).replace(tzinfo=wire.dt.timezone.utc) if d else None
    return {"CreditNoteID": note["CreditNoteID"], "CreditNoteNumber": note["CreditNoteNumber"], "Type": note["Type"],
            "Status": note["Status"], "Reference": note.get("Reference") or "",
            "Contact": {"ContactID": contact.get("ContactID"), "Name": contact.get("Name"),
                        "ContactNumber": contact.get("ContactNumber")},
            "Date": day(note["Date"]), "Total": note["Total"], "SubTotal": note["SubTotal"],
            "RemainingCredit": remaining(note), "CurrencyCode": note["CurrencyCode"],
            "UpdatedDateUTC": wire.dt.datetime.fromtimestamp(note.get("Updated", 0), wire.dt.timezone.utc)}
