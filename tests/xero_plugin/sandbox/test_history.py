"""Invoice history and notes through the real SDK: PUT /Invoices/{id}/History adds notes ("System Generated"),
GET lists them with the records the local Xero makes itself (Created, Approved, Edited, Paid, Voided, ...), newest
first; Xero's limits and refusals, Idempotency-Key, the accounting.transactions scope, and the control read-back
that a reset clears and the state file keeps."""

import datetime as dt
import json

import pytest
from xero_python.accounting import (Account, Allocation, Allocations, Contact, CreditNote, CreditNotes,
                                    HistoryRecord, HistoryRecords, Invoice, Invoices, LineItem, Payment,
                                    PaymentDelete, Payments)
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException, NotFoundException

from xero_plugin.sandbox import TENANT_NZ, SandboxControlError, XeroSandbox
from xero_plugin.sandbox import messages as m

from .helpers import batch, invoice, messages

SCOPES = ["offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings",
          "accounting.attachments"]
UNKNOWN = "00000000-0000-0000-0000-0000000000ff"


def notes(*details):
    return HistoryRecords(history_records=[HistoryRecord(details=d) for d in details])


def trail(acc, invoice_id):
    """(Changes, User, Details) of an invoice's history, as the SDK reads it."""
    return [(r.changes, r.user, r.details) for r in acc.get_invoice_history(TENANT_NZ, invoice_id).history_records]


@pytest.fixture
def acc(xero_sandbox, sdk_client):
    return sdk_client(xero_sandbox, scopes=SCOPES).accounting


def test_history_note_is_added_and_listed_newest_first(acc, xero_sandbox):
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("H-1"))).invoices[0]
    xero_sandbox.control.advance_clock(60)
    made = acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("Customer rang: paying Friday",
                                                                       "Second note")).history_records
    assert [r.details for r in made] == ["Customer rang: paying Friday", "Second note"]
    assert all(r.date_utc is not None and r.date_utc.tzinfo is not None for r in made)
    records = acc.get_invoice_history(TENANT_NZ, inv.invoice_id).history_records
    assert [(r.changes, r.user, r.details) for r in records] == [
        ("Note", "System Generated", "Second note"),
        ("Note", "System Generated", "Customer rang: paying Friday"),
        ("Approved", "System Generated", "Received through the Xero API from Xero Sandbox"),
        ("Created", "System Generated", "H-1 to Acme Ltd for 24.15."),
    ]
    assert records[0].date_utc - records[-1].date_utc >= dt.timedelta(seconds=60)
    assert records[0].date_utc == made[0].date_utc


def test_history_records_what_happens_to_an_invoice(acc, xero_sandbox):
    draft = acc.create_invoices(TENANT_NZ, batch(invoice("H-2", status="DRAFT"))).invoices[0]
    assert trail(acc, draft.invoice_id) == [("Created", "System Generated", "H-2 to Acme Ltd for 24.15.")]
    acc.update_invoice(TENANT_NZ, draft.invoice_id, Invoices(invoices=[Invoice(reference="PO 7")]))
    acc.update_invoice(TENANT_NZ, draft.invoice_id, Invoices(invoices=[Invoice(status="AUTHORISED")]))
    pay = acc.create_payments(TENANT_NZ, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=draft.invoice_id), account=Account(code="090"), amount=10,
        date=dt.date(2024, 5, 2))])).payments[0]
    acc.delete_payment(TENANT_NZ, pay.payment_id, PaymentDelete(status="DELETED"))
    acc.create_payments(TENANT_NZ, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=draft.invoice_id), account=Account(code="090"), amount=24.15,
        date=dt.date(2024, 5, 3))]))
    assert [c for c, _, _ in trail(acc, draft.invoice_id)] == [
        "Paid", "Payment Removed", "Partially Paid", "Approved", "Edited", "Created"]
    assert trail(acc, draft.invoice_id)[:3] == [
        ("Paid", "System Generated", "Payment received from Acme Ltd on 3 May 2024 for 24.15."),
        ("Payment Removed", "System Generated", "Payment on 2 May 2024 for 10.00 was removed."),
        ("Partially Paid", "System Generated", "Payment received from Acme Ltd on 2 May 2024 for 10.00."),
    ]

    voided = acc.create_invoices(TENANT_NZ, batch(invoice("H-3"))).invoices[0]
    acc.update_invoice(TENANT_NZ, voided.invoice_id, Invoices(invoices=[Invoice(status="VOIDED")]))
    assert trail(acc, voided.invoice_id)[0] == ("Voided", "System Generated", "H-3 to Acme Ltd for 24.15.")
    deleted = acc.create_invoices(TENANT_NZ, batch(invoice("H-4", status="DRAFT"))).invoices[0]
    acc.update_invoice(TENANT_NZ, deleted.invoice_id, Invoices(invoices=[Invoice(status="DELETED")]))
    assert trail(acc, deleted.invoice_id)[0][0] == "Deleted"


