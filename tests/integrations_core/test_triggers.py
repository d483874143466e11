"""Triggers -> queue -> worker -> plugin -> state, through real RQ queues and a real worker."""

import pytest

from integrations_core.invoices import invoice_mark_paid, invoice_update
from integrations_core.models import InvoiceSync, SyncAttempt, SyncState, Trigger, TriggerKind
from plugins.stub import store
from tests.factories import ConnectionFactory, ProductFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def test_trigger_invoice_generated_pushes_to_every_connected_connection(supplier, netsuite, worker):
    unleashed = ConnectionFactory(supplier=supplier, provider="unleashed")
    invoice = make_invoice(supplier)

    assert worker.run() == 2

    for connection in (netsuite, unleashed):
        sync = InvoiceSync.objects.get(invoice=invoice, connection=connection)
        assert sync.state == SyncState.SYNCED
        assert sync.synced_version == 1
        assert sync.last_trigger == TriggerKind.INVOICE_GENERATED
        [remote] = store.remote_invoices(connection)
        assert (remote.number, remote.version, remote.status) == (invoice.number, 1, "AUTHORISED")
        assert sync.remote_id == remote.remote_id
    assert Trigger.objects.get(invoice=invoice).kind == TriggerKind.INVOICE_GENERATED


def test_trigger_order_updated_pushes_the_new_version(supplier, netsuite, worker):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product, quantity="1")])
    worker.run()

    invoice, changed = invoice_update(invoice=invoice, lines=[line(product, quantity="3")])
    assert changed and invoice.version == 2
    worker.run()

    [remote] = store.remote_invoices(netsuite)
    assert remote.version == 2 and remote.payload["lines"][0]["quantity"] == "3.0000"
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.synced_version, sync.last_trigger) == (SyncState.SYNCED, 2, TriggerKind.ORDER_UPDATED)
    assert sync.remote_id == remote.remote_id  # updated in place, not created again


def test_trigger_order_marked_as_paid_records_the_payment(supplier, netsuite, worker):
    invoice = make_invoice(supplier)
    worker.run()

    invoice, changed = invoice_mark_paid(invoice=invoice)
    assert changed
    worker.run()

    [remote] = store.remote_invoices(netsuite)
    assert remote.status == "PAID"
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert sync.last_trigger == TriggerKind.ORDER_PAID and sync.remote_locked
    assert sync.state == SyncState.SYNCED


def test_trigger_noop_update_pushes_nothing(supplier, netsuite, worker):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product, quantity="2", unit_price="5")])
    worker.run()

    same, changed = invoice_update(
        invoice=invoice, lines=[line(product, quantity="2.000", unit_price="5.00")], order_reference="ORD-1"
    )

    assert not changed and same.version == 1
    assert worker.run() == 0
    assert SyncAttempt.objects.count() == 1
    assert Trigger.objects.count() == 1


def test_trigger_rapid_updates_coalesce_and_end_on_the_last_version(supplier, netsuite, worker):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product, quantity="1")])
    for quantity in range(2, 12):  # 10 rapid updates while the first push waits on the queue
        invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity=str(quantity))])

    worker.run()

    assert invoice.version == 11
    pushes = SyncAttempt.objects.filter(sync__invoice=invoice).count()
    assert pushes <= 2
    [remote] = store.remote_invoices(netsuite)
    assert remote.version == 11 and remote.payload["lines"][0]["quantity"] == "11.0000"
    assert Trigger.objects.filter(invoice=invoice).count() == 11  # every trigger recorded, none lost


@pytest.mark.django_db(transaction=True)  # threads: the push in flight runs on its own connection
def test_trigger_during_a_push_in_flight_pushes_once_more_with_the_latest(supplier, netsuite, worker):
    """Updates that arrive while a push is in flight make exactly one more push, of the latest version."""
    import threading

    from django.db import connection as db

    from integrations_core.sync import sync_push

    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product, quantity="1")])
    sync = InvoiceSync.objects.get(invoice=invoice)
    store.inject_fault(netsuite, "slow", seconds=1.0)

    def push_in_flight():
        try:
            sync_push(sync_id=sync.pk)
        finally:
            db.close()

    pusher = threading.Thread(target=push_in_flight)
    pusher.start()
    for _ in range(50):  # wait until the push holds the sync
        sync.refresh_from_db()
        if sync.state == SyncState.SYNCING:
            break
        pusher.join(0.02)
    for quantity in range(2, 6):
        invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity=str(quantity))])
    pusher.join()
    worker.run()  # the job "invoice generated" queued finds nothing to do; the owed re-push runs

    sync.refresh_from_db()
    assert (sync.state, sync.synced_version) == (SyncState.SYNCED, 5)
    assert [a.version for a in SyncAttempt.objects.filter(sync=sync).order_by("started_at")] == [1, 5]
    assert store.remote_invoices(netsuite)[0].version == 5


def test_trigger_order_updates_wait_to_coalesce_even_with_a_live_worker(supplier, netsuite, worker, settings):
    """With the coalescing window, edits that arrive after the first push still make only one more."""
    settings.INTEGRATIONS_COALESCE_SECONDS = 2
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product, quantity="1")])
    assert worker.run() == 1  # "invoice generated" pushes at once
    for quantity in range(2, 12):
        invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity=str(quantity))])
        assert worker.run() == 0  # a worker between every edit finds nothing due yet

    [(_, due)] = worker.scheduled()
    worker.run_scheduled(within=5)

    assert [a.version for a in SyncAttempt.objects.filter(sync__invoice=invoice).order_by("started_at")] == [1, 11]
    assert store.remote_invoices(netsuite)[0].version == 11


def test_a_cancel_is_recorded_as_order_cancelled_and_voids_the_remote_invoice(supplier, netsuite, worker):
    from integrations_core.invoices import invoice_cancel

    invoice = make_invoice(supplier)
    worker.run()
    invoice_cancel(invoice=invoice)
    worker.run()

    assert Trigger.objects.filter(invoice=invoice).latest("id").kind == TriggerKind.ORDER_CANCELLED
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.last_trigger, sync.state) == (TriggerKind.ORDER_CANCELLED, SyncState.SYNCED)
    assert SyncAttempt.objects.filter(sync=sync).latest("started_at").get_trigger_display() == "order cancelled"
    [remote] = store.remote_invoices(netsuite)
    assert remote.status == "VOIDED"
