"""News from Xero: a payment made in Xero comes back by webhook; reconciliation flags an edit made there."""

import datetime as dt

import pytest
from django.utils import timezone

from integrations_core.models import InvoiceStatus, InvoiceSync, RemoteEvent, SyncState
from integrations_core.remote import connection_reconcile
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")


@pytest.mark.django_db(transaction=True)  # live server: its thread handles the local Xero's webhook
def test_payment_made_in_xero_marks_the_invoice_paid_and_locked_by_webhook(xero, xero_conn, supplier, product,
                                                                          worker, live_server):
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    xero.control.set_webhook(f"{live_server.url}/xero/webhooks/")
    intent = xero.control.intent_to_receive()
    assert intent.get("ok", intent) not in (False,)

    xero.control.mark_invoice(TENANT_NZ, invoice.number, status="PAID")
    xero.control.webhook_deliveries(flush=True)
    worker.run()  # the job the webhook queued reads the invoice back from Xero

    invoice.refresh_from_db()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert invoice.status == InvoiceStatus.PAID
    assert sync.state == SyncState.LOCKED and sync.remote_locked
    assert RemoteEvent.objects.filter(processed_at__isnull=False, outcome="paid").exists()


def test_reconciliation_flags_an_invoice_edited_in_xero(xero, xero_conn, supplier, product, worker):
    edited, untouched = (make_invoice(supplier, lines=[line(product, quantity="2", unit_price="10")]) for _ in range(2))
    worker.run()
    since = timezone.now() - dt.timedelta(minutes=5)
    # Edited in Xero: the local Xero's edit call sets fields as given, so set the new amounts too.
    xero.control.mark_invoice(TENANT_NZ, edited.number, SubTotal=30, TotalTax=4.5, Total=34.5)

    flagged = connection_reconcile(connection=xero_conn, since=since)

    assert [s.invoice_id for s in flagged] == [edited.pk]
    assert "changed in Xero" in InvoiceSync.objects.get(invoice=edited).drift_detail
    assert InvoiceSync.objects.get(invoice=untouched).drift_detail == ""


@pytest.mark.django_db(transaction=True)  # live server: its thread handles the local Xero's webhook
def test_a_webhook_applies_to_every_connection_of_the_organisation_and_a_failed_read_back_is_retried(
        xero, xero_conn, supplier, product, worker, live_server):
    from tests.factories import SupplierFactory
    from tests.xero_plugin.connecting import xero_connection

    other = SupplierFactory()  # a second supplier whose books are in the same Xero organisation
    xero_connection(xero, other)
    ours = make_invoice(supplier, lines=[line(product)], number="INV-SHARED-1")
    theirs = make_invoice(other, lines=[line(ProductFactory(supplier=other, sales_account_code="200",
                                                            tax_type="OUTPUT2"))], number="INV-SHARED-2")
    worker.run()
    xero.control.set_webhook(f"{live_server.url}/xero/webhooks/")
    xero.control.intent_to_receive()

    xero.control.mark_invoice(TENANT_NZ, ours.number, status="PAID")
    xero.control.mark_invoice(TENANT_NZ, theirs.number, status="PAID")
    xero.control.inject_fault("503", path="/Invoices", method="GET")  # the read-back fails once
    xero.control.webhook_deliveries(flush=True)
    worker.run()
    assert RemoteEvent.objects.filter(processed_at__isnull=True).count() == 1  # the failed one kept, not dropped

    worker.run_scheduled(within=60)  # RQ's Retry runs the job again

    for invoice in (ours, theirs):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert InvoiceSync.objects.get(invoice=invoice).state == SyncState.LOCKED
    assert set(RemoteEvent.objects.values_list("outcome", flat=True)) == {"paid"}


@pytest.mark.parametrize("status", ["VOIDED", "DELETED"])
def test_a_void_or_delete_in_xero_shows_its_own_outcome_not_paid(status, xero, xero_conn, supplier, product, worker):
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    since = timezone.now() - dt.timedelta(minutes=5)
    xero.control.mark_invoice(TENANT_NZ, invoice.number, status=status)

    connection_reconcile(connection=xero_conn, since=since)

    sync = InvoiceSync.objects.get(invoice=invoice)
    word = status.lower()
    assert (sync.state, sync.error_category) == (SyncState.FAILED, f"{word}_remotely")
    assert sync.error_message == f"Invoice is {word} in Xero: it takes no more changes"
    assert not sync.remote_locked and "paid" not in sync.error_message.lower()
    invoice.refresh_from_db()
    assert invoice.status != InvoiceStatus.PAID


@pytest.mark.parametrize("status", ["VOIDED", "DELETED"])
def test_a_change_refused_because_the_invoice_was_voided_or_deleted_in_xero_says_so(status, xero, xero_conn, supplier,
                                                                                   product, worker):
    from integrations_core.invoices import invoice_update

    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    xero.control.mark_invoice(TENANT_NZ, invoice.number, status=status)  # no webhook, no reconciliation yet

    invoice_update(invoice=invoice, lines=[line(product, quantity="3")])
    worker.run()  # Xero refuses: "Invoice not of valid status for modification", worded alike for all statuses

    sync = InvoiceSync.objects.get(invoice=invoice)
    word = status.lower()
    assert (sync.state, sync.error_category, sync.remote_locked) == (SyncState.FAILED, f"{word}_remotely", False)
    assert sync.error_message == f"Invoice is {word} in Xero: it takes no more changes"
    assert "new invoice" in sync.error_fix
    [remote] = xero.control.invoices(TENANT_NZ)
    assert remote["Status"] == status
