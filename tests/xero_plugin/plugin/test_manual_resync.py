"""Xero's manual re-sync: the seed's "after reconnecting, manually re-sync", 50 invoices to a call."""

import pytest
from django.core.management import CommandError, call_command

from integrations_core.models import InvoiceSync, SyncState
from tests.factories import ProductFactory, line, make_invoice
from tests.xero_plugin.connecting import xero_connection
from integrations_core.bulk import resync as manual_resync, select_invoices
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sales_account_code="200", expense_account_code="310", tax_type="OUTPUT2")


def test_manual_resync_of_500_backlog_invoices_uses_one_call_per_50_and_two_reads(xero, supplier, product, worker, settings):
    settings.XERO_MINUTE_LIMIT = 1000
    connection = xero_connection(xero, supplier)
    connection.state = "expired"
    connection.save()
    invoices = [make_invoice(supplier, lines=[line(product)]) for _ in range(500)]
    connection.state = "connected"  # reconnected: nothing re-syncs by itself
    connection.save()
    worker.run()
    assert xero.control.invoices(TENANT_NZ) == []
    xero.control.clear_request_log()
    before = xero.control.call_count(endpoint_contains="api.xro")

    chosen = select_invoices(connection=connection, backlog=True)
    outcomes = manual_resync(connection=connection, invoices=chosen)

    assert len(chosen) == 500 and {o.result for o in outcomes} == {"created"}
    calls = xero.control.call_count(endpoint_contains="api.xro") - before
    assert calls <= 11, calls  # 10 pushes of 50, and the chart read once
    assert len(xero.control.invoices(TENANT_NZ)) == 500
    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}
    assert InvoiceSync.objects.filter(state=SyncState.SYNCED, synced_version=1).count() == 500
    assert [i.number for i in invoices] == [o.number for o in outcomes]


def test_manual_resync_skips_locked_and_reports_each_invoice(xero, xero_conn, supplier, product, worker):
    good, paid, bad = (make_invoice(supplier, lines=[line(product)]) for _ in range(3))
    worker.run()
    InvoiceSync.objects.filter(invoice=paid).update(remote_locked=True, state=SyncState.LOCKED)
    bad_product = ProductFactory(supplier=supplier, sales_account_code="260", tax_type="OUTPUT2")
    from integrations_core.invoices import invoice_update
    invoice_update(invoice=bad, lines=[line(bad_product)])
    worker.run()

    outcomes = {o.number: o for o in manual_resync(connection=xero_conn, invoices=select_invoices(
        connection=xero_conn, numbers=[good.number, paid.number, bad.number]))}

    assert outcomes[good.number].result == "updated"
    assert outcomes[paid.number].result == "skipped_locked"
    assert outcomes[paid.number].message == "Invoice is paid in Xero and locked: manage changes directly in Xero"
    assert outcomes[bad.number].result == "failed"
    assert "account code '260' is archived" in outcomes[bad.number].message


def test_manual_resync_of_a_renumbered_invoice_updates_the_same_xero_invoice(xero, xero_conn, supplier, product,
                                                                            worker):
    from integrations_core.invoices import invoice_update

    invoice = make_invoice(supplier, lines=[line(product)], number="INV-RS-OLD")
    worker.run()
    [first] = xero.control.invoices(TENANT_NZ)
    invoice_update(invoice=invoice, number="INV-RS-NEW")  # its own push stays queued: the re-sync sends it

    [outcome] = manual_resync(connection=xero_conn, invoices=select_invoices(connection=xero_conn,
                                                                             numbers=["INV-RS-NEW"]))

    assert outcome.result == "updated"
    assert [(i["InvoiceID"], i["InvoiceNumber"]) for i in xero.control.invoices(TENANT_NZ)] == [
        (first["InvoiceID"], "INV-RS-NEW")]
    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}


def test_xero_resync_command_dry_run_and_bad_input(xero, xero_conn, supplier, product, capsys):
    invoice = make_invoice(supplier, lines=[line(product)])
    call_command("xero_resync", str(supplier.pk), invoice.number, "--dry-run")
    out = capsys.readouterr().out
    assert f"{invoice.number}" in out and "would_create" in out and "summary: would_create 1" in out
    assert xero.control.invoices(TENANT_NZ) == []

    with pytest.raises(CommandError, match="Unknown invoice numbers"):
        call_command("xero_resync", str(supplier.pk), "NOPE-1")
    with pytest.raises(CommandError, match="No supplier"):
        call_command("xero_resync", "no such supplier", "--backlog")


def test_a_batch_leaves_the_currency_to_xero_and_names_it_as_the_preflight_does(xero, supplier, product, worker):
    connection = xero_connection(xero, supplier)
    connection.state = "expired"
    connection.save()
    kept = [make_invoice(supplier, lines=[line(product)]) for _ in range(3)]
    foreign = make_invoice(supplier, lines=[line(product)], currency="JPY")
    connection.state = "connected"
    connection.save()
    xero.control.clear_request_log()

    outcomes = {o.number: o for o in manual_resync(connection=connection, invoices=select_invoices(
        connection=connection, backlog=True))}

    assert {outcomes[i.number].result for i in kept} == {"created"}
    assert outcomes[foreign.number].result == "failed"
    sync = InvoiceSync.objects.get(invoice=foreign)
    assert (sync.state, sync.error_category) == (SyncState.FAILED, "currency_not_enabled")
    assert sync.error_message == ("The invoice's currency is not set up in Xero: JPY is not one of the "
                                  "organisation's currencies in Xero")
    assert xero.control.call_count(endpoint_contains="Currencies") == 0  # one push and the chart: nothing more
    assert xero.control.call_count(endpoint_contains="api.xro") == 2
