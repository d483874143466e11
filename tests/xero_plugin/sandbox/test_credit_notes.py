"""Credit notes through the real SDK: PUT/POST/GET /CreditNotes (numbers, statuses, where, paging), and
allocations to invoices (PUT /CreditNotes/{id}/Allocations): the invoice's AmountCredited and AmountDue, the
credit note's RemainingCredit, PAID when fully credited or fully allocated, Xero's refusals, summarizeErrors,
Idempotency-Key and the CREDITNOTE webhook."""

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import (Allocation, Allocations, Contact, CreditNote, CreditNotes, Invoice, LineItem,
                                    LineItemTracking)
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from xero_plugin.sandbox import TENANT_NZ, contact_id

from .helpers import batch, invoice
from .test_webhooks import Receiver

DAY = dt.date(2024, 5, 15)


def credit_note(number=None, amount=10, status="AUTHORISED", contact="Acme Ltd", type="ACCRECCREDIT",
                account="200", tax="OUTPUT2", line=None, **extra):
    """An SDK CreditNote with one line (``amount`` ex tax; 15% GST by default)."""
    return CreditNote(type=type, contact=Contact(name=contact), credit_note_number=number, status=status,
                      date=dt.date(2024, 5, 2), line_items=[LineItem(description="Returned widget", quantity=1,
                                                                     unit_amount=amount, account_code=account,
                                                                     tax_type=tax, **(line or {}))],
                      **extra)


def notes(*items):
    return CreditNotes(credit_notes=list(items))


def allocation(inv, amount, day=DAY):
    return Allocations(allocations=[Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=amount, date=day)])


def test_create_and_get_credit_notes(xero_api, xero_sandbox):
    acc = xero_api.accounting
    made = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-100", reference="RMA-1"),
                                                    credit_note(status="DRAFT", amount=4)), unitdp=4).credit_notes
    first, draft = made
    assert (first.type, first.status, first.credit_note_number, first.reference) == (
        "ACCRECCREDIT", "AUTHORISED", "CN-100", "RMA-1")
    assert (first.sub_total, first.total_tax, first.total, first.remaining_credit) == (
        Decimal("10"), Decimal("1.5"), Decimal("11.5"), Decimal("11.5"))
    assert first.contact.contact_id == contact_id(TENANT_NZ, "Acme Ltd") and first.allocations == []
    assert draft.status == "DRAFT" and draft.credit_note_number == "CN-0001"  # auto-numbered
    assert draft.remaining_credit == Decimal("4.6")
    by_id = acc.get_credit_note(TENANT_NZ, first.credit_note_id).credit_notes[0]
    assert by_id.credit_note_number == "CN-100" and by_id.line_items[0].account_code == "200"
    assert acc.get_credit_note(TENANT_NZ, "CN-100").credit_notes[0].credit_note_id == first.credit_note_id
    spaced = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN 7/B", status="DRAFT"))).credit_notes[0]
    assert acc.get_credit_note(TENANT_NZ, "CN 7/B").credit_notes[0].credit_note_id == spaced.credit_note_id
    acc.update_credit_note(TENANT_NZ, spaced.credit_note_id, notes(CreditNote(status="DELETED")))
    listed = acc.get_credit_notes(TENANT_NZ, where='Status=="DRAFT"').credit_notes
    assert [n.credit_note_id for n in listed] == [draft.credit_note_id] and listed[0].line_items in (None, [])
    page = acc.get_credit_notes(TENANT_NZ, page=1, order="CreditNoteNumber DESC")
    numbers = [n.credit_note_number for n in page.credit_notes]
    assert numbers == ["CN-100", "CN-0001", "CN 7/B"] and page.credit_notes[0].line_items
    assert page.pagination.item_count == 3
    with pytest.raises(NotFoundException):
        acc.get_credit_note(TENANT_NZ, "00000000-0000-0000-0000-00000000c0de")
    assert [n["CreditNoteNumber"] for n in xero_sandbox.control.credit_notes(TENANT_NZ)] == ["CN-100", "CN-0001",
                                                                                         "CN 7/B"]


