"""Benchmark: pushes a second when Xero takes its real time to answer (150-400 ms), and the worker memory it costs.

A local Xero in a process of its own answers every Accounting API call after `latency_ms` +/- `jitter_ms`,
serving calls concurrently (a thread each), with Xero's limits per organisation (5 at once, 60 a minute, 5,000 a
day) held by it and by us. Live pushes ("invoice generated") of many organisations, so that no organisation's
limit binds, are drained by W `integrations_worker` processes of T threads each. The app-wide minute (10,000, i.e.
167 calls a second) is lifted on both sides: the figure is what the workers could do, to be set against that
budget.

Each organisation pushes once first (its chart and currencies read, its retailer's contact linked: what a
supplier that has pushed before has), then the measured round: `pushes` more, spread evenly over the
organisations. With no more pushes than organisations, every push is one call of its own (nothing waits to go
with it): the case of thousands of suppliers each with a change now and then, and the hardest for the workers.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types

from django.db import transaction
from django.db.models import Count

from integrations_core.models import InvoiceSync, SyncAttempt, SyncState

from .environment import ROOT, WorkerPool, wait_until
from .pushes import _invoice
from .world import xero_env, xero_world


def _start_xero(latency_ms: float, jitter_ms: float, *options: str):
    """A local Xero in a process of its own (`options`: more of its command line), and its description."""
    process = subprocess.Popen([sys.executable, "-m", "xero_plugin.sandbox", "--port", "0", "--latency-ms",
                                str(latency_ms), "--latency-jitter-ms", str(jitter_ms), *options],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = []
    while not lines or lines[-1] != "}\n":
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the local Xero did not start")
        lines.append(line)
    described = json.loads("".join(lines))
    from xero_plugin.sandbox.control import SandboxControl

    return process, types.SimpleNamespace(**described, control=SandboxControl(described["base_url"]))


def _rss_mb(pids) -> tuple[float, float]:
    """(now, peak) resident memory of the processes together, in MB (/proc/PID/status VmRSS and VmHWM)."""
    now = peak = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        now += int(fields["VmRSS"].split()[0])
        peak += int(fields["VmHWM"].split()[0])
    return round(now / 1024, 1), round(peak / 1024, 1)


def _cpu_s(pids) -> float:
    """User + system CPU seconds the processes have used (/proc/PID/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _machine_cpu_s() -> float:
    """CPU seconds the whole machine has spent (every core, every process, the kernel's share too: /proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def latency_bound(*, orgs: int, pushes: int, workers: int, threads: int, latency_ms: float = 250,
                  jitter_ms: float = 50) -> dict:
    """Drain `pushes` live pushes spread over `orgs` organisations with `workers` x `threads` workers.

    `pushes_per_s` is the rate in the steady window: between the 10th and the 90th percentile of the pushes'
    ends (as their attempts record them), so the processes' start and the tail are left out.
    `worker_rss_mb_total`: the worker processes' resident memory summed, at its peak (VmHWM). The CPU figures are
    the measured round's: the workers are the warm round's, already started.
    """
    process, box = _start_xero(latency_ms, jitter_ms)
    try:
        box.control.set_limits(app_minute=10**9)  # the app's minute lifted; the organisation's held (see above)
        tenants = box.control.add_organisations(orgs)
        worlds = [xero_world(box, tenant_id) for tenant_id in tenants]
        env = {**xero_env(box), "XERO_MINUTE_LIMIT": "60", "XERO_DAY_LIMIT": "5000",
               "XERO_APP_MINUTE_LIMIT": str(10**9), "INTEGRATIONS_WORKER_THREADS": str(threads)}
        command = ("integrations_worker", "--threads", str(threads))
        warm = [_invoice(world.connection, world.product).pk for world in worlds]
        pool = WorkerPool(workers, scheduler=True, env=env, command=command)
        samples = []
        with pool:
            wait_until(lambda: InvoiceSync.objects.filter(invoice_id__in=warm, state=SyncState.SYNCED).count() == orgs,
                       timeout=max(120, orgs / 10), interval=0.5)
            # The measured round's pushes are queued at once, when this transaction commits: the workers, already
            # running, take them as they would in a service that has been up for a while.
            with transaction.atomic():
                invoices = [_invoice(worlds[i % orgs].connection, worlds[i % orgs].product).pk for i in range(pushes)]
                calls_before = box.control.call_count(endpoint_contains="api.xro")
                worker_cpu_before, xero_cpu_before = _cpu_s(p.pid for p in pool.processes), _cpu_s([process.pid])
                machine_cpu_before = _machine_cpu_s()
            done = lambda: InvoiceSync.objects.filter(invoice_id__in=invoices).exclude(  # noqa: E731
                state__in=(SyncState.QUEUED, SyncState.SYNCING, SyncState.RETRYING)).count() == pushes

            def sampled():
                samples.append(_rss_mb(p.pid for p in pool.processes))
                return done()
            wait_until(sampled, timeout=max(120, pushes / 20), interval=0.5)
            rss_now, rss_peak = _rss_mb(p.pid for p in pool.processes)
            worker_cpu = _cpu_s(p.pid for p in pool.processes) - worker_cpu_before
            xero_cpu = _cpu_s([process.pid]) - xero_cpu_before
            machine_cpu = _machine_cpu_s() - machine_cpu_before
        calls = box.control.call_count(endpoint_contains="api.xro") - calls_before
        refused = sum(1 for e in box.control.request_log() if e.get("status") == 429)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    syncs = InvoiceSync.objects.filter(invoice_id__in=invoices)
    synced = syncs.filter(state=SyncState.SYNCED).count()
    ends = sorted(SyncAttempt.objects.filter(sync__in=syncs, outcome=SyncAttempt.Outcome.SUCCEEDED).values_list("finished_at", flat=True))
    low, high = ends[len(ends) // 10], ends[(len(ends) * 9) // 10]
    span = (high - low).total_seconds()
    rate = round(((len(ends) * 9) // 10 - len(ends) // 10) / span, 1) if span else None
    invoice_calls = SyncAttempt.objects.filter(sync__in=syncs).values("remote_request_id").distinct().count()
    attempts = SyncAttempt.objects.filter(sync__in=syncs).aggregate(n=Count("id"))["n"]
    rss_total = max([rss_peak] + [peak for _, peak in samples])
    return {"latency_ms": latency_ms, "jitter_ms": jitter_ms, "orgs": orgs, "workers": workers, "threads": threads,
            "pushes": pushes, "synced": synced, "attempts": attempts, "xero_calls": calls, "xero_429s": refused,
            # Invoice calls (one per distinct Xero correlation id of the attempts): with no batching, one a push.
            "invoices_per_call": round(synced / invoice_calls, 2) if invoice_calls else None,
            "calls_per_s": round(rate * invoice_calls / synced, 1) if rate and synced else None,
            # CPU per push in the measured round (the workers already started) of the workers and of the local Xero:
            # on a small machine they share its cores with PostgreSQL and Redis, and the sum of them all is what bounds
            # the rate.
            "worker_cpu_ms_per_push": round(worker_cpu * 1000 / pushes, 2),
            "xero_cpu_ms_per_push": round(xero_cpu * 1000 / pushes, 2),
            # Everything the machine spent in the round (PostgreSQL, Redis, this process's polling, the kernel), per push.
            "machine_cpu_ms_per_push": round(machine_cpu * 1000 / pushes, 2), "cores": os.cpu_count(), "pushes_per_s": rate, "worker_rss_mb_total": rss_total, "worker_rss_mb_now": rss_now,
            "pushes_per_s_per_gb": round(rate / (rss_total / 1024), 1) if rate else None}
