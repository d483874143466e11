"""Invoice history and notes: ``GET /Invoices/{InvoiceID}/History`` and ``PUT`` (or ``POST``, "exactly the same")
``/Invoices/{InvoiceID}/History`` with ``{"HistoryRecords": [{"Details": "..."}]}`` [DOC historyandnotes; SPEC
getInvoiceHistory, createInvoiceHistory].

Xero keeps an audit trail under each document. "Notes are the only type of Change that can be manually created.
All other types of Change are created automatically when certain actions occur (e.g. an invoice is paid)", and a
change made through the API is recorded with the user "System Generated" [DOC]. The local Xero records, for each
invoice: Created, Approved, Edited, Voided, Deleted, Paid / Partially Paid, Payment Removed, Credit Applied,
Attached a file, and Note. The records are kept oldest first in ``org["history"][InvoiceID]`` and listed newest
first, as in the SPEC's and the DOC's examples. Where a record's words are not quoted by Xero they are INFERRED.
"""

from __future__ import annotations

import datetime as dt

from . import invoices, seed, wire
from . import messages as m

APP_NAME = "Xero Sandbox"  # the app's name, as the ProviderName of every envelope
API_USER = "System Generated"  # [DOC] the user of a change made through the API, notes included
XERO_USER = "%s %s" % (seed.DEFAULT_USER["given_name"], seed.DEFAULT_USER["family_name"])  # "as if in Xero"
MAX_DETAILS = 2500  # [DOC] "Max Length 2500 characters"

NOTE = "Note"  # INFERRED: what Xero's History & Notes shows for a note
APPROVED_DETAILS = "Received through the Xero API from %s" % APP_NAME  # [DOC] the "Approved" example
ATTACHED, ATTACHED_DETAILS = "Attached a file", "Attached the file %s through the Xero API using %s"  # [SPEC]
CREDIT_APPLIED = "Credit Applied"  # [SPEC] the Changes word; its Details here are INFERRED
# INFERRED changes for status moves (Xero's help lists Created, Approved, Edited, Voided, Deleted, Paid).
STATUS_CHANGES = {"AUTHORISED": "Approved", "VOIDED": "Voided", "DELETED": "Deleted"}


def listing(org, invoice_id: str) -> list:
    """An invoice's records, newest first (records made at the same instant: the later one first)."""
    rows = org.get("history", {}).get(invoice_id, [])
    return [r for _, r in sorted(enumerate(rows), key=lambda p: (p[1]["DateUTC"], p[0]), reverse=True)]


def record(org, invoice_id: str, changes: str, details: str, now: float, user: str = API_USER) -> dict:
    """Add one record to an invoice's history."""
    rec = {"Changes": changes, "Details": details, "User": user, "DateUTC": now}
    org.setdefault("history", {}).setdefault(invoice_id, []).append(rec)
    return rec