def test_credit_note_rules(xero_api):
    acc = xero_api.accounting
    created = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-1", status="DRAFT"))).credit_notes[0]
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-1")))
    assert exc.value.reason == "Credit Note # must be unique."
    # POST matches the number (as for invoices): an update, not a second credit note.
    upserted = acc.update_or_create_credit_notes(TENANT_NZ, notes(credit_note("CN-1", amount=20))).credit_notes[0]
    assert upserted.credit_note_id == created.credit_note_id and upserted.total == Decimal("23")
    assert upserted.status == "AUTHORISED"
    for element, message in ((credit_note("CN-2", status="PAID"), "Credit Note not of valid status for creation"),
                             (CreditNote(type="ACCRECCREDIT", contact=Contact(name="Acme Ltd"), line_items=[]),
                              "One or more line items must be specified"),
                             (CreditNote(contact=Contact(name="Acme Ltd"), line_items=credit_note().line_items),
                              "Credit Note Type must be ACCRECCREDIT or ACCPAYCREDIT."),
                             (credit_note("CN-4", line={"tracking": [LineItemTracking(name="Region", option="North")]}),
                              "There is no ACTIVE tracking category with the name 'Region'")):
        with pytest.raises(AccountingBadRequestException) as exc:
            acc.create_credit_notes(TENANT_NZ, notes(element))
        assert exc.value.reason == message
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_or_create_credit_notes(TENANT_NZ, notes(CreditNote(
            credit_note_id="00000000-0000-0000-0000-00000000c0de", type="ACCRECCREDIT")))
    assert exc.value.reason == "An existing Credit Note with the specified CreditNoteID could not be found"
    voided = acc.update_credit_note(TENANT_NZ, created.credit_note_id, notes(CreditNote(status="VOIDED")))
    assert voided.credit_notes[0].status == "VOIDED"
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_credit_note(TENANT_NZ, created.credit_note_id, notes(CreditNote(status="AUTHORISED")))
    assert exc.value.reason == "Credit Note not of valid status for modification"


def test_tracking_on_a_credit_note_line(xero_api, xero_sandbox):
    xero_sandbox.control.add_tracking_category(TENANT_NZ, "Region", ["North"])
    made = xero_api.accounting.create_credit_notes(TENANT_NZ, notes(credit_note(
        "CN-T", line={"tracking": [LineItemTracking(name="Region", option="North")]}))).credit_notes[0]
    assert [(t.name, t.option) for t in made.line_items[0].tracking] == [("Region", "North")]


def test_allocations_credit_the_invoice_until_paid(xero_api, xero_sandbox):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("INV-C1"))).invoices[0]  # 24.15
    note = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-A", amount=30))).credit_notes[0]  # 34.50
    alloc = acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, allocation(inv, 10)).allocations[0]
    assert alloc.amount == Decimal("10") and alloc.invoice.invoice_id == inv.invoice_id and alloc.date == DAY
    after = acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0]
    assert (after.status, after.amount_credited, after.amount_due) == ("AUTHORISED", Decimal("10"), Decimal("14.15"))
    assert [(c.credit_note_id, c.applied_amount) for c in after.credit_notes] == [(note.credit_note_id, Decimal("10"))]
    got = acc.get_credit_note(TENANT_NZ, note.credit_note_id).credit_notes[0]
    assert (got.status, got.remaining_credit) == ("AUTHORISED", Decimal("24.5"))
    assert [(a.allocation_id, a.amount) for a in got.allocations] == [(alloc.allocation_id, Decimal("10"))]
    # An invoice with credit allocated is locked for edits, as with a payment.
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_invoice(TENANT_NZ, inv.invoice_id, batch(Invoice(reference="edit")))
    assert "This document cannot be edited as it has a payment or credit note allocated to it." in [
        e["Message"] for e in exc.value.error_data["Elements"][0]["ValidationErrors"]]
    with pytest.raises(AccountingBadRequestException) as exc:  # more than the invoice still owes
        acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, allocation(inv, Decimal("14.16")))
    assert exc.value.reason == "Credit Note cannot be allocated as amount is greater than amount outstanding"
    acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, allocation(inv, Decimal("14.15"),
                                                                                 dt.date(2024, 5, 20)))
    paid = acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.amount_credited) == ("PAID", Decimal("0"), Decimal("24.15"))
    assert paid.fully_paid_on_date == dt.date(2024, 5, 20)
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, allocation(inv, 1))
    assert exc.value.reason == "The invoice you are trying to allocate to has already been paid off"
    assert [e["Message"] for e in exc.value.error_data["Elements"][0]["ValidationErrors"]] == [
        "The invoice you are trying to allocate to has already been paid off",
        "Credit Note cannot be allocated as amount is greater than amount outstanding"]
    left = xero_sandbox.control.credit_notes(TENANT_NZ, "CN-A")[0]
    assert left["RemainingCredit"] == 10.35 and left["Status"] == "AUTHORISED"


def test_fully_allocated_credit_note_is_paid_and_locked(xero_api):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("INV-C2", amount=50))).invoices[0]  # 115.00
    note = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-B", amount=20))).credit_notes[0]  # 23.00
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, allocation(inv, 24))
    assert exc.value.reason == "Credit Note cannot be allocated as amount is greater than remaining credit"
    acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, allocation(inv, 23))
    got = acc.get_credit_note(TENANT_NZ, note.credit_note_id).credit_notes[0]
    assert (got.status, got.remaining_credit, got.fully_paid_on_date) == ("PAID", Decimal("0"), DAY)
    assert acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0].amount_due == Decimal("92")
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_credit_note(TENANT_NZ, note.credit_note_id, notes(CreditNote(status="VOIDED")))
    assert exc.value.reason == "This document cannot be edited as it has a payment or credit note allocated to it."