def test_history_records_attachments_and_credit(acc):
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("H-5"))).invoices[0]
    acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "docket.pdf", b"%PDF")
    line = LineItem(description="x", quantity=1, unit_amount=2, account_code="200", tax_type="OUTPUT2")
    note = acc.create_credit_notes(TENANT_NZ, CreditNotes(credit_notes=[CreditNote(
        type="ACCRECCREDIT", contact=Contact(name="Acme Ltd"), status="AUTHORISED", credit_note_number="CN-H",
        line_items=[line])])).credit_notes[0]
    acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, Allocations(allocations=[
        Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=2.3, date=dt.date(2024, 5, 1))]))
    assert trail(acc, inv.invoice_id)[:2] == [
        ("Credit Applied", "System Generated", "Credit note CN-H applied on 1 May 2024 for 2.30."),
        ("Attached a file", "System Generated", "Attached the file docket.pdf through the Xero API using Xero Sandbox"),
    ]


def test_history_note_refusals(acc):
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("H-6"))).invoices[0]
    for empty in ("", "   ", None):
        with pytest.raises(AccountingBadRequestException) as exc:
            acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes(empty))
        assert exc.value.reason == m.MSG_HISTORY_DETAILS_EMPTY == "Details cannot be empty."
        assert exc.value.error_data["Type"] == "ValidationException"
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("x" * 2501))
    assert exc.value.reason == m.MSG_HISTORY_DETAILS_TOO_LONG
    element = exc.value.error_data["Elements"][0]
    assert messages(element) == [m.MSG_HISTORY_DETAILS_TOO_LONG] and len(element["Details"]) == 2501
    assert [c for c, _, _ in trail(acc, inv.invoice_id)] == ["Approved", "Created"]  # nothing kept

    longest = acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("y" * 2500)).history_records[0]
    assert len(longest.details) == 2500
    # As in every batch write, the valid notes of a refused request are still kept.
    with pytest.raises(AccountingBadRequestException):
        acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("kept", ""))
    assert [d for _, _, d in trail(acc, inv.invoice_id)][:2] == ["kept", "y" * 2500]

    with pytest.raises(NotFoundException):
        acc.create_invoice_history(TENANT_NZ, UNKNOWN, notes("lost"))
    with pytest.raises(NotFoundException):
        acc.get_invoice_history(TENANT_NZ, UNKNOWN)


def test_history_note_honours_the_idempotency_key(acc, xero_sandbox):
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("H-7"))).invoices[0]
    first = acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("once"), idempotency_key="note-1")
    again = acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("once"), idempotency_key="note-1")
    assert again.history_records[0].date_utc == first.history_records[0].date_utc
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("twice"), idempotency_key="note-1")
    assert exc.value.error_data["Message"] == "Idempotency Key: note-1 is used with a different request."
    assert [d for c, _, d in trail(acc, inv.invoice_id) if c == "Note"] == ["once"]
    assert [r["idempotency_key"] for r in xero_sandbox.control.request_log()
            if r["path"].endswith("/History") and r["method"] == "PUT"] == ["note-1"] * 3


