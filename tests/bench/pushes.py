"""Benchmarks of the push path through the whole framework: trigger -> queue -> worker -> plugin -> state."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from decimal import Decimal

from django.db.models import Max, Min

from integrations_core.invoices import LineInput, invoice_generate, invoice_update
from integrations_core.models import Connection, InvoiceSync, Product, SyncAttempt, SyncState

from .environment import ROOT, WorkerPool, percentile, wait_until

_serial = iter(range(10**9))


def _invoice(connection: Connection, product: Product, quantity: int = 1):
    import datetime as dt

    return invoice_generate(
        supplier=connection.supplier, customer="Bench Venue", number=f"P-{next(_serial):07d}",
        issue_date=dt.date(2026, 11, 1), currency="AUD",
        lines=[LineInput(description=product.name, quantity=quantity, unit_price=Decimal("10.50"), product=product)],
    )


def _synced(invoice_ids: list[int]) -> int:
    qs = InvoiceSync.objects.filter(invoice_id__in=invoice_ids, state=SyncState.SYNCED)
    return qs.count()


def trigger_latency(connection: Connection, product: Product, samples: int = 100, env: dict | None = None) -> dict:
    """Trigger-to-synced latency with one worker process waiting on the queue: p50 / p95 in ms."""
    latencies = []
    with WorkerPool(1, scheduler=False, env=env):
        time.sleep(1.5)  # the worker is up and blocking on the queue
        for _ in range(samples):
            started = time.perf_counter()
            invoice = _invoice(connection, product)
            wait_until(lambda: _synced([invoice.pk]) == 1, timeout=10, interval=0.001)
            latencies.append((time.perf_counter() - started) * 1000)
    return {"samples": samples, "p50": round(percentile(latencies, 50), 2), "p95": round(percentile(latencies, 95), 2)}


def worker_throughput(connection: Connection, product: Product, pushes: int = 2000, env: dict | None = None,
                      worker_class: str | None = None) -> dict:
    """Pushes per second of one worker process draining a full queue (burst mode).

    `pushes_per_s` is the sustained rate, between the first and the last push's end (as their attempts
    record them); `with_startup_per_s` counts the process's start (Django, RQ) as well.
    `worker_class`: another RQ worker class (e.g. RQ's forking `rq.Worker`) instead of the service's.
    """
    invoices = [_invoice(connection, product).pk for _ in range(pushes)]
    env = WorkerPool(1, env=env).env
    args = [sys.executable, "manage.py", "rqworker", "-v", "0", "--burst", "pushes"]
    if worker_class:
        args += ["--worker-class", worker_class]
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    cpu = _children_cpu_s() - cpu_before
    synced = _synced(invoices)
    ends = SyncAttempt.objects.filter(sync__invoice_id__in=invoices).aggregate(first=Min("finished_at"),
                                                                               last=Max("finished_at"))
    span = (ends["last"] - ends["first"]).total_seconds() if synced > 1 else 0.0
    return {"pushes": pushes, "synced": synced, "wall_s": round(elapsed, 2),
            "pushes_per_s": round((synced - 1) / span, 1) if span else None,
            "with_startup_per_s": round(synced / elapsed, 1),
            # The worker process's own CPU (user + system, start-up included) per push: on a machine where
            # it shares the cores with the local Xero, PostgreSQL and Redis, what a core of its own would give.
            "worker_cpu_ms_per_push": round(cpu * 1000 / synced, 2) if synced else None}


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def coalescing(connection: Connection, product: Product, updates: int = 10, env: dict | None = None) -> dict:
    """`updates` rapid changes of one order while a worker runs: pushes made, and whether the remote
    ends on the last version (read back through the plugin)."""
    from integrations_core import registry

    invoice = _invoice(connection, product, quantity=1)
    with WorkerPool(1, scheduler=True, env=env):
        for quantity in range(2, updates + 2):
            invoice, _ = invoice_update(invoice=invoice, lines=[
                LineInput(description=product.name, quantity=quantity, unit_price=Decimal("10.50"), product=product)])
        wait_until(lambda: InvoiceSync.objects.filter(invoice=invoice, state=SyncState.SYNCED,
                                                      synced_version=invoice.version).exists(), timeout=30)
        time.sleep(0.5)  # any straggling push would show up now
    sync = InvoiceSync.objects.get(invoice=invoice)
    pushes = SyncAttempt.objects.filter(sync=sync).count()
    remote = registry.hook().fetch_invoices(connection=connection, remote_ids=[sync.remote_id], modified_since=None)
    expected_total = (Decimal(updates + 1) * Decimal("10.50")).quantize(Decimal("0.01"))
    matches = bool(remote) and remote[0].total == expected_total and sync.synced_version == invoice.version
    # The first push may carry version 1 or a later one; the "invoice generated" push is part of the count.
    return {"updates": updates, "pushes": pushes, "final_version": invoice.version,
            "final_version_matches": matches}
