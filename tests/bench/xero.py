"""Benchmarks against the local Xero: bulk re-sync vs per-invoice pushes, and a single push through the
whole framework vs a bare xero-python call against the same server."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from django.conf import settings

from integrations_core.models import InvoiceSync, SyncState
from xero_plugin.limits import bulk_minute_limit

from .environment import WorkerPool, wait_until
from .pushes import _invoice

BATCH = 50


def _xero_calls(sandbox) -> int:
    return sandbox.control.call_count(endpoint_contains="api.xro")


def bulk_resync(sandbox, world, tenant_id: str, invoices: int) -> dict:
    """Manual re-sync of `invoices` of one organisation under Xero's real per-minute limit (60 a minute),
    started as support starts it (a re-sync run) and done by an RQ worker process on the bulk queue."""
    from integrations_core.models import ResyncRun, ResyncRunState
    from integrations_core.runs import resync_run_start
    from .seeding import seed_invoices

    seed_invoices(supplier=world.supplier, connection=None, count=invoices, prefix="BULK")
    ids = list(world.supplier.invoices.filter(number__startswith="BULK").values_list("pk", flat=True))
    before = _xero_calls(sandbox)
    # The scheduler brings back each turn the budget put off.
    with WorkerPool(1, queues=("bulk",), scheduler=True, env=_env(sandbox)):
        started = time.perf_counter()
        run = resync_run_start(connection=world.connection, invoice_ids=ids)
        finished = (ResyncRunState.DONE, ResyncRunState.FAILED)
        wait_until(lambda: ResyncRun.objects.filter(pk=run.pk, state__in=finished).exists(), timeout=invoices)
        wall = time.perf_counter() - started
    run.refresh_from_db()
    calls = _xero_calls(sandbox) - before
    done = sum(1 for o in run.outcomes if o["result"] in ("created", "updated"))
    # The fastest Xero allows: 50 invoices a call and the minute budget per window. Xero's windows are fixed
    # and start at the organisation's first call (XERO.md 6.4), so call n (from 0) can go no earlier than the
    # start of window n // limit: the last call bounds the run. A re-sync is bulk work: its limit is the minute
    # less the share kept for live pushes (XERO_LIVE_SHARE).
    limit_bound_s = 60.0 * ((calls - 1) // bulk_minute_limit()) if calls else 0.0
    dupes = sandbox.control.duplicate_invoice_numbers(tenant_id)
    return {"invoices": invoices, "synced": done, "run_state": run.state, "api_calls": calls,
            "calls_per_invoice": round(calls / invoices, 4), "limit_bound_s": round(limit_bound_s, 1),
            "limit_bound_fraction": round(min(1.0, (limit_bound_s or 1e-9) / wall), 3) if limit_bound_s else None,
            "duplicates": len(dupes), "wall_s": round(wall, 1)}


def resync_memory(sandbox, world, tenant_id: str, invoices: int) -> dict:
    """One re-sync run of `invoices` (Xero's budget out of the way) by one worker process: the worker's peak
    resident memory (VmHWM), its calls and the invoices per call. Memory is one turn's chunk, whatever the run."""
    from integrations_core.models import ResyncRun, ResyncRunState
    from integrations_core.runs import resync_run_start
    from .latency import _rss_mb
    from .seeding import seed_invoices

    seed_invoices(supplier=world.supplier, connection=None, count=invoices, prefix="MEM")
    before = sandbox.control.call_count(method="POST", endpoint_contains="Invoices")
    pool = WorkerPool(1, queues=("bulk",), scheduler=True, env=_env(sandbox))
    with pool:
        started = time.perf_counter()
        run = resync_run_start(connection=world.connection, since=dt.date(2000, 1, 1))
        finished = (ResyncRunState.DONE, ResyncRunState.FAILED)
        wait_until(lambda: ResyncRun.objects.filter(pk=run.pk, state__in=finished).exists(), timeout=invoices)
        wall = time.perf_counter() - started
        _, peak = _rss_mb([pool.processes[0].pid])
    run.refresh_from_db()
    posts = sandbox.control.call_count(method="POST", endpoint_contains="Invoices") - before
    return {"invoices": invoices, "run_state": run.state, "done": run.done, "peak_rss_mb": peak,
            "invoice_posts": posts, "invoices_per_call": round(run.total / posts, 1) if posts else None,
            "duplicates": len(sandbox.control.duplicate_invoice_numbers(tenant_id)), "wall_s": round(wall, 1)}


def per_invoice_resync(sandbox, world, invoices: int) -> dict:
    """The naive way for comparison: one push (one call) per invoice, through the engine and a worker."""
    before = _xero_calls(sandbox)
    started = time.perf_counter()
    ids = [_invoice(world.connection, world.product).pk for _ in range(invoices)]
    with WorkerPool(1, scheduler=True, env=_env(sandbox)):
        wait_until(lambda: InvoiceSync.objects.filter(invoice_id__in=ids, state=SyncState.SYNCED).count() == invoices,
                   timeout=invoices * 2)
    wall = time.perf_counter() - started
    calls = _xero_calls(sandbox) - before
    return {"invoices": invoices, "api_calls": calls, "calls_per_invoice": round(calls / invoices, 4),
            "wall_s": round(wall, 1)}


def _env(sandbox) -> dict:
    from .world import xero_env

    return {**xero_env(sandbox), "XERO_MINUTE_LIMIT": str(settings.XERO_MINUTE_LIMIT),
            "XERO_DAY_LIMIT": str(settings.XERO_DAY_LIMIT), "XERO_LIVE_SHARE": str(settings.XERO_LIVE_SHARE),
            "XERO_APP_MINUTE_LIMIT": str(settings.XERO_APP_MINUTE_LIMIT)}


def single_push(sandbox, world, tenant_id: str, samples: int) -> dict:
    """Time per push through the engine (in this process: database, plugin, SDK) vs a bare SDK create loop."""
    from xero_python.accounting import Contact, Invoice, Invoices, LineItem

    from integrations_core.sync import sync_push
    from xero_plugin.client import client_for

    framework = []
    for _ in range(samples):
        invoice = _invoice(world.connection, world.product)
        sync_id = InvoiceSync.objects.get(invoice=invoice).pk
        started = time.perf_counter()
        sync_push(sync_id=sync_id)
        framework.append((time.perf_counter() - started) * 1000)
    client = client_for(world.connection)
    bare = []
    for i in range(samples):
        body = Invoices(invoices=[Invoice(type="ACCREC", contact=Contact(name="Bare"), invoice_number=f"BARE-{i}",
                                          status="AUTHORISED", line_items=[LineItem(
                                              description="x", quantity=1.0, unit_amount=10.5, account_code="200",
                                              tax_type="OUTPUT2")])])
        started = time.perf_counter()
        client.accounting.update_or_create_invoices(tenant_id, body, summarize_errors=False)
        bare.append((time.perf_counter() - started) * 1000)
    framework_ms, bare_ms = statistics.median(framework), statistics.median(bare)
    return {"samples": samples, "framework_ms": round(framework_ms, 2), "bare_sdk_ms": round(bare_ms, 2),
            "overhead_ms": round(framework_ms - bare_ms, 2)}
