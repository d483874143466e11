"""Faults outside the remote: Redis losing its queues, the database dropping connections, a trigger or remote
news racing a push, our own payment read back, a skewed clock. Each ends with the remote holding the invoice
once, at its latest version, and nothing left waiting."""

import datetime as dt
import threading
import time

import django_rq
import pytest
from django.db import OperationalError, close_old_connections, connection as db, transaction

from integrations_core import clock, push_statements, registry, sync as engine
from integrations_core.invoices import invoice_mark_paid, invoice_update
from integrations_core.models import InvoiceStatus, InvoiceSync, SyncAttempt, SyncState
from integrations_core.remote import connection_reconcile, remote_invoice_apply
from integrations_core.sync import sync_sweep
from plugins.stub import store
from tests.factories import ProductFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def _sync(invoice) -> InvoiceSync:
    return InvoiceSync.objects.get(invoice=invoice)


def _remote(connection, invoice):
    [remote] = [r for r in store.remote_invoices(connection) if r.number == invoice.number]
    return remote


def test_syncs_queued_when_redis_lost_its_data_are_found_again_and_pushed_once(supplier, netsuite, worker):
    invoices = [make_invoice(supplier) for _ in range(5)]
    django_rq.get_connection("pushes").flushdb()  # a restart without persistence: every job gone

    assert sync_sweep(queued_after=3600) == 0  # not stale yet
    assert sync_sweep(queued_after=0) == 5
    assert sync_sweep(queued_after=0) == 0  # their new jobs are seen in RQ: no second job
    worker.run()

    for invoice in invoices:
        assert (_sync(invoice).state, _sync(invoice).synced_version) == (SyncState.SYNCED, 1)
    assert sorted(r.number for r in store.remote_invoices(netsuite)) == sorted(i.number for i in invoices)


def test_an_update_of_a_queued_sync_whose_job_is_gone_queues_it_again(supplier, netsuite, worker, settings):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, product=product)
    django_rq.get_connection("pushes").flushdb()
    settings.INTEGRATIONS_QUEUED_STALE_SECONDS = 0

    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="2")])
    worker.run()

    sync = _sync(invoice)
    assert (sync.state, sync.synced_version) == (SyncState.SYNCED, 2)
    assert _remote(netsuite, invoice).version == 2


@pytest.mark.django_db(transaction=True)  # reconnects after a drop only outside a transaction
def test_a_dropped_database_connection_before_the_push_is_retried_not_lost(supplier, netsuite, worker):
    invoice = make_invoice(supplier)
    # Every backend of the test database but this one is terminated: the next use of a kept connection fails.
    real_claim = engine._claim
    failures = []

    def claim_on_a_dead_connection(sync_id):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real_claim(sync_id)

    engine._claim = claim_on_a_dead_connection
    try:
        worker.run()
    finally:
        engine._claim = real_claim

    sync = _sync(invoice)
    assert failures and (sync.state, sync.synced_version) == (SyncState.SYNCED, 1)
    assert len(store.remote_invoices(netsuite)) == 1


@pytest.mark.django_db(transaction=True)  # closes the dropped connection: ends the test's transaction
def test_a_database_connection_dropped_under_the_plugin_is_retried_not_failed(supplier, netsuite, worker,
                                                                             monkeypatch):
    real_take = store.take_fault
    dropped = []

    def take_fault_on_a_dead_connection(connection):
        if not dropped:
            dropped.append(1)  # the plugin reads its own rows when PostgreSQL drops the backend
            raise OperationalError("terminating connection due to administrator command")
        return real_take(connection)

    monkeypatch.setattr(store, "take_fault", take_fault_on_a_dead_connection)
    invoice = make_invoice(supplier)
    worker.run()
    worker.run_scheduled(within=3600)
    assert dropped
    first, second = SyncAttempt.objects.filter(sync__invoice=invoice).order_by("started_at", "id")
    assert (first.outcome, first.error_category) == ("failed", "transient")  # not a refusal: tried again
    assert second.outcome == "succeeded"
    assert (_sync(invoice).state, _sync(invoice).synced_version) == (SyncState.SYNCED, 1)
    assert len(store.remote_invoices(netsuite)) == 1