def test_history_needs_the_transactions_scope(xero_sandbox, sdk_client, acc):
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("H-8"))).invoices[0]
    reader = sdk_client(xero_sandbox, scopes=["offline_access", "accounting.transactions.read"]).accounting
    assert [c for c, _, _ in trail(reader, inv.invoice_id)] == ["Approved", "Created"]
    with pytest.raises(HTTPStatusException) as exc:
        reader.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("no"))
    assert exc.value.status == 401 and json.loads(exc.value.body)["Detail"] == "AuthorizationUnsuccessful"
    outsider = sdk_client(xero_sandbox, scopes=["offline_access", "accounting.contacts"]).accounting
    with pytest.raises(HTTPStatusException) as exc:
        outsider.get_invoice_history(TENANT_NZ, inv.invoice_id)
    assert exc.value.status == 401
    assert [c for c, _, _ in trail(acc, inv.invoice_id)] == ["Approved", "Created"]


def test_control_history_reads_back_and_records_changes_made_in_xero(acc, xero_sandbox, sdk_client):
    control = xero_sandbox.control
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("H-9"))).invoices[0]
    acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("from the app"))
    control.mark_invoice(TENANT_NZ, "H-9", "PAID")
    other = acc.create_invoices(TENANT_NZ, batch(invoice("H-10"))).invoices[0]
    control.mark_invoice(TENANT_NZ, other.invoice_id, "VOIDED", Reference="cancelled")
    by_number = control.history(TENANT_NZ, "H-9")
    assert by_number == control.history(TENANT_NZ, inv.invoice_id)
    assert [(r["Changes"], r["User"]) for r in by_number] == [
        ("Paid", "Sandy Box"), ("Note", "System Generated"), ("Approved", "System Generated"),
        ("Created", "System Generated")]
    assert by_number[1]["Details"] == "from the app" and by_number[1]["DateUTC"].startswith("/Date(")
    assert [(r.changes, r.user, r.details) for r in acc.get_invoice_history(TENANT_NZ, inv.invoice_id)
            .history_records][0] == ("Paid", "Sandy Box", by_number[0]["Details"])
    assert [(r["Changes"], r["User"]) for r in control.history(TENANT_NZ, "H-10")][:2] == [
        ("Edited", "Sandy Box"), ("Voided", "Sandy Box")]
    control.reset()
    with pytest.raises(SandboxControlError):
        control.history(TENANT_NZ, "H-9")  # the invoice is gone with its history
    acc = sdk_client(xero_sandbox, scopes=SCOPES).accounting  # a reset revokes every token
    again = acc.create_invoices(TENANT_NZ, batch(invoice("H-9"))).invoices[0]
    assert [r["Changes"] for r in control.history(TENANT_NZ, again.invoice_id)] == ["Approved", "Created"]


def test_history_survives_a_restart(tmp_path, sdk_client):
    path = str(tmp_path / "xero.json")
    first = XeroSandbox(state_file=path).start()
    tokens = first.control.issue_tokens([TENANT_NZ], scopes=SCOPES)
    acc = sdk_client(first, tokens).accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("H-11"))).invoices[0]
    acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("kept across a restart"))
    before = first.control.history(TENANT_NZ, "H-11")
    first.stop()

    second = XeroSandbox(state_file=path).start()
    try:
        assert second.control.history(TENANT_NZ, "H-11") == before
        assert trail(sdk_client(second, tokens).accounting, inv.invoice_id)[0] == (
            "Note", "System Generated", "kept across a restart")
    finally:
        second.stop()


def test_a_state_file_from_before_history_loads(tmp_path, sdk_client):
    path = str(tmp_path / "old.json")
    first = XeroSandbox(state_file=path).start()
    tokens = first.control.issue_tokens([TENANT_NZ], scopes=SCOPES)
    inv = sdk_client(first, tokens).accounting.create_invoices(TENANT_NZ, batch(invoice("H-12"))).invoices[0]
    first.stop()
    with open(path) as fh:
        data = json.load(fh)
    for org in data["orgs"].values():
        org.pop("history")
    with open(path, "w") as fh:
        json.dump(data, fh)
    second = XeroSandbox(state_file=path).start()
    try:
        acc = sdk_client(second, tokens).accounting
        assert trail(acc, inv.invoice_id) == []
        acc.create_invoice_history(TENANT_NZ, inv.invoice_id, notes("first note"))
        assert trail(acc, inv.invoice_id) == [("Note", "System Generated", "first note")]
    finally:
        second.stop()
