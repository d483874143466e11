"""Live pushes taken together: a push job that finds other pushes of its connection waiting takes them with it
into one `push_invoices(live=True)` call, each recorded under its own claim as a single push is."""

import threading

import pytest
from django.db import connection as db, transaction
from django.utils import timezone

from integrations_core import live_batch, push_statements, registry
from integrations_core.errors import ClassifiedError, ErrorCategory
from integrations_core.hookspecs import ProviderInfo, hookimpl
from integrations_core.invoices import invoice_cancel, invoice_update
from integrations_core.models import InvoiceSync, SyncAttempt, SyncState, TriggerKind
from plugins.stub import store
from plugins.stub.plugin import StubPlugin
from tests.factories import ConnectionFactory, make_invoice

pytestmark = pytest.mark.django_db


class Batching(StubPlugin):
    """The stub remote with a batch path of up to 5 invoices a call; it keeps each call, and answers every
    invoice with `refusal` when one is set."""

    def __init__(self):
        super().__init__(key="batching", name="Batching")
        self.calls: list[tuple[list[str], bool]] = []
        self.refusal: ClassifiedError | None = None

    @hookimpl
    def provider_info(self):
        return ProviderInfo(key=self.key, name=self.name, batch_size=5)

    @hookimpl
    def push_invoices(self, connection, invoices, syncs, live=False):
        if not self._mine(connection):
            return None
        self.calls.append(([i.number for i in invoices], live))
        if self.refusal is not None:
            return [self.refusal] * len(invoices)
        return [self._write(connection, i, s) for i, s in zip(invoices, syncs)]


@pytest.fixture
def batching(supplier):
    plugin = Batching()
    registry.get_plugin_manager().register(plugin)
    try:
        yield plugin, ConnectionFactory(supplier=supplier, provider="batching")
    finally:
        registry.get_plugin_manager().unregister(plugin)
        registry.reset()


def _numbers(connection) -> list[str]:
    return sorted(r.number for r in store.remote_invoices(connection))


def test_live_batch_takes_the_waiting_pushes_of_the_connection_batch_size_at_a_time(supplier, batching, worker):
    plugin, connection = batching
    invoices = [make_invoice(supplier) for _ in range(12)]  # twelve jobs queued before any runs

    worker.run()

    assert [(len(numbers), live) for numbers, live in plugin.calls] == [(5, True), (5, True), (2, True)]
    assert _numbers(connection) == sorted(i.number for i in invoices)  # each once
    syncs = InvoiceSync.objects.filter(connection=connection)
    assert {s.state for s in syncs} == {SyncState.SYNCED} and {s.synced_version for s in syncs} == {1}
    for sync in syncs:  # one attempt each, under its own claim
        assert list(SyncAttempt.objects.filter(sync=sync).values_list("outcome", flat=True)) == ["succeeded"]
        assert sync.claim == 1


def test_live_batch_pushes_a_lone_push_through_push_invoice(supplier, batching, worker):
    plugin, connection = batching
    invoice = make_invoice(supplier)

    worker.run()

    assert plugin.calls == []
    assert _numbers(connection) == [invoice.number]


def test_live_batch_leaves_a_void_invoice_to_push_invoice(supplier, batching, worker):
    plugin, connection = batching
    invoices = [make_invoice(supplier) for _ in range(3)]
    worker.run()
    plugin.calls.clear()
    invoice_cancel(invoice=invoices[1])
    for invoice in (invoices[0], invoices[2]):
        invoice_update(invoice=invoice, order_reference="PO-NEW")

    worker.run()

    assert plugin.calls == [([invoices[0].number, invoices[2].number], True)]
    remote = {r.number: r for r in store.remote_invoices(connection)}
    assert remote[invoices[1].number].status == "VOIDED"
    assert {remote[i.number].status for i in (invoices[0], invoices[2])} == {"AUTHORISED"}
    assert {s.state for s in InvoiceSync.objects.filter(connection=connection)} == {SyncState.SYNCED}


def test_live_batch_rate_limited_each_retries_with_its_own_job_then_they_go_together(supplier, batching, worker):
    plugin, connection = batching
    plugin.refusal = ClassifiedError.of(ErrorCategory.RATE_LIMITED, "Batching", retry_after=30.0)
    invoices = [make_invoice(supplier) for _ in range(4)]

    worker.run()

    syncs = InvoiceSync.objects.filter(connection=connection)
    assert [len(numbers) for numbers, _ in plugin.calls] == [4]
    assert {(s.state, s.attempts) for s in syncs} == {(SyncState.RETRYING, 0)}  # rate limits do not count
    assert all(25 <= (s.next_retry_at - timezone.now()).total_seconds() <= 31 for s in syncs)
    # Each its own retry, as the policy has it (the others' first jobs, run meanwhile, put theirs back for then too).
    assert {int(job_id.split("-")[1]) for job_id, _ in worker.scheduled()} == {s.pk for s in syncs}
    plugin.refusal = None

    worker.run_scheduled(within=60)

    assert [len(numbers) for numbers, _ in plugin.calls] == [4, 4]  # the first retry took the others
    assert _numbers(connection) == sorted(i.number for i in invoices)
    assert {s.state for s in InvoiceSync.objects.filter(connection=connection)} == {SyncState.SYNCED}


