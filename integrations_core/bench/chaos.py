"""The chaos run: many invoices over 4 worker processes against the local Xero, with 20% injected faults
of every kind it has, a worker killed with SIGKILL mid-run, and the token expiring mid-run (so the
workers race to refresh). Nothing may be lost or duplicated."""

from __future__ import annotations

import time

from django.conf import settings

from ..models import Connection, Invoice, InvoiceSync, SyncState, Trigger
from ..sync import sync_sweep
from .environment import WorkerPool, wait_until
from .pushes import _invoice

FAULTS = ["timeout_after_commit", "drop_after_commit", "500", "503", "429", "timeout"]
IN_FLIGHT = (SyncState.QUEUED, SyncState.SYNCING, SyncState.RETRYING)


def _expire_token(connection: Connection) -> None:
    connection.refresh_from_db()
    token = {**connection.credentials["token"], "expires_at": 0}
    Connection.objects.filter(pk=connection.pk).update(credentials={**connection.credentials, "token": token})


def run(*, sandbox, world, tenant_id: str, invoices: int, workers: int = 4, rounds: int = 10,
        settle_timeout: float = 900) -> dict:
    from .world import xero_env

    env = {**xero_env(sandbox), "XERO_MINUTE_LIMIT": str(10**7), "XERO_DAY_LIMIT": str(10**7),
           "XERO_READ_TIMEOUT": "1", "INTEGRATIONS_RETRY_BASE_SECONDS": "1", "INTEGRATIONS_RETRY_MAX_SECONDS": "5",
           "INTEGRATIONS_MAX_ATTEMPTS": "10"}
    settings.XERO_MINUTE_LIMIT = settings.XERO_DAY_LIMIT = 10**7
    sandbox.control.relax_limits()
    per_round = max(1, invoices // rounds)
    started = time.perf_counter()
    made = 0
    with WorkerPool(workers, env=env) as pool:
        for round_no in range(rounds):
            count = per_round if round_no < rounds - 1 else invoices - made
            sandbox.control.inject_fault(FAULTS[round_no % len(FAULTS)], count=max(1, count // 5), path="/Invoices",
                                         method="POST", delay=1.5)
            for _ in range(count):
                _invoice(world.connection, world.product)
            made += count
            if round_no == rounds // 3:
                pool.kill(1)  # SIGKILL mid-job: its sync stays `syncing` until the sweep
            if round_no == rounds // 2:
                _expire_token(world.connection)  # every worker now wants to refresh at once

        def settled() -> bool:
            sync_sweep(stuck_after=20)  # what the cron's sweep does, more often
            return not InvoiceSync.objects.filter(connection=world.connection, state__in=IN_FLIGHT).exists()

        wait_until(settled, timeout=settle_timeout, interval=2)
    wall = time.perf_counter() - started
    return _figures(sandbox, world, tenant_id, made, wall, workers)


def _figures(sandbox, world, tenant_id: str, made: int, wall: float, workers: int) -> dict:
    states = dict.fromkeys(SyncState.values, 0)
    lost = 0
    versions = dict(Invoice.objects.filter(supplier=world.supplier).values_list("pk", "version"))
    for sync in InvoiceSync.objects.filter(connection=world.connection):
        states[sync.state] += 1
        at_latest = sync.state == SyncState.SYNCED and sync.synced_version == versions.get(sync.invoice_id)
        actionable = sync.state in (SyncState.FAILED, SyncState.LOCKED) and bool(sync.error_message and sync.error_fix)
        if not (at_latest or actionable):
            lost += 1
    triggered = set(Trigger.objects.filter(invoice__supplier=world.supplier).values_list("invoice_id", flat=True))
    with_sync = set(InvoiceSync.objects.filter(connection=world.connection).values_list("invoice_id", flat=True))
    lost += len(triggered - with_sync)
    duplicates = sandbox.control.duplicate_invoice_numbers(tenant_id)
    world.connection.refresh_from_db()
    return {"invoices": made, "workers": workers, "duplicates": len(duplicates), "lost_triggers": lost,
            "states": {k: v for k, v in states.items() if v}, "connection": world.connection.state,
            "in_xero": len(sandbox.control.invoices(tenant_id)), "wall_s": round(wall, 1)}
