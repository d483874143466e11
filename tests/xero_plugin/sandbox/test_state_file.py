"""The state file keeps credit notes, allocations, tracking, attachments, archived contacts and deleted payments
across a restart, and a file written before they existed still loads."""

import datetime as dt
import json
from decimal import Decimal

from xero_python.accounting import (Account, Allocation, Allocations, Contact, CreditNote, CreditNotes, Invoice,
                                    LineItem, LineItemTracking, Payment, PaymentDelete, Payments)

from xero_plugin.sandbox import TENANT_NZ, XeroSandbox

from .helpers import batch, invoice

SCOPES = ["offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings",
          "accounting.attachments"]


def test_new_records_survive_a_restart(tmp_path, sdk_client):
    path = str(tmp_path / "xero.json")
    first = XeroSandbox(state_file=path).start()
    tokens = first.control.issue_tokens([TENANT_NZ], scopes=SCOPES)
    acc = sdk_client(first, tokens).accounting
    first.control.add_tracking_category(TENANT_NZ, "Region", ["North"])
    line = LineItem(description="x", quantity=1, unit_amount=10, account_code="200", tax_type="OUTPUT2",
                    tracking=[LineItemTracking(name="Region", option="North")])
    inv = acc.create_invoices(TENANT_NZ, batch(Invoice(type="ACCREC", contact=Contact(name="Acme Ltd"),
                                                       invoice_number="S-1", status="AUTHORISED",
                                                       line_items=[line]))).invoices[0]
    note = acc.create_credit_notes(TENANT_NZ, CreditNotes(credit_notes=[CreditNote(
        type="ACCRECCREDIT", contact=Contact(name="Acme Ltd"), status="AUTHORISED", line_items=[line])])).credit_notes[0]
    acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, Allocations(allocations=[
        Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=2.5, date=dt.date(2024, 5, 1))]))
    pay = acc.create_payments(TENANT_NZ, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=inv.invoice_id), account=Account(code="090"), amount=1)])).payments[0]
    acc.delete_payment(TENANT_NZ, pay.payment_id, PaymentDelete(status="DELETED"))
    acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "a.pdf", b"\x00\x01binary")
    first.control.archive_contact(TENANT_NZ, "Globex Corporation")
    first.stop()

    second = XeroSandbox(state_file=path).start()
    try:
        acc = sdk_client(second, tokens).accounting
        again = acc.get_invoice(TENANT_NZ, "S-1").invoices[0]
        assert (again.amount_credited, again.amount_paid, again.amount_due) == (Decimal("2.5"), 0, Decimal("9"))
        assert again.line_items[0].tracking[0].option == "North" and again.has_attachments
        assert acc.get_credit_note(TENANT_NZ, note.credit_note_id).credit_notes[0].remaining_credit == Decimal("9")
        assert acc.get_payment(TENANT_NZ, pay.payment_id).payments[0].status == "DELETED"
        assert acc.get_tracking_categories(TENANT_NZ).tracking_categories[0].name == "Region"
        assert acc.get_invoice_attachments(TENANT_NZ, inv.invoice_id).attachments[0].content_length == 8
        assert "Globex Corporation" not in [c.name for c in acc.get_contacts(TENANT_NZ).contacts]
        assert second.control.credit_notes(TENANT_NZ)[0]["CreditNoteNumber"] == "CN-0001"
    finally:
        second.stop()


def test_a_state_file_from_before_loads(tmp_path, sdk_client):
    path = str(tmp_path / "old.json")
    first = XeroSandbox(state_file=path).start()
    tokens = first.control.issue_tokens([TENANT_NZ])
    sdk_client(first, tokens).accounting.create_invoices(TENANT_NZ, batch(invoice("OLD-1")))
    first.stop()
    with open(path) as fh:
        data = json.load(fh)
    for org in data["orgs"].values():  # as written before credit notes, tracking, branding and attachments
        for key in ("credit_notes", "attachments", "tracking_categories", "branding_themes", "next_credit_number"):
            org.pop(key)
    with open(path, "w") as fh:
        json.dump(data, fh)
    second = XeroSandbox(state_file=path).start()
    try:
        acc = sdk_client(second, tokens).accounting
        assert [t.name for t in acc.get_branding_themes(TENANT_NZ).branding_themes] == ["Standard", "Special Projects"]
        assert acc.get_credit_notes(TENANT_NZ).credit_notes == []
        assert acc.get_invoice(TENANT_NZ, "OLD-1").invoices[0].has_attachments is False
    finally:
        second.stop()


def test_reset_clears_the_new_records(xero_sandbox, sdk_client):
    acc = sdk_client(xero_sandbox, scopes=SCOPES).accounting
    control = xero_sandbox.control
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("RS-1"))).invoices[0]
    acc.create_credit_notes(TENANT_NZ, CreditNotes(credit_notes=[CreditNote(
        type="ACCRECCREDIT", contact=Contact(name="Acme Ltd"),
        line_items=[LineItem(description="x", quantity=1, unit_amount=1, account_code="200")])]))
    acc.create_payments(TENANT_NZ, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=inv.invoice_id), account=Account(code="090"), amount=1)]))
    acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "a.pdf", b"x")
    control.add_tracking_category(TENANT_NZ, "Region", ["North"])
    control.archive_contact(TENANT_NZ, "Acme Ltd")
    control.reset()
    assert control.credit_notes(TENANT_NZ) == [] and control.payments(TENANT_NZ) == []
    assert control.tracking_categories(TENANT_NZ) == [] and control.invoices(TENANT_NZ) == []
    assert {c["Name"]: c["ContactStatus"] for c in control.contacts(TENANT_NZ)}["Acme Ltd"] == "ACTIVE"
    assert [t["Name"] for t in control.branding_themes(TENANT_NZ)] == ["Standard", "Special Projects"]
