"""Benchmark: many organisations on one Xero app, one Redis, one PostgreSQL and a fixed pool of workers.

A local Xero in a process of its own, its clock scaled (`scale`: a Xero minute passes in 60/scale real seconds),
holds `orgs` organisations with Xero's limits (60 calls a minute and 5 at once each, 10,000 a minute for the app);
the product's budgets take the same windows (XERO_CLOCK_SCALE). `bulk_orgs` of them each re-sync `bulk_invoices`
invoices (a re-sync run each, started together) while live pushes ("invoice generated") arrive for random
organisations, and one busy organisation has `busy_per_minute` changes a Xero minute. `workers` processes of
`integrations_worker` (`threads` each) and two schedulers do it all.

Live latency is trigger-to-synced (the invoice's creation to its sync's `synced_at`). Under the scaled clock only
the waits for a budget are shorter than with Xero's own; our processing and Xero's answers are not. So a push that
waited for a budget (one of its attempts was refused as rate limited) counts its latency times `scale`, and any
other push its latency as measured: the real-time equivalent, reported in ms.

The full run keeps Xero's own clock (`scale` 1): a scaled clock shortens the waits for a budget, but not the work a
budget lets through, so at `scale` s the 20 runs' budgets (50 calls of 50 invoices a Xero minute each) ask for
833 x s invoices a second of processing, and the figure would measure this machine's cores rather than how the
runs use their budgets. `make bench --quick` scales it (3x) to stay short.

`bulk_budget_fraction` is, per bulk organisation, the calls its run made (50 invoices a call) over what bulk work
may make in the Xero minutes the run took (the minute less XERO_LIVE_SHARE, in each window it ran in): the
smallest, the median and each organisation's.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import signal
import statistics
import threading
import time
from collections import Counter

from django.db import connection as db
from django.utils import timezone

from integrations_core.models import InvoiceSync, ResyncRun, ResyncRunState, SyncAttempt, SyncState, TriggerKind
from integrations_core.runs import resync_run_start

from .environment import WorkerPool, percentile, wait_until
from .latency import _start_xero
from .pushes import _invoice
from .seeding import seed_invoices
from .world import xero_env, xero_world

LIVE_SHARE = 10
MINUTE = 60


class _Traffic(threading.Thread):
    """Invoices generated at `per_s` a real second, each for an organisation `pick` chooses."""

    def __init__(self, pick, per_s: float):
        super().__init__(daemon=True)
        self.pick, self.per_s = pick, per_s
        self.invoice_ids: list[int] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        try:
            while not self.stopping.is_set():
                if len(self.invoice_ids) < (time.perf_counter() - started) * self.per_s:
                    world = self.pick()
                    self.invoice_ids.append(_invoice(world.connection, world.product).pk)
                else:
                    time.sleep(0.005)
        finally:
            db.close()  # this thread's: the run's database is dropped at the end


def _latencies_ms(invoice_ids: list[int], scale: float) -> tuple[list[float], int]:
    """Each synced invoice's real-time-equivalent trigger-to-synced latency (see the module), and how many of them
    waited for a budget."""
    waited = set(SyncAttempt.objects.filter(sync__invoice_id__in=invoice_ids, error_category="rate_limited")
                 .values_list("sync__invoice_id", flat=True))
    values = []
    for invoice_id, created, synced in InvoiceSync.objects.filter(
            invoice_id__in=invoice_ids, state=SyncState.SYNCED).values_list(
            "invoice_id", "invoice__created_at", "synced_at"):
        seconds = max(0.0, (synced - created).total_seconds())
        values.append(seconds * 1000 * (scale if invoice_id in waited else 1))
    return values, len(waited)


def _fraction(run: ResyncRun, scale: float, bulk_per_minute: int) -> float | None:
    """The share of bulk work's part of the minute the run used, over the Xero minutes it ran through to their end
    (every one but its last, whose end it did not need): calls counted from its attempts, 50 invoices a call, in
    windows of a Xero minute from its first."""
    times = sorted(SyncAttempt.objects.filter(
        sync__connection_id=run.connection_id, trigger__in=(TriggerKind.RESYNC, TriggerKind.MANUAL_RESYNC),
        started_at__gte=run.started_at).exclude(error_category="rate_limited").values_list("started_at", flat=True))
    if not times:
        return None
    window = MINUTE / scale
    counts = Counter(int((t - times[0]).total_seconds() // window) for t in times)
    used = [counts.get(w, 0) / 50 / bulk_per_minute for w in range(max(counts))]
    return round(min(1.0, statistics.mean(used)), 3) if used else None


def many_orgs(*, orgs: int = 1000, bulk_orgs: int = 20, bulk_invoices: int = 5000, workers: int = 4, threads: int = 8,
              scale: float = 1.0, live_per_s: float = 5.0, busy_per_minute: int = 300, timeout_s: float = 900) -> dict:
    """Run it (see the module docstring) until every bulk run has finished and every live push is synced."""
    logging.getLogger("integrations_core").setLevel(logging.WARNING)  # a line per live trigger otherwise
    process, box = _start_xero(0, 0, "--clock-scale", str(scale))
    try:
        tenants = box.control.add_organisations(orgs)
        worlds = [xero_world(box, tenant_id) for tenant_id in tenants]
        bulk, busy, rest = worlds[:bulk_orgs], worlds[bulk_orgs], worlds[bulk_orgs + 1:]
        for world in bulk:
            seed_invoices(supplier=world.supplier, connection=None, count=bulk_invoices, prefix="MO")
        env = {**xero_env(box), "XERO_MINUTE_LIMIT": "60", "XERO_DAY_LIMIT": "5000", "XERO_APP_MINUTE_LIMIT": "10000",
               "XERO_LIVE_SHARE": str(LIVE_SHARE), "XERO_CLOCK_SCALE": str(scale),
               "INTEGRATIONS_WORKER_THREADS": str(threads)}
        # Half the pool pushes live (and maintenance), half does bulk work at a lower CPU priority, as the Procfile
        # runs them: on a busy machine the live pushes come first.
        live_workers = max(1, workers // 2)
        pool = WorkerPool(live_workers, queues=("pushes", "maintenance"), scheduler=True, env=env,
                          command=("integrations_worker", "--threads", str(threads)))
        bulk_pool = WorkerPool(workers - live_workers, queues=("bulk",), scheduler=True, env=env,
                               command=("integrations_worker", "--threads", str(threads), "--nice", "10"))
        rng, spread = random.Random(7), [*bulk, *rest]
        live_traffic = _Traffic(lambda: rng.choice(spread), live_per_s)
        busy_traffic = _Traffic(lambda: busy, busy_per_minute * scale / MINUTE)
        with pool, bulk_pool:
            time.sleep(2)  # the workers are up
            started = timezone.now()
            runs = [_start(world) for world in bulk]
            live_traffic.start()
            busy_traffic.start()
            finished = (ResyncRunState.DONE, ResyncRunState.FAILED)
            wait_until(lambda: ResyncRun.objects.filter(pk__in=runs, state__in=finished).count() == len(runs),
                       timeout=timeout_s, interval=1.0)
            for traffic in (live_traffic, busy_traffic):
                traffic.stopping.set()
                traffic.join()
            pushed = live_traffic.invoice_ids + busy_traffic.invoice_ids
            wait_until(lambda: InvoiceSync.objects.filter(invoice_id__in=pushed, state=SyncState.SYNCED).count()
                       == len(pushed), timeout=120, interval=0.5)
            wall = (timezone.now() - started).total_seconds()
        refusals = box.control.refusals()
        duplicates = sum(len(box.control.duplicate_invoice_numbers(t)) for t in tenants)
        busy_posts = box.control.call_count(method="POST", endpoint_contains="Invoices", tenant_id=busy.connection.tenant_id)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    live, waited = _latencies_ms(live_traffic.invoice_ids, scale)
    busy_lat, _ = _latencies_ms(busy_traffic.invoice_ids, scale)
    fractions = [_fraction(run, scale, 60 - LIVE_SHARE) for run in ResyncRun.objects.filter(pk__in=runs)]
    known = [f for f in fractions if f is not None]
    return {
        "orgs": orgs, "bulk_orgs": bulk_orgs, "bulk_invoices": bulk_invoices, "workers": workers, "threads": threads,
        "clock_scale": scale, "wall_s": round(wall, 1), "xero_minutes": round(wall * scale / MINUTE, 1),
        "live_pushes": len(live_traffic.invoice_ids), "live_synced": len(live), "live_waited_for_budget": waited,
        "live_p50_ms": round(percentile(live, 50), 1) if live else None,
        "live_p95_ms": round(percentile(live, 95), 1) if live else None,
        "live_p99_ms": round(percentile(live, 99), 1) if live else None,
        "bulk_runs_done": ResyncRun.objects.filter(pk__in=runs, state=ResyncRunState.DONE).count(),
        "bulk_budget_fraction": min(known) if known else None,
        "bulk_budget_fraction_median": statistics.median(known) if known else None,
        "app_limit_429s": refusals.get("appminute", 0),
        "org_limit_429s": sum(n for problem, n in refusals.items() if problem != "appminute"),
        "duplicates": duplicates,
        "busy_org": {"changes_per_minute": busy_per_minute, "changes": len(busy_traffic.invoice_ids),
                     "synced": len(busy_lat), "invoice_posts": busy_posts,
                     "p95_ms": round(percentile(busy_lat, 95), 1) if busy_lat else None},
    }


def _start(world) -> int:
    """A re-sync run of every invoice of the organisation's supplier (the seeded backlog)."""
    return resync_run_start(connection=world.connection, since=dt.date(2000, 1, 1)).pk