def test_a_job_whose_database_is_gone_goes_back_on_the_queue(supplier, netsuite, worker, monkeypatch):
    monkeypatch.setattr(engine, "with_database_retry", lambda step, tries=5: (_ for _ in ()).throw(
        OperationalError("the database is down")))
    invoice = make_invoice(supplier)

    worker.run()

    assert _sync(invoice).state == SyncState.QUEUED
    [(job_id, _)] = worker.scheduled()  # RQ's Retry has it, not the failed registry
    assert job_id.startswith(f"push-{_sync(invoice).pk}-")
    monkeypatch.undo()
    worker.run_scheduled(within=3600)
    assert (_sync(invoice).state, _sync(invoice).synced_version) == (SyncState.SYNCED, 1)


@pytest.mark.django_db(transaction=True)  # threads: the claim waits for another connection's commit
def test_an_update_committed_while_the_claim_waits_is_pushed(supplier, netsuite, worker):
    if not push_statements.available():
        pytest.skip("the one-statement claim is PostgreSQL's")
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, product=product)
    sync = _sync(invoice)
    claimed = {}

    def update_slowly():
        # The trigger's transaction: the invoice changed and the sync locked, then it takes its time to commit.
        with transaction.atomic():
            invoice_update(invoice=invoice, lines=[line(product, quantity="7")])
            started.set()
            time.sleep(0.5)
        close_old_connections()

    def claim():
        started.wait()
        claimed["result"] = engine._claim(sync.pk)
        close_old_connections()

    started = threading.Event()
    threads = [threading.Thread(target=update_slowly), threading.Thread(target=claim)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    _, pushed, _ = claimed["result"]
    assert pushed.version == 2 and [li.quantity for li in pushed.lines.all()] == [7]


def test_a_payment_told_while_the_push_is_in_flight_is_not_overwritten(supplier, netsuite, worker, monkeypatch):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, product=product)
    worker.run()
    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="3")])
    real_push = registry.hook().push_invoice

    def push_then_paid_remotely(**kwargs):
        result = real_push(**kwargs)
        # While our answer is on its way, the retailer pays in the remote and its webhook is applied here.
        store.mark_remote_paid(netsuite, invoice.number)
        [remote] = [r for r in registry.hook().fetch_invoices(connection=netsuite, remote_ids=None,
                                                              modified_since=None) if r.number == invoice.number]
        assert remote_invoice_apply(connection=netsuite, remote=remote) == "paid"
        return result

    monkeypatch.setattr(registry.hook(), "push_invoice", push_then_paid_remotely)
    worker.run()
    monkeypatch.undo()

    sync = _sync(invoice)
    assert sync.state == SyncState.LOCKED and sync.remote_locked and sync.syncing_since is None
    assert sync.synced_version == 2 and "paid" in sync.error_message
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_our_own_payment_read_back_by_reconciliation_changes_nothing(supplier, netsuite, worker):
    invoice = make_invoice(supplier)
    worker.run()
    invoice_mark_paid(invoice=invoice)
    worker.run()
    sync = _sync(invoice)
    assert (sync.state, sync.remote_status) == (SyncState.SYNCED, "PAID")

    connection_reconcile(connection=netsuite, since=clock.now() - dt.timedelta(hours=1))

    sync = _sync(invoice)
    assert sync.state == SyncState.SYNCED and sync.error_message == ""


def test_a_skewed_machine_clock_records_no_negative_duration_and_fires_no_retry_early(
        supplier, netsuite, worker, settings, monkeypatch):
    if db.vendor != "postgresql":
        pytest.skip("SQLite's clock is this machine's")
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 30
    skewed = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    monkeypatch.setattr("django.utils.timezone.now", lambda: skewed)  # this machine is 10 minutes behind
    clock.forget()
    store.inject_fault(netsuite, "timeout")
    invoice = make_invoice(supplier)
    worker.run()
    sync = _sync(invoice)
    assert sync.state == SyncState.RETRYING

    # RQ's scheduler on a machine whose clock is ahead moves the retry now: the push finds it not due.
    for name in ("pushes",):
        queue = django_rq.get_queue(name)
        from rq.registry import ScheduledJobRegistry

        registry_ = ScheduledJobRegistry(queue=queue)
        for job_id in registry_.get_job_ids():
            registry_.remove(job_id)
            queue.enqueue_job(queue.fetch_job(job_id))
    worker.run()

    assert _sync(invoice).state == SyncState.RETRYING and len(store.remote_invoices(netsuite)) == 0
    assert len(worker.scheduled()) == 1  # put back until it is due
    [attempt] = SyncAttempt.objects.filter(sync=sync)
    assert attempt.finished_at >= attempt.started_at
    assert abs((attempt.started_at - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60  # the database's time
