"""Many RQ workers in one process (integrations_worker): pushes overlap while they wait on Xero, Xero refusing none
(RateLimit holds five at once per organisation), each invoice pushed once; SIGTERM lets the running job finish. Real Redis,
PostgreSQL, worker threads and processes, the local Xero through the real SDK. No test here is timed: each asserts
what happened (overlapping attempts, the process's exit and the job's outcome)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import django_rq
import pytest
from django.db import connection as db
from rq import Worker
from rq.job import JobStatus

from integrations_core.models import InvoiceSync, SyncAttempt, SyncState
from integrations_core.worker_threads import ThreadWorker, WorkerThreads
from tests.factories import ProductFactory, SupplierFactory, line, make_invoice
from tests.xero_plugin.connecting import xero_connection
from xero_plugin.sandbox import ALL_TENANTS, TENANT_NZ

pytestmark = pytest.mark.django_db(transaction=True)  # the workers' threads and processes read committed rows
ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("pushes", "bulk", "maintenance")


def _max_overlap(intervals) -> int:
    """The most intervals (start, end) open at one instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals],
                    key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    most = open_now = 0
    for _, step in events:
        open_now += step
        most = max(most, open_now)
    return most


def _connected_suppliers(xero, tenants):
    made = []
    for tenant_id in tenants:
        supplier = SupplierFactory()
        connection = xero_connection(xero, supplier, tenant_id=tenant_id)
        product = ProductFactory(supplier=supplier, sku="BREAD", sales_account_code="200", tax_type="OUTPUT2")
        made.append((supplier, connection, product))
    return made


