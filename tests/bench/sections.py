"""The sections of `bench_sync`, by the key each writes in the JSON. All but the invoice list run
against a local Xero started here, with Xero's real limits (60 calls a minute, 5 at once, 5,000 a day)."""

from __future__ import annotations

import functools

from django.conf import settings

from . import pushes, xero
from .world import xero_world

_sandbox = None


def sandbox():
    """One local Xero for the run, the app's settings pointed at it."""
    global _sandbox
    if _sandbox is None:
        from xero_plugin.sandbox import XeroSandbox

        from .world import xero_env

        _sandbox = XeroSandbox().start()
        for name, value in xero_env(_sandbox).items():
            setattr(settings, name, value)
    _sandbox.control.reset()
    return _sandbox


def _tenant():
    from xero_plugin.sandbox import TENANT_NZ

    return TENANT_NZ


def _world(relaxed: bool = True):
    box = sandbox()
    if relaxed:  # sections about our own speed: Xero's budget out of the way
        box.control.relax_limits()
        settings.XERO_MINUTE_LIMIT = settings.XERO_DAY_LIMIT = 10**7
    else:
        settings.XERO_MINUTE_LIMIT, settings.XERO_DAY_LIMIT = 60, 5000
    return box, xero_world(box, _tenant())


def _bulk(quick: bool) -> dict:
    box, world = _world(relaxed=False)
    return xero.bulk_resync(box, world, _tenant(), invoices=1000 if quick else 10000)


def _resync_100k(quick: bool) -> dict:
    box, world = _world()
    return xero.resync_memory(box, world, _tenant(), invoices=10000 if quick else 100000)


def _per_invoice(quick: bool) -> dict:
    box, world = _world()
    return xero.per_invoice_resync(box, world, invoices=100 if quick else 500)


def _single(quick: bool) -> dict:
    box, world = _world()
    return xero.single_push(box, world, _tenant(), samples=50 if quick else 300)


def _with_xero_env(run, quick):
    box, world = _world()
    from .world import xero_env

    return run(world, quick, {**xero_env(box), "XERO_MINUTE_LIMIT": str(10**7), "XERO_DAY_LIMIT": str(10**7)})


def _latency(world, quick, env):
    return pushes.trigger_latency(world.connection, world.product, samples=30 if quick else 200, env=env)


def _throughput(world, quick, env):
    figures = pushes.worker_throughput(world.connection, world.product, pushes=500 if quick else 3000, env=env)
    # RQ's default worker forks a child per job: measured beside the service's (integrations_core.worker).
    figures["forking_worker"] = pushes.worker_throughput(
        world.connection, world.product, pushes=200 if quick else 500, env=env, worker_class="rq.Worker")
    return figures


def _invoice_list(quick: bool) -> dict:
    from .invoice_list import invoice_list

    return invoice_list(quick=quick)


def _latency_bound(quick: bool) -> dict:
    from .latency import latency_bound

    # Each push alone in its call (as many organisations as pushes), then a backlog whose organisations' waiting
    # pushes go together.
    if quick:
        figures = latency_bound(orgs=100, pushes=100, workers=2, threads=8)
        figures["backlog"] = latency_bound(orgs=20, pushes=400, workers=2, threads=8)
        return figures
    # Bound by the machine's CPU, so by its speed, which wanders here (the local Xero's CPU per push, the same work
    # each time, moved by a third between runs): three runs, the median one reported, the three rates listed.
    runs = [latency_bound(orgs=2000, pushes=2000, workers=4, threads=16) for _ in range(3)]
    figures = sorted(runs, key=lambda run: run["pushes_per_s"] or 0)[1]
    figures["pushes_per_s_runs"] = [run["pushes_per_s"] for run in runs]
    figures["backlog"] = latency_bound(orgs=200, pushes=6000, workers=4, threads=16)
    return figures


def _many_orgs(quick: bool) -> dict:
    from .many_orgs import many_orgs

    if quick:
        return many_orgs(orgs=60, bulk_orgs=3, bulk_invoices=1000, workers=2, live_per_s=3, scale=3.0)
    return many_orgs(orgs=1000, bulk_orgs=20, bulk_invoices=5000, workers=4, scale=1.0)


def _coalescing(world, quick, env):
    return pushes.coalescing(world.connection, world.product, env=env)


SECTIONS = {
    "bulk_resync": _bulk,
    "resync_100k": _resync_100k,
    "per_invoice_resync": _per_invoice,
    "single_push": _single,
    "worker_pushes_per_s": functools.partial(_with_xero_env, _throughput),
    "trigger_latency_ms": functools.partial(_with_xero_env, _latency),
    "coalescing": functools.partial(_with_xero_env, _coalescing),
    "invoice_list": _invoice_list,
    "latency_bound": _latency_bound,
    "many_orgs": _many_orgs,
}
