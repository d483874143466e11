"""Credit notes: the changes kept on a locked invoice propose one; once approved it is made in Xero exactly once,
allocated to the invoice, and shown on it."""

import datetime as dt

import pytest

from integrations_core.credit_notes import credit_note_approve, credit_note_push
from integrations_core.errors import WrongState
from integrations_core.invoices import invoice_record_payment, invoice_update
from integrations_core.models import CreditNote, CreditNoteState, InvoiceSync
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.client import client_for
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")


def test_a_lower_total_on_a_part_paid_invoice_becomes_one_allocated_credit_note_once_approved(
        xero, xero_conn, supplier, product, worker):
    invoice = make_invoice(supplier, lines=[line(product, unit_price="100")], line_amount_type="inclusive")
    worker.run()
    invoice_record_payment(invoice=invoice, external_id="P-1", amount="50.00", paid_on=dt.date(2026, 11, 3))
    worker.run()

    # The order is changed after a payment: Xero takes no edits of it now, so the change is kept as a credit.
    invoice_update(invoice=invoice, lines=[line(product, unit_price="80")])
    worker.run()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert sync.remote_locked and sync.locked_changes["difference"] == "-20.00"
    [note] = CreditNote.objects.filter(invoice=invoice)
    assert (note.state, note.amount) == (CreditNoteState.PROPOSED, 20)

    credit_note_approve(credit_note=note, approved_by="support")
    worker.run()

    note.refresh_from_db()
    assert (note.state, note.approved_by, note.error_message) == (CreditNoteState.CREATED, "support", "")
    [made] = [c for c in xero.control.credit_notes(TENANT_NZ) if c["CreditNoteNumber"] == note.number]
    assert made["CreditNoteID"] == note.remote_id and float(made["Total"]) == 20.0
    remote = client_for(xero_conn).accounting.get_invoice(TENANT_NZ, sync.remote_id).invoices[0]
    assert (remote.amount_paid, remote.amount_credited, remote.amount_due) == (50.0, 20.0, 30.0)

    with pytest.raises(WrongState):
        credit_note_approve(credit_note=note, approved_by="support")  # made already
    CreditNote.objects.filter(pk=note.pk).update(state=CreditNoteState.APPROVED)  # as if its job ran again
    credit_note_push(credit_note_id=note.pk)
    assert len([c for c in xero.control.credit_notes(TENANT_NZ) if c["CreditNoteNumber"] == note.number]) == 1
    remote = client_for(xero_conn).accounting.get_invoice(TENANT_NZ, sync.remote_id).invoices[0]
    assert remote.amount_due == 30.0  # not allocated twice
