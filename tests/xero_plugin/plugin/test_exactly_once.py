"""Xero holds each invoice once: a renumbered invoice updates the same Xero invoice, and a cancel after a lost
answer voids the invoice Xero made though we never learned its id. Real SDK, local Xero, real RQ jobs."""

import pytest

from integrations_core.invoices import invoice_cancel, invoice_update
from integrations_core.models import InvoiceSync, SyncState
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sku="BREAD", sales_account_code="200", tax_type="OUTPUT2")


def _live(xero) -> list[dict]:
    return [i for i in xero.control.invoices(TENANT_NZ) if i["Status"] not in ("VOIDED", "DELETED")]


def test_a_renumbered_invoice_updates_the_same_xero_invoice(xero, xero_conn, supplier, product, worker):
    before = {i["InvoiceID"] for i in xero.control.invoices(TENANT_NZ)}
    invoice = make_invoice(supplier, lines=[line(product)], number="INV-OLD-1")
    worker.run()
    [first] = xero.control.invoices(TENANT_NZ, invoice_number="INV-OLD-1")

    invoice, _ = invoice_update(invoice=invoice, number="INV-NEW-1")
    worker.run()

    ours = [i for i in xero.control.invoices(TENANT_NZ) if i["InvoiceID"] not in before]
    assert [(i["InvoiceID"], i["InvoiceNumber"]) for i in ours] == [(first["InvoiceID"], "INV-NEW-1")]
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.synced_version, sync.remote_id) == (SyncState.SYNCED, 2, first["InvoiceID"])


def test_a_cancel_after_the_first_answer_was_lost_voids_the_invoice_xero_made(xero, xero_conn, supplier, product,
                                                                             worker, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60  # the retry waits: the order is cancelled before it
    xero.control.inject_fault("drop_after_commit", path="/Invoices", method="POST")
    invoice = make_invoice(supplier, lines=[line(product)], number="INV-LOST-1")
    worker.run()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert sync.state == SyncState.RETRYING and sync.remote_id == ""  # Xero has it; we were never told
    [made] = xero.control.invoices(TENANT_NZ, invoice_number="INV-LOST-1")

    invoice_cancel(invoice=invoice)
    worker.run()

    [remote] = xero.control.invoices(TENANT_NZ, invoice_number="INV-LOST-1")
    assert (remote["InvoiceID"], remote["Status"]) == (made["InvoiceID"], "VOIDED")
    sync.refresh_from_db()
    assert (sync.state, sync.remote_id, sync.remote_status) == (SyncState.SYNCED, made["InvoiceID"], "VOIDED")


def test_a_cancel_of_an_invoice_xero_never_got_makes_nothing(xero, xero_conn, supplier, product, worker, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60
    xero.control.inject_fault("500", path="/Invoices", method="POST")
    invoice = make_invoice(supplier, lines=[line(product)], number="INV-NEVER-1")
    worker.run()

    invoice_cancel(invoice=invoice)
    worker.run()

    assert xero.control.invoices(TENANT_NZ, invoice_number="INV-NEVER-1") == []
    assert InvoiceSync.objects.get(invoice=invoice).state == SyncState.SYNCED


def test_a_renumber_after_the_first_answer_was_lost_updates_the_invoice_xero_made(xero, xero_conn, supplier, product,
                                                                                 worker, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60
    xero.control.inject_fault("drop_after_commit", path="/Invoices", method="POST")
    invoice = make_invoice(supplier, lines=[line(product)], number="INV-LOST-2")
    worker.run()
    [made] = xero.control.invoices(TENANT_NZ, invoice_number="INV-LOST-2")
    assert InvoiceSync.objects.get(invoice=invoice).remote_id == ""

    invoice, _ = invoice_update(invoice=invoice, number="INV-RENAMED-2")
    worker.run()

    assert xero.control.invoices(TENANT_NZ, invoice_number="INV-LOST-2") == []
    [remote] = xero.control.invoices(TENANT_NZ, invoice_number="INV-RENAMED-2")
    assert remote["InvoiceID"] == made["InvoiceID"]
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.synced_version, sync.remote_id) == (SyncState.SYNCED, 2, made["InvoiceID"])


def test_a_renumber_then_cancel_after_a_lost_answer_voids_the_invoice_xero_made(xero, xero_conn, supplier, product,
                                                                               worker, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60
    xero.control.inject_fault("drop_after_commit", path="/Invoices", method="POST")
    invoice = make_invoice(supplier, lines=[line(product)], number="INV-LOST-3")
    worker.run()
    [made] = xero.control.invoices(TENANT_NZ, invoice_number="INV-LOST-3")
    xero.control.inject_fault("500", path="/Invoices", method="POST")
    invoice, _ = invoice_update(invoice=invoice, number="INV-RENAMED-3")
    worker.run()  # this push fails: Xero still has it under its first number

    invoice_cancel(invoice=invoice)
    worker.run()

    [remote] = xero.control.invoices(TENANT_NZ, invoice_number="INV-LOST-3")
    assert (remote["InvoiceID"], remote["Status"]) == (made["InvoiceID"], "VOIDED")
    assert xero.control.invoices(TENANT_NZ, invoice_number="INV-RENAMED-3") == []
