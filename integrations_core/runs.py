"""Re-syncs of many invoices started by a person: start (one running per supplier), execute in a job with
progress, and fail runs whose worker died. The pushing is the engine's one re-sync loop (`bulk.resync`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import bulk, queue, registry
from .errors import ActionNotAllowed, ServiceError
from .models import Connection, ResyncRun, ResyncRunState
from .selectors import invoices_for_resync

log = logging.getLogger(__name__)

CHUNK = bulk.CHUNK  # invoices per loop: outcomes are saved after each, so progress shows on long runs
STALE_AFTER = dt.timedelta(hours=2)  # longer than the bulk queue's job timeout


def resync_run_start(*, connection: Connection, invoice_ids: list[int] | None = None, numbers: list[str] | None = None,
                     since: dt.date | None = None, until: dt.date | None = None, backlog: bool = False,
                     requested_by=None) -> ResyncRun:
    """Start re-syncing the chosen invoices of `connection` in a background job.

    :return: the run, `queued`; poll it for `done`/`total` and the outcome of each invoice.
    :raises InvalidInput: nothing chosen, or invoices that are not the supplier's.
    :raises ActionNotAllowed: the connection is not connected, or a re-sync is already running for the supplier.
    """
    if not connection.is_connected:
        raise ActionNotAllowed(f"{registry.provider(connection.provider).name} is not connected: reconnect it in "
                               "Settings > Add-ons, then re-sync.", code="not_connected")
    chosen = list(invoices_for_resync(connection=connection, numbers=numbers, since=since, until=until,
                                      backlog=backlog, invoice_ids=invoice_ids).values_list("pk", flat=True))
    selection = {"invoice_ids": chosen, "numbers": list(numbers or []), "backlog": backlog,
                 "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}
    user = requested_by if getattr(requested_by, "pk", None) else None
    try:
        with transaction.atomic():
            run = ResyncRun.objects.create(supplier_id=connection.supplier_id, connection=connection,
                                           selection=selection, total=len(chosen), requested_by=user)
            transaction.on_commit(lambda: queue.enqueue("integrations_core.jobs.run_resync", run.pk, queue=queue.BULK))
    except IntegrityError:
        running = ResyncRun.objects.filter(supplier_id=connection.supplier_id,
                                           state__in=[ResyncRunState.QUEUED, ResyncRunState.RUNNING]).first()
        raise ActionNotAllowed(
            f"A re-sync is already running for {connection.supplier}"
            f"{f' (run {running.pk})' if running else ''}: wait for it to finish.", code="resync_running") from None
    run.refresh_from_db()
    return run


def resync_run_execute(*, run_id: int) -> ResyncRun | None:
    """Do a queued run: push its invoices in chunks, saving progress and outcomes as it goes.

    A run already claimed by another worker is left alone (returns None).
    """
    now = timezone.now()
    if not ResyncRun.objects.filter(pk=run_id, state=ResyncRunState.QUEUED).update(
            state=ResyncRunState.RUNNING, started_at=now):
        return None
    run = ResyncRun.objects.select_related("connection").get(pk=run_id)
    ids = run.selection.get("invoice_ids", [])
    try:
        for start in range(0, len(ids), CHUNK):
            _run_chunk(run, ids[start:start + CHUNK])
        run.state = ResyncRunState.DONE
    except ServiceError as error:
        run.state, run.error = ResyncRunState.FAILED, error.message
    except Exception:
        log.exception("re-sync run %s failed", run_id)
        run.state, run.error = ResyncRunState.FAILED, "The re-sync stopped on an unexpected error; it has been logged."
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "error", "finished_at", "done", "outcomes"])
    return run


def _run_chunk(run: ResyncRun, ids: list[int]) -> None:
    connection = Connection.objects.get(pk=run.connection_id)
    invoices = list(invoices_for_resync(connection=connection, invoice_ids=ids)) if ids else []
    offset = run.done

    def progress(done: int, total: int) -> None:
        ResyncRun.objects.filter(pk=run.pk).update(done=offset + done)

    outcomes = bulk.resync(connection=connection, invoices=invoices, progress=progress)
    run.outcomes = run.outcomes + [dataclasses.asdict(o) for o in outcomes]
    run.done = offset + len(invoices)
    run.save(update_fields=["outcomes", "done"])


def resync_runs_sweep(*, now: dt.datetime | None = None) -> int:
    """Fail runs whose worker died (running far longer than any job may), so the supplier can start another."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return ResyncRun.objects.filter(state=ResyncRunState.RUNNING, started_at__lt=cutoff).update(
        state=ResyncRunState.FAILED, finished_at=timezone.now(),
        error="The re-sync stopped when its worker did; start it again to push the rest.")
