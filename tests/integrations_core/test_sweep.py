"""A sync left `syncing` by a worker killed mid-push is picked up by the sweep."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection as db

from integrations_core.models import InvoiceSync, SyncAttempt, SyncState
from integrations_core.sync import sync_sweep
from plugins.stub import store
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    s = db.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)  # another process (rqworker) reads the database
def test_sweep_requeues_a_sync_whose_worker_was_killed(supplier, netsuite, worker, settings):
    if db.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    fault = store.inject_fault(netsuite, "hang", seconds=60)
    invoice = make_invoice(supplier)
    sync = InvoiceSync.objects.get(invoice=invoice)

    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL}
    process = subprocess.Popen([sys.executable, "manage.py", "rqworker", "pushes", "--burst"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            sync.refresh_from_db()
            fault.refresh_from_db()
            # Killed only once it is inside the remote call (the fault taken), not between claim and call.
            if sync.state == SyncState.SYNCING and fault.remaining == 0:
                break
            time.sleep(0.05)
        assert sync.state == SyncState.SYNCING and fault.remaining == 0
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    assert sync_sweep(stuck_after=3600) == 0  # not stuck yet by the clock
    sync.refresh_from_db()
    assert sync.state == SyncState.SYNCING

    assert sync_sweep(stuck_after=0) == 1
    sync.refresh_from_db()
    assert sync.state == SyncState.QUEUED and sync.last_trigger == "sweep"
    worker.run()

    sync.refresh_from_db()
    assert sync.state == SyncState.SYNCED and sync.synced_version == 1
    assert [r.number for r in store.remote_invoices(netsuite)] == [invoice.number]
    # The killed push is in the audit too, though its worker could not write it.
    interrupted, pushed = SyncAttempt.objects.filter(sync=sync).order_by("started_at")
    assert (interrupted.outcome, interrupted.version, interrupted.trigger) == ("failed", 1, "invoice_generated")
    assert "No outcome within 0 s" in interrupted.error_message and interrupted.finished_at
    assert (pushed.outcome, pushed.version, pushed.trigger) == ("succeeded", 1, "sweep")


@pytest.mark.parametrize("job", ["runs", "lost"])
def test_a_sync_waiting_on_a_connection_that_is_gone_goes_to_its_backlog(job, supplier, netsuite, worker):
    from integrations_core.models import Connection
    from integrations_core.selectors import connection_backlog

    invoice = make_invoice(supplier)  # queued, its job waiting
    Connection.objects.filter(pk=netsuite.pk).update(state="disconnected")  # as a crash mid-disconnect left it
    if job == "runs":
        worker.run()  # the push finds nothing it may push to
    else:
        import django_rq

        django_rq.get_queue("pushes").empty()  # Redis lost the job: the sweep finds the sync
        assert sync_sweep(queued_after=0) == 0  # not queued again: nothing could push it

    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.error_category) == (SyncState.FAILED, "not_connected")
    assert list(connection_backlog(connection=netsuite)) == [sync]
