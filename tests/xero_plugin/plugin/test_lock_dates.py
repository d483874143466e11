"""An organisation's lock dates, end to end: trigger -> queue -> worker -> Xero plugin -> the real SDK -> the local
Xero, which refuses documents dated on or before them in Xero's words. The invoice fails as `period_locked` (the
books, not the invoice), never remote-locked, and goes through once the accountant moves the lock date."""

import datetime as dt

import pytest

from integrations_core.diagnosis import invoice_diagnose
from integrations_core.invoices import invoice_cancel, invoice_mark_paid
from integrations_core.models import InvoiceSync, SyncState
from tests.factories import ProductFactory, line, make_invoice
from integrations_core.bulk import resync as manual_resync, select_invoices
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db

MESSAGE = "Xero period is locked: the invoice date is before the lock date"
LOCK = dt.date(2026, 11, 15)


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")


def _sync(invoice) -> InvoiceSync:
    return InvoiceSync.objects.get(invoice=invoice)


def _assert_period_locked(sync: InvoiceSync):
    assert (sync.state, sync.error_category, sync.remote_locked) == (SyncState.FAILED, "period_locked", False)
    assert sync.error_message.startswith(MESSAGE)
    assert "the period lock date is currently set at 15-Nov-2026" in sync.error_message  # support sees the date
    assert "move the lock date" in sync.error_fix and "change the invoice date" in sync.error_fix


def test_an_invoice_before_the_lock_date_fails_then_one_manual_resync_syncs_it_once_the_date_moves(
        xero, xero_conn, supplier, product, worker):
    xero.control.set_lock_dates(TENANT_NZ, period=LOCK)
    invoice = make_invoice(supplier, lines=[line(product)], issue_date=dt.date(2026, 11, 1))
    worker.run()

    _assert_period_locked(_sync(invoice))
    assert xero.control.invoices(TENANT_NZ) == []
    [finding] = [f for d in invoice_diagnose(invoice=invoice) for f in d.findings if f.check == "not_locked"]
    assert not finding.ok and MESSAGE in finding.message and "move the lock date" in finding.fix

    xero.control.set_lock_dates(TENANT_NZ, period=dt.date(2026, 10, 31))  # the accountant moves it
    [outcome] = manual_resync(connection=xero_conn, invoices=select_invoices(connection=xero_conn,
                                                                             numbers=[invoice.number]))

    assert outcome.result == "created", outcome.message
    sync = _sync(invoice)
    assert (sync.state, sync.error_category, sync.remote_locked) == (SyncState.SYNCED, "", False)
    [remote] = xero.control.invoices(TENANT_NZ)
    assert (remote["InvoiceNumber"], remote["Status"]) == (invoice.number, "AUTHORISED")


def test_a_void_in_a_locked_period_fails_the_same_way_and_xero_keeps_the_invoice(xero, xero_conn, supplier, product,
                                                                                 worker):
    invoice = make_invoice(supplier, lines=[line(product)], issue_date=dt.date(2026, 11, 1))
    worker.run()
    xero.control.set_lock_dates(TENANT_NZ, period=LOCK)

    invoice_cancel(invoice=invoice)
    worker.run()

    _assert_period_locked(_sync(invoice))
    [remote] = xero.control.invoices(TENANT_NZ)
    assert remote["Status"] == "AUTHORISED"


def test_a_payment_in_a_locked_period_fails_the_same_way_and_nothing_is_paid(xero, xero_conn, supplier, product,
                                                                            worker):
    invoice = make_invoice(supplier, lines=[line(product)], issue_date=dt.date(2026, 11, 20))
    worker.run()
    xero.control.set_lock_dates(TENANT_NZ, period=dt.date(2026, 11, 25))

    invoice_mark_paid(invoice=invoice, paid_at=dt.datetime(2026, 11, 22, 9, tzinfo=dt.timezone.utc))
    worker.run()

    sync = _sync(invoice)
    assert (sync.state, sync.error_category, sync.remote_locked) == (SyncState.FAILED, "period_locked", False)
    assert "the period lock date is currently set at 25-Nov-2026" in sync.error_message
    [remote] = xero.control.invoices(TENANT_NZ)
    assert (remote["Status"], float(remote["AmountPaid"])) == ("AUTHORISED", 0.0)
