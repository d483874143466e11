"""An order paid in parts: each part one Xero payment, exactly once; the invoice locks when Xero holds it fully
paid, and a payment removed in Xero unlocks it here, with the change shown."""

import datetime as dt
from decimal import Decimal

import pytest

from integrations_core.invoices import invoice_mark_paid, invoice_record_payment
from integrations_core.models import InvoiceStatus, InvoiceSync, PaymentRecord, SyncState
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.client import client_for
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")


def _xero_invoice(connection, invoice):
    sync = InvoiceSync.objects.get(invoice=invoice)
    return client_for(connection).accounting.get_invoice(TENANT_NZ, sync.remote_id).invoices[0]


def _pay(invoice, part: str, amount: str, day: int):
    return invoice_record_payment(invoice=invoice, external_id=part, amount=amount, paid_on=dt.date(2026, 11, day))


def test_three_partial_payments_make_three_payments_in_xero_then_the_invoice_locks(xero, xero_conn, supplier,
                                                                                    product, worker):
    invoice = make_invoice(supplier, lines=[line(product, unit_price="100")], line_amount_type="inclusive")
    worker.run()

    for part, amount, day in (("P-1", "30.00", 3), ("P-2", "30.00", 10)):
        _pay(invoice, part, amount, day)
        worker.run()
    remote = _xero_invoice(xero_conn, invoice)
    assert (remote.status, remote.amount_paid, remote.amount_due) == ("AUTHORISED", 60.0, 40.0)
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.remote_locked) == (SyncState.SYNCED, False)  # part paid: not locked

    _, created = _pay(invoice, "P-3", "40.00", 17)
    assert created
    worker.run()
    assert _pay(invoice, "P-3", "40.00", 17)[1] is False  # reported again: nothing new
    worker.run()

    remote = _xero_invoice(xero_conn, invoice)
    assert (remote.status, remote.amount_due) == ("PAID", 0.0)
    assert sorted((p.amount, str(p.date)) for p in remote.payments) == [
        (30.0, "2026-11-03"), (30.0, "2026-11-10"), (40.0, "2026-11-17")]
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.remote_status, sync.remote_locked) == ("PAID", True)  # later changes are kept, not pushed
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert PaymentRecord.objects.filter(connection=xero_conn).count() == 3


def test_marking_paid_after_a_part_pays_what_xero_says_is_left(xero, xero_conn, supplier, product, worker):
    invoice = make_invoice(supplier, lines=[line(product, unit_price="100")])  # 115.00 in Xero with GST
    worker.run()
    _pay(invoice, "DEPOSIT", "15.00", 3)
    invoice_mark_paid(invoice=invoice, paid_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.timezone.utc))
    worker.run()
    remote = _xero_invoice(xero_conn, invoice)
    assert remote.status == "PAID"
    assert sorted(p.amount for p in remote.payments) == [15.0, 100.0]


def test_a_payment_over_what_is_owed_is_refused_and_nothing_is_written(supplier, product):
    from integrations_core.errors import InvalidInput

    invoice = make_invoice(supplier, lines=[line(product, unit_price="100")], line_amount_type="inclusive")
    _pay(invoice, "P-1", "60.00", 3)
    with pytest.raises(InvalidInput) as refused:
        _pay(invoice, "P-2", "50.00", 4)
    assert refused.value.field_errors["amount"] == [f"40.00 is still owed on invoice {invoice.number}."]
    assert [p.external_id for p in invoice.payments.all()] == ["P-1"]
    assert Decimal(sum(p.amount for p in invoice.payments.all())) == Decimal("60.00")


@pytest.mark.django_db(transaction=True)  # live server: its thread handles the local Xero's webhook
def test_a_payment_deleted_in_xero_unlocks_the_invoice_with_the_change_shown(xero, xero_conn, supplier, product,
                                                                             worker, live_server):
    invoice = make_invoice(supplier, lines=[line(product, unit_price="100")], line_amount_type="inclusive")
    worker.run()
    _pay(invoice, "P-1", "100.00", 3)
    worker.run()
    assert InvoiceSync.objects.get(invoice=invoice).remote_locked
    xero.control.set_webhook(f"{live_server.url}/xero/webhooks/")
    xero.control.intent_to_receive()

    [payment] = _xero_invoice(xero_conn, invoice).payments
    xero.control.delete_payment(TENANT_NZ, str(payment.payment_id))  # as the accountant does in Xero
    xero.control.webhook_deliveries(flush=True)
    worker.run()

    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.remote_locked, sync.remote_status) == (SyncState.SYNCED, False, "AUTHORISED")
    assert sync.drift_detail.startswith("A payment was removed in Xero: the invoice is open there again")
    assert PaymentRecord.objects.get(connection=xero_conn).removed_at is not None
    assert _xero_invoice(xero_conn, invoice).status == "AUTHORISED"