def test_allocation_refusals(xero_api):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("INV-C3"))).invoices[0]
    draft_inv = acc.create_invoices(TENANT_NZ, batch(invoice("INV-C4", status="DRAFT"))).invoices[0]
    globex = acc.create_invoices(TENANT_NZ, batch(invoice("INV-C5", contact="Globex Corporation"))).invoices[0]
    draft = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-D", status="DRAFT"))).credit_notes[0]
    note = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-E"))).credit_notes[0]
    cases = [(draft, inv, 1, "Only AUTHORISED credit notes can be allocated"),
             (note, draft_inv, 1, "Credit Note can only be allocated to an AUTHORISED invoice"),
             (note, globex, 1, "Credit Note cannot be allocated to an invoice for a different contact"),
             (note, inv, 0, "Allocation amount must be greater than zero.")]
    for credit, target, amount, message in cases:
        with pytest.raises(AccountingBadRequestException) as exc:
            acc.create_credit_note_allocation(TENANT_NZ, credit.credit_note_id, allocation(target, amount))
        assert exc.value.reason == message
    unknown = Allocations(allocations=[Allocation(invoice=Invoice(invoice_id="00000000-0000-0000-0000-0000000000aa"),
                                                  amount=1, date=DAY)])
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, unknown)
    assert exc.value.reason == "Invoice could not be found."
    # summarizeErrors=False: 200, each allocation with its StatusAttributeString.
    mixed = Allocations(allocations=[Allocation(invoice=Invoice(invoice_id=inv.invoice_id), amount=2, date=DAY),
                                     Allocation(invoice=Invoice(invoice_id=globex.invoice_id), amount=2, date=DAY)])
    answer = acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, mixed, summarize_errors=False)
    assert [a.status_attribute_string for a in answer.allocations] == ["OK", "ERROR"]
    assert acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0].amount_credited == Decimal("2")
    accpay = acc.create_credit_notes(TENANT_NZ, notes(credit_note(type="ACCPAYCREDIT", account="400", tax="INPUT2"))).credit_notes
    assert accpay[0].credit_note_number == ""  # only ACCRECCREDIT numbers are generated
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_credit_note_allocation(TENANT_NZ, accpay[0].credit_note_id, allocation(inv, 1))
    assert "Credit Note cannot be allocated to an incorrect invoice type" in [
        e["Message"] for e in exc.value.error_data["Elements"][0]["ValidationErrors"]]


def test_idempotency_key_on_credit_notes_and_allocations(xero_api, xero_sandbox):
    acc = xero_api.accounting
    first = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-I")), idempotency_key="cn-1").credit_notes[0]
    again = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-I")), idempotency_key="cn-1").credit_notes[0]
    assert again.credit_note_id == first.credit_note_id
    assert len(xero_sandbox.control.credit_notes(TENANT_NZ, "CN-I")) == 1
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-I", amount=3)), idempotency_key="cn-1")
    assert exc.value.error_data["Message"] == "Idempotency Key: cn-1 is used with a different request."
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("INV-C6"))).invoices[0]
    for _ in range(2):
        acc.create_credit_note_allocation(TENANT_NZ, first.credit_note_id, allocation(inv, 5), idempotency_key="al-1")
    assert acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0].amount_credited == Decimal("5")


def test_credit_note_webhooks(xero_api, xero_sandbox):
    rx = Receiver(xero_sandbox.webhook_key)
    xero_sandbox.control.set_webhook(rx.url)
    try:
        acc = xero_api.accounting
        inv = acc.create_invoices(TENANT_NZ, batch(invoice("INV-C7"))).invoices[0]
        note = acc.create_credit_notes(TENANT_NZ, notes(credit_note("CN-W"))).credit_notes[0]
        acc.create_credit_note_allocation(TENANT_NZ, note.credit_note_id, allocation(inv, 1))
        events = [e for d in xero_sandbox.control.webhook_deliveries() for e in d["events"]]
    finally:
        xero_sandbox.control.set_webhook(None)
        rx.close()
    assert [(e["eventCategory"], e["eventType"]) for e in events] == [
        ("INVOICE", "CREATE"), ("CREDITNOTE", "CREATE"), ("INVOICE", "UPDATE"), ("CREDITNOTE", "UPDATE")]
    created = events[1]
    assert created["data"] == {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}
    assert created["resourceUrl"].endswith("/api.xro/2.0/CreditNotes/" + note.credit_note_id)
    assert "data" not in events[0] and all(valid for _, valid in rx.received)