def test_live_batch_leaves_an_order_update_within_its_coalescing_wait(supplier, batching, settings):
    _, connection = batching
    first, updated, settled = (make_invoice(supplier) for _ in range(3))
    InvoiceSync.objects.filter(invoice=updated).update(last_trigger=TriggerKind.ORDER_UPDATED,
                                                       queued_at=timezone.now())
    InvoiceSync.objects.filter(invoice=settled).update(last_trigger=TriggerKind.ORDER_UPDATED,
                                                       queued_at=timezone.now() - timezone.timedelta(seconds=10))
    own = push_statements.claim(InvoiceSync.objects.get(invoice=first).pk, timezone.now())

    taken = live_batch.claim_waiting(sync=own[0], invoice=own[1], connection=connection, coalescing=2.0)

    assert list(taken) == [InvoiceSync.objects.get(invoice=settled).pk]


def test_live_batch_takes_nothing_for_a_provider_without_a_batch_path(supplier, netsuite):
    first, _ = make_invoice(supplier), make_invoice(supplier)
    own = push_statements.claim(InvoiceSync.objects.get(invoice=first).pk, timezone.now())

    assert live_batch.batch_limit(netsuite) == 0
    assert live_batch.claim_waiting(sync=own[0], invoice=own[1], connection=netsuite, coalescing=0) == {}


def _waiting_world(supplier, connection):
    """Syncs of `connection` in every state, and the one claimed by the job: (own sync, the ids it may take)."""
    invoices = [make_invoice(supplier) for _ in range(8)]
    syncs = [InvoiceSync.objects.get(invoice=i) for i in invoices]
    now = timezone.now()
    InvoiceSync.objects.filter(pk=syncs[1].pk).update(state=SyncState.RETRYING, next_retry_at=now)  # due
    InvoiceSync.objects.filter(pk=syncs[2].pk).update(state=SyncState.RETRYING,
                                                      next_retry_at=now + timezone.timedelta(minutes=1))
    InvoiceSync.objects.filter(pk=syncs[3].pk).update(remote_locked=True)
    InvoiceSync.objects.filter(pk=syncs[4].pk).update(state=SyncState.SYNCING)
    InvoiceSync.objects.filter(pk=syncs[5].pk).update(state=SyncState.SYNCED)
    invoice_cancel(invoice=invoices[6])  # void: queued, but for push_invoice alone
    own = push_statements.claim(syncs[0].pk, timezone.now())
    return own, {syncs[1].pk, syncs[7].pk}


def test_live_batch_claims_only_waiting_and_due_syncs_each_counted(supplier, batching):
    _, connection = batching
    own, due = _waiting_world(supplier, connection)
    claims_before = dict(InvoiceSync.objects.values_list("pk", "claim"))

    taken = live_batch.claim_waiting(sync=own[0], invoice=own[1], connection=connection, coalescing=0)

    assert set(taken) == due
    assert all(claim == claims_before[pk] + 1 for pk, claim in taken.items())
    assert {s.state for s in InvoiceSync.objects.filter(pk__in=due)} == {SyncState.SYNCING}
    loaded = live_batch.load(taken, connection)
    assert [s.pk for s in loaded] == sorted(due) and all(s.invoice.lines.all() for s in loaded)
    assert live_batch.claim_waiting(sync=own[0], invoice=own[1], connection=connection, coalescing=0) == {}


@pytest.mark.skipif(not push_statements.available(), reason="the one-statement claim is PostgreSQL's")
def test_live_batch_statement_claims_what_the_orm_twin_claims(supplier, batching):
    _, connection = batching
    own, due = _waiting_world(supplier, connection)
    now = timezone.now()
    args = (connection.pk, own[0].pk, now, now)

    by_statement = live_batch.claim_by_statement(*args, limit=4)
    InvoiceSync.objects.filter(pk__in=by_statement).update(state=SyncState.QUEUED)
    by_orm = live_batch.claim_through_orm(*args, limit=4)

    assert set(by_statement) == set(by_orm) == due
    assert all(by_orm[pk] == by_statement[pk] + 1 for pk in due)
    InvoiceSync.objects.filter(pk__in=due).update(state=SyncState.QUEUED)
    assert len(live_batch.claim_by_statement(*args, limit=1)) == 1  # no more than asked


@pytest.mark.skipif(not push_statements.available(), reason="SKIP LOCKED is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_live_batch_skips_a_sync_another_worker_holds(supplier, batching):
    _, connection = batching
    invoices = [make_invoice(supplier) for _ in range(3)]
    ids = [InvoiceSync.objects.get(invoice=i).pk for i in invoices]
    own = push_statements.claim(ids[0], timezone.now())
    held, release = threading.Event(), threading.Event()

    def other_worker():  # holds the second sync's row, as a claim or a trigger in flight does
        try:
            with transaction.atomic():
                list(InvoiceSync.objects.select_for_update().filter(pk=ids[1]))
                held.set()
                release.wait(10)
        finally:
            db.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(10)
        taken = live_batch.claim_waiting(sync=own[0], invoice=own[1], connection=connection, coalescing=0)
    finally:
        release.set()
        thread.join()

    assert list(taken) == [ids[2]]  # not waited for, not taken
    assert InvoiceSync.objects.get(pk=ids[1]).state == SyncState.QUEUED
