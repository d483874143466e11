"""Re-sync runs against the local Xero on real RQ queues: no worker waits for a budget (a run whose budget is spent
puts its next turn back until it returns), and the runs of many organisations take turns on the workers."""

import pytest
from django.conf import settings as django_settings

from integrations_core import queue, runs
from integrations_core.models import InvoiceSync, ResyncRun, ResyncRunState, SyncAttempt, SyncState
from integrations_core.runs import resync_run_start
from tests.factories import ProductFactory, SupplierFactory, missed_while_expired
from tests.xero_plugin.connecting import xero_connection
from xero_plugin import limits
from xero_plugin.sandbox import TENANT_NZ, TENANT_NZ2

pytestmark = pytest.mark.django_db


def _backlog(xero, supplier, count, tenant_id=TENANT_NZ):
    connection = xero_connection(xero, supplier, tenant_id=tenant_id)
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    return connection, missed_while_expired(connection, count, product=product)


def _minute_passes():
    """Xero's minute turns: every budget window starts again."""
    limits._limiter(django_settings.REDIS_URL or "").storage.reset()


def test_a_run_out_of_budget_puts_its_next_turn_back_and_finishes_when_the_budget_returns(xero, supplier, worker,
                                                                                        settings):
    settings.XERO_MINUTE_LIMIT, settings.XERO_LIVE_SHARE = 6, 2  # bulk work: 4 calls a minute
    connection, invoices = _backlog(xero, supplier, 300)
    _minute_passes()

    run = resync_run_start(connection=connection, backlog=True)
    worker.run()  # the chart read and 3 calls of 50; the 4th call is refused unsent

    run.refresh_from_db()
    assert (run.state, run.total, run.done) == (ResyncRunState.RUNNING, 300, 150)
    assert run.resume_at is not None
    [(job_id, at)] = worker.scheduled()  # the run's next turn, at the minute's end; no worker holds it
    assert 0 < (at - run.touched_at).total_seconds() <= 62  # RQ schedules to the second
    assert len(xero.control.invoices(TENANT_NZ)) == 150
    waiting = InvoiceSync.objects.filter(connection=connection, state=SyncState.RETRYING)
    assert waiting.count() == 150
    assert all(s.error_message.startswith("Sync unsuccessful (rate limited)") for s in waiting)
    assert queue.waiting_job_ids(queue.PUSHES) == set()  # the run takes them back, not one push each

    _minute_passes()
    worker.run_scheduled(within=120)

    run.refresh_from_db()
    assert (run.state, run.done) == (ResyncRunState.DONE, 300)
    assert {o["result"] for o in run.outcomes} == {"created"}
    assert [o["number"] for o in run.outcomes] == [i.number for i in invoices]
    assert len(xero.control.invoices(TENANT_NZ)) == 300
    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}
    assert xero.control.call_count(method="POST", endpoint_contains="Invoices") == 6  # 50 a call, none sent twice
    assert InvoiceSync.objects.filter(connection=connection, state=SyncState.SYNCED).count() == 300


def test_runs_of_two_organisations_take_turns_on_the_workers(xero, worker, settings, monkeypatch):
    settings.XERO_MINUTE_LIMIT = 1000
    monkeypatch.setattr(runs, "CHUNK", 50)  # a turn per 50 invoices, so that three turns make each run
    first, _ = _backlog(xero, SupplierFactory(), 150, TENANT_NZ)
    second, _ = _backlog(xero, SupplierFactory(), 150, TENANT_NZ2)
    started = [resync_run_start(connection=c, backlog=True) for c in (first, second)]

    worker.run()

    assert {r.state for r in ResyncRun.objects.filter(pk__in=[r.pk for r in started])} == {ResyncRunState.DONE}
    order = list(SyncAttempt.objects.order_by("id").values_list("sync__connection_id", flat=True))
    turns = [order[i] for i in range(0, len(order), 50)]
    assert len(order) == 300 and all(len(set(order[i:i + 50])) == 1 for i in range(0, 300, 50))
    assert turns == [first.pk, second.pk] * 3  # round robin, not the first run to the end and then the second


@pytest.mark.django_db(transaction=True)  # a worker process of its own reads the database
def test_a_turn_whose_worker_dies_in_its_call_is_recorded_by_the_sweep_and_pushed_once(xero, supplier, worker,
                                                                                       settings):
    """A re-sync writes its attempts with their outcomes: a worker killed in the middle of a batch call leaves its
    invoices `syncing` and no attempt; the sweep records an attempt for each and queues it again, and Xero holds each
    invoice once however its own copy of the cut-short call ended."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection as db

    from integrations_core.sync import sync_sweep
    from tests.bench.world import xero_env

    if db.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    connection, invoices = _backlog(xero, supplier, 60)
    _minute_passes()
    xero.control.inject_fault("slow", method="POST", path="Invoices", delay=3)  # the first batch call takes 3 s
    run = resync_run_start(connection=connection, backlog=True)
    s = db.settings_dict
    env = {**os.environ, **xero_env(xero), "REDIS_URL": settings.REDIS_URL,
           "DATABASE_URL": f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"}
    process = subprocess.Popen([sys.executable, "manage.py", "rqworker", "bulk", "--burst"],
                               cwd=Path(__file__).resolve().parents[3], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    syncs = InvoiceSync.objects.filter(connection=connection)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (syncs.filter(state=SyncState.SYNCING).count() == 60
                                                   and not xero.control.faults()):
            time.sleep(0.05)
        assert syncs.filter(state=SyncState.SYNCING).count() == 60 and not xero.control.faults()  # in the call
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not SyncAttempt.objects.filter(sync__in=syncs).exists()
    deadline = time.monotonic() + 10  # Xero finishes the call it was given: its first 50
    while time.monotonic() < deadline and len(xero.control.invoices(TENANT_NZ)) < 50:
        time.sleep(0.05)

    assert sync_sweep(stuck_after=0) == 60
    worker.run()

    assert syncs.filter(state=SyncState.SYNCED).count() == 60
    assert sorted(i["InvoiceNumber"] for i in xero.control.invoices(TENANT_NZ)) == sorted(i.number for i in invoices)
    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}
    for sync in syncs:
        interrupted, pushed = sync.attempts_log.order_by("started_at", "id")
        assert interrupted.outcome == "failed" and "No outcome within 0 s" in interrupted.error_message
        assert pushed.outcome == "succeeded"
    run.refresh_from_db()
    assert run.state == ResyncRunState.RUNNING  # its lost turn: failed by the runs' sweep after STALE_AFTER