def _stamp(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def render(rec) -> dict:
    """One record of ``GET .../History`` [SPEC HistoryRetrieved example]."""
    return {"Changes": rec["Changes"], "DateUTCString": _stamp(rec["DateUTC"]),
            "DateUTC": wire.ms_instant(rec["DateUTC"]), "User": rec["User"], "Details": rec["Details"]}


def render_note(details, now: float, errors=()) -> dict:
    """One element of the ``PUT .../History`` answer: Xero echoes only the note and its date [SPEC
    HistoryRecordCreated example]."""
    return {"DateUTCString": _stamp(now), "DateUTC": wire.envelope_instant(now), "Details": details,
            "ValidationErrors": [{"Message": msg} for msg in errors]}


def check_note(raw, index: int):
    """The Details of one posted note and what is wrong with it: (details, errors)."""
    if not isinstance(raw, dict):
        raise invoices.PostDataError("Invalid history record. Path 'HistoryRecords[%d]'." % index)  # INFERRED
    details = raw.get("Details")
    if isinstance(details, (dict, list)):
        raise invoices.PostDataError("Error converting value to type 'System.String'. "
                                     "Path 'HistoryRecords[%d].Details'." % index)  # INFERRED
    details = "" if details is None else str(details)
    if not details.strip():
        return details, [m.MSG_HISTORY_DETAILS_EMPTY]
    if len(details) > MAX_DETAILS:
        return details, [m.MSG_HISTORY_DETAILS_TOO_LONG]
    return details, []


# -- the records Xero makes by itself --------------------------------------------------------------------------


def _amount(value) -> str:
    return "{:,.2f}".format(value)


def _day(day: str) -> str:
    d = dt.date.fromisoformat(day)
    return "%d %s" % (d.day, d.strftime("%B %Y"))


def _contact_name(org, inv) -> str:
    contact = org["contacts"].get(inv.get("ContactID") or "")
    return (contact or {}).get("Name") or inv.get("ContactName") or ""


def summary(org, inv) -> str:
    """``INV-0041 to ABC Furniture for 100.00.`` [DOC the "Edited" example]; a bill is "from" its supplier
    (INFERRED)."""
    number = inv.get("InvoiceNumber") or ("Bill" if inv["Type"] == "ACCPAY" else "Invoice")
    word = "from" if inv["Type"] == "ACCPAY" else "to"
    return "%s %s %s for %s." % (number, word, _contact_name(org, inv), _amount(inv["Total"]))


def invoice_saved(org, before, inv, now: float, user: str = API_USER) -> None:
    """After an invoice is created or changed: Created (and Approved when created AUTHORISED), or the status
    move (Approved, Voided, Deleted), or Edited."""
    if before is None:
        record(org, inv["InvoiceID"], "Created", summary(org, inv), now, user)  # INFERRED Details
        if inv["Status"] == "AUTHORISED":
            record(org, inv["InvoiceID"], "Approved", _approved(user), now, user)
        return
    status_changed(org, inv, before["Status"], now, user)


def status_changed(org, inv, old_status: str, now: float, user: str = API_USER) -> None:
    """Record a status move, or an edit when the status stayed (or moved between DRAFT and SUBMITTED)."""
    change = STATUS_CHANGES.get(inv["Status"]) if inv["Status"] != old_status else None
    if change == "Approved":
        record(org, inv["InvoiceID"], change, _approved(user), now, user)
    else:
        record(org, inv["InvoiceID"], change or "Edited", summary(org, inv), now, user)


def _approved(user: str) -> str:
    return APPROVED_DETAILS if user == API_USER else ""


def payment_recorded(org, inv, pay, now: float, user: str = API_USER) -> None:
    """A payment against the invoice: Paid once nothing is due, else Partially Paid (INFERRED words)."""
    direction = "made to" if inv["Type"] == "ACCPAY" else "received from"
    record(org, inv["InvoiceID"], "Paid" if inv["Status"] == "PAID" else "Partially Paid",
           "Payment %s %s on %s for %s." % (direction, _contact_name(org, inv), _day(pay["Date"]),
                                             _amount(pay["Amount"])), now, user)


def payment_removed(org, pay, now: float, user: str = API_USER) -> None:
    """A deleted payment (INFERRED words)."""
    inv = org["invoices"].get(pay.get("InvoiceID") or "")
    if inv is not None:
        record(org, inv["InvoiceID"], "Payment Removed", "Payment on %s for %s was removed." % (
            _day(pay["Date"]), _amount(pay["Amount"])), now, user)


def credit_applied(org, inv, note, alloc, now: float) -> None:
    """Credit allocated to the invoice from a credit note."""
    record(org, inv["InvoiceID"], CREDIT_APPLIED, "Credit note %s applied on %s for %s." % (
        note.get("CreditNoteNumber") or "", _day(alloc["Date"]), _amount(alloc["Amount"])), now)


def file_attached(org, invoice_id: str, file_name: str, now: float) -> None:
    record(org, invoice_id, ATTACHED, ATTACHED_DETAILS % (file_name, APP_NAME), now)