def _slow_job(seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # Python code: where a timer's exception lands
        time.sleep(0.02)
    return "done"


def test_worker_threads_overlap_pushes_of_many_organisations_and_xero_refuses_none(xero):
    if db.vendor != "postgresql":
        pytest.skip("concurrent pushes need PostgreSQL: SQLite takes one writer at a time (a push waiting is retried)")
    xero.control.set_latency(200)
    # One invoice per organisation: an organisation's waiting pushes would go together in one call (live batches).
    orgs = _connected_suppliers(xero, [*ALL_TENANTS, *xero.control.add_organisations(9)])
    invoices = {connection.pk: make_invoice(supplier, lines=[line(product)], number=f"T-{connection.pk}")
                for supplier, connection, product in orgs}
    xero.control.clear_request_log()

    WorkerThreads(QUEUES, threads=16).start(burst=True).wait(burst=True)

    syncs = InvoiceSync.objects.filter(connection_id__in=invoices)
    assert syncs.count() == len(orgs) and set(syncs.values_list("state", flat=True)) == {SyncState.SYNCED}
    attempts = list(SyncAttempt.objects.filter(sync__in=syncs).values_list("started_at", "finished_at"))
    assert len(attempts) == syncs.count()  # one push each: nothing refused, nothing retried
    for (_, connection, _) in orgs:
        tenant_id = connection.tenant_id
        numbers = [i["InvoiceNumber"] for i in xero.control.invoices(tenant_id)]
        assert [n for n in numbers if n.startswith("T-")] == [f"T-{connection.pk}"]  # each invoice once in Xero
    # The process pushed to several organisations at once (more than one organisation's five)...
    assert _max_overlap(attempts) > 5
    # ...within each organisation's five at once: Xero refused nothing.
    assert all(entry["status"] < 400 for entry in xero.control.request_log()), xero.control.request_log()
    assert Worker.count(connection=django_rq.get_connection("pushes")) == 0  # every thread's worker registered its death


def test_a_thread_workers_job_timeout_is_raised_in_its_thread():
    queue = django_rq.get_queue("pushes")
    job = queue.enqueue(_slow_job, 5, job_timeout=1)

    WorkerThreads(["pushes"], threads=2).start(burst=True).wait(burst=True)

    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "JobTimeoutException" in job.latest_result().exc_string


def test_a_thread_worker_installs_no_signal_handler():
    before = signal.getsignal(signal.SIGTERM)
    ThreadWorker(["pushes"], connection=django_rq.get_connection("pushes")).work(burst=True)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_thread_worker_that_waits_for_work_shows_idle_once_it_has_waited():
    """Between jobs that follow each other it is not written idle (a round trip a job); waiting, it is."""
    queue = django_rq.get_queue("pushes")
    threads = WorkerThreads(["pushes"], threads=1).start()
    try:
        queue.enqueue("builtins.len", "ab", result_ttl=0)
        deadline = time.monotonic() + 10
        seen = []
        while time.monotonic() < deadline:
            seen = [(w.get_state(), w.successful_job_count) for w in Worker.all(queue=queue)]
            if seen == [("idle", 1)]:
                break
            time.sleep(0.1)
        assert seen == [("idle", 1)]
    finally:
        threads.stop()
        threads.wait()


def _worker_process(xero, settings, *args) -> subprocess.Popen:
    from tests.bench.world import xero_env

    s = db.settings_dict
    env = {**os.environ, **xero_env(xero), "REDIS_URL": settings.REDIS_URL,
           "DATABASE_URL": f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
                           f"/{s['NAME']}"}
    return subprocess.Popen([sys.executable, "manage.py", "integrations_worker", "-v", "0", *args], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _in_flight(xero, sync, process) -> None:
    """Until the sync's push is inside Xero's answer (its POST logged, not yet answered)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        posts = [e for e in xero.control.request_log() if e["method"] == "POST" and "Invoices" in e["path"]]
        sync.refresh_from_db()
        if posts and posts[-1]["status"] is None and sync.state == SyncState.SYNCING:
            return
        time.sleep(0.05)
    raise AssertionError(f"the push never reached Xero: {sync.state}, {process.poll()}")


def test_sigterm_lets_the_running_push_finish_then_the_process_exits(xero, settings):
    if db.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    [(supplier, _, product)] = _connected_suppliers(xero, [TENANT_NZ])
    invoice = make_invoice(supplier, lines=[line(product)], number="T-WARM-1")
    sync = InvoiceSync.objects.get(invoice=invoice)
    xero.control.inject_fault("slow", path="/Invoices", method="POST", delay=2)  # the push itself, not its reads
    process = _worker_process(xero, settings, "--threads", "4")
    try:
        _in_flight(xero, sync, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, process.stderr.read()
    finally:
        process.kill()
    sync.refresh_from_db()
    assert sync.state == SyncState.SYNCED and sync.attempts_log.count() == 1
    assert [i["InvoiceNumber"] for i in xero.control.invoices(TENANT_NZ, invoice_number="T-WARM-1")] == ["T-WARM-1"]
    assert Worker.count(connection=django_rq.get_connection("pushes")) == 0  # all four deregistered
    assert "Traceback" not in process.stderr.read()


def test_a_second_sigterm_stops_the_process_at_once(xero, settings):
    if db.vendor != "postgresql":
        pytest.skip("a worker process needs the shared PostgreSQL test database")
    [(supplier, _, product)] = _connected_suppliers(xero, [TENANT_NZ])
    invoice = make_invoice(supplier, lines=[line(product)], number="T-COLD-1")
    sync = InvoiceSync.objects.get(invoice=invoice)
    xero.control.inject_fault("slow", path="/Invoices", method="POST", delay=8)
    process = _worker_process(xero, settings, "--threads", "2")
    try:
        _in_flight(xero, sync, process)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 1  # before Xero's answer
    finally:
        process.kill()
    sync.refresh_from_db()
    assert sync.state == SyncState.SYNCING  # cut short: the sweep pushes it again
    assert Worker.count(connection=django_rq.get_connection("pushes")) == 0
    # The local Xero's answer to the dead process still comes: let it, before the next test resets the local Xero.
    wait_until = time.monotonic() + 15
    while time.monotonic() < wait_until and any(e["status"] is None for e in xero.control.request_log()):
        time.sleep(0.1)
