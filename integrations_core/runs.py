"""Re-syncs of many invoices started by a person: start (one running per supplier), execute with progress, and
fail runs whose worker died. The pushing is the engine's one re-sync loop (`bulk.resync`).

A run's invoices are fixed when it starts, one item each, and it is pushed a chunk per job: each job takes the
next chunk of items still to do, records what happened to each, and queues the run's next turn at the back of the
bulk queue, so that the runs of many suppliers take turns on the workers (round robin) and live pushes, on their
own queue, come first. No worker waits for a budget: when the remote's budget refuses a chunk, the next turn is
scheduled for when it returns. Memory is one chunk's, whatever the size of the run.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from . import bulk, push_statements, queue, registry
from .errors import ActionNotAllowed, ServiceError
from .models import Connection, ResyncRun, ResyncRunItem, ResyncRunState
from .selectors import invoices_for_resync
from .sync import connection_limit

log = logging.getLogger(__name__)

CHUNK = bulk.CHUNK  # invoices per turn: outcomes are saved after each, so progress shows on long runs
STALE_AFTER = dt.timedelta(hours=2)  # a turn (or a scheduled one) this late: its worker died, its job was lost
_INSERT_EVERY = 5000  # chosen invoices written per statement when a run starts


def resync_run_start(*, connection: Connection, invoice_ids: list[int] | None = None, numbers: list[str] | None = None,
                     since: dt.date | None = None, until: dt.date | None = None, backlog: bool = False,
                     requested_by=None) -> ResyncRun:
    """Start re-syncing the chosen invoices of `connection` in the background.

    The invoices chosen now are the run's, however many (they are read and written a few thousand at a time).
    :return: the run, `queued`; poll it for `done`/`total` and the outcome of each invoice.
    :raises InvalidInput: nothing chosen, or invoices that are not the supplier's.
    :raises ActionNotAllowed: the connection is not connected, or a re-sync is already running for the supplier.
    """
    if not connection.is_connected:
        raise ActionNotAllowed(f"{registry.provider(connection.provider).name} is not connected: reconnect it in "
                               "Settings > Add-ons, then re-sync.", code="not_connected")
    chosen = invoices_for_resync(connection=connection, numbers=numbers, since=since, until=until,
                                 backlog=backlog, invoice_ids=invoice_ids).values_list("pk", flat=True)
    selection = {"numbers": list(numbers or []), "backlog": backlog,
                 "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}
    if invoice_ids is not None:
        selection["invoices"] = len(set(invoice_ids))
    user = requested_by if getattr(requested_by, "pk", None) else None
    try:
        with transaction.atomic():
            run = ResyncRun.objects.create(supplier_id=connection.supplier_id, connection=connection,
                                           selection=selection, requested_by=user)
            run.total = _write_items(run, chosen)
            run.save(update_fields=["total"])
            transaction.on_commit(lambda: _queue_turn(run, 0))
    except IntegrityError:
        running = ResyncRun.objects.filter(supplier_id=connection.supplier_id,
                                           state__in=[ResyncRunState.QUEUED, ResyncRunState.RUNNING]).first()
        raise ActionNotAllowed(
            f"A re-sync is already running for {connection.supplier}"
            f"{f' (run {running.pk})' if running else ''}: wait for it to finish.", code="resync_running") from None
    run.refresh_from_db()
    return run


def _write_items(run: ResyncRun, chosen) -> int:
    """One item per chosen invoice id, in their order, a few thousand per statement. :return: how many."""
    count, batch = 0, []
    for pk in chosen.iterator(chunk_size=_INSERT_EVERY):
        batch.append(ResyncRunItem(run=run, invoice_id=pk))
        if len(batch) == _INSERT_EVERY:
            ResyncRunItem.objects.bulk_create(batch)
            count, batch = count + len(batch), []
    if batch:
        ResyncRunItem.objects.bulk_create(batch)
    return count + len(batch)


def _queue_turn(run: ResyncRun, turn: int, delay: float = 0) -> None:
    # A turn calls the remote too: it takes one of the connection's slots (ProviderInfo.concurrency) with its pushes.
    queue.enqueue("integrations_core.jobs.run_resync", run.pk, turn, queue=queue.BULK, delay=delay,
                  **connection_limit(run.connection))


def resync_run_execute(*, run_id: int, turn: int = 0) -> ResyncRun | None:
    """Do the run's turn `turn`: push its next chunk of invoices, save their outcomes and the progress, then queue
    the next turn (now, at the back of the queue; or when the remote's budget returns), or finish the run.

    In-process (no queue to share) the turns follow each other in this call. A turn that is not the run's (a
    copy of a job already done) or of a run no longer active does nothing (returns None).
    """
    while True:
        run = _take_turn(run_id, turn)
        if run is None:
            return None
        try:
            wait = _push_next_chunk(run)
        except ServiceError as error:
            return _finish(run, ResyncRunState.FAILED, error.message)
        except Exception:
            log.exception("re-sync run %s failed", run_id)
            return _finish(run, ResyncRunState.FAILED,
                           "The re-sync stopped on an unexpected error; it has been logged.")
        if wait is None:
            return _finish(run, ResyncRunState.DONE)
        turn += 1
        if wait > 0 or settings.INTEGRATIONS_ASYNC_JOBS:
            resume_at = timezone.now() + dt.timedelta(seconds=wait) if wait > 0 else None
            ResyncRun.objects.filter(pk=run.pk).update(resume_at=resume_at)
            _queue_turn(run, turn, delay=wait)
            return run


def _take_turn(run_id: int, turn: int) -> ResyncRun | None:
    now = timezone.now()
    active = Q(state=ResyncRunState.QUEUED) | Q(state=ResyncRunState.RUNNING)
    if not ResyncRun.objects.filter(active, pk=run_id, turn=turn).update(
            state=ResyncRunState.RUNNING, turn=turn + 1, touched_at=now, resume_at=None,
            started_at=Coalesce("started_at", now)):
        return None
    return ResyncRun.objects.select_related("connection").get(pk=run_id)


def _push_next_chunk(run: ResyncRun) -> float | None:
    """Push the run's next chunk of items still to do. :return: None when none is left; else the seconds to
    wait before the next turn (0: go on now; more: the remote's budget refused some, unsent, until then)."""
    items = dict(run.items.filter(result="").order_by("id").values_list("invoice_id", "pk")[:CHUNK])
    if not items:
        return None
    connection = run.connection  # read with the turn
    invoices = list(invoices_for_resync(connection=connection, invoice_ids=list(items)))
    outcomes = bulk.resync(connection=connection, invoices=invoices, defer=True)
    waits = [o.retry_after for o in outcomes if o.result == "deferred"]
    finished = [o for o in outcomes if o.result != "deferred"]
    with transaction.atomic():
        _record_items(items, finished)
        ResyncRun.objects.filter(pk=run.pk).update(done=F("done") + len(finished))
    if waits:
        return max(waits)
    return 0.0 if run.items.filter(result="").exists() else None


def _record_items(items: dict[int, int], outcomes: list[bulk.ResyncOutcome]) -> None:
    """Each outcome on its item (`items`: item id by invoice id): the number the invoice had when it was pushed, its
    result and message, sent together (not bulk_update's one CASE per column, whose compiling cost more than the
    push)."""
    push_statements.update_each(ResyncRunItem, [
        (items[o.invoice_id], {"number": o.number, "result": o.result, "message": o.message}) for o in outcomes])


def _finish(run: ResyncRun, state: str, error: str = "") -> ResyncRun:
    ResyncRun.objects.filter(pk=run.pk).update(state=state, error=error, finished_at=timezone.now())
    run.refresh_from_db()
    return run


def resync_runs_sweep(*, now: dt.datetime | None = None) -> int:
    """Fail runs whose worker died or whose next turn was lost (a turn, or a scheduled one, far later than any job
    may be), so the supplier can start another."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    last = Greatest(Coalesce("touched_at", "started_at"), Coalesce("resume_at", "touched_at", "started_at"))
    return ResyncRun.objects.filter(state=ResyncRunState.RUNNING).alias(last=last).filter(last__lt=cutoff).update(
        state=ResyncRunState.FAILED, finished_at=timezone.now(),
        error="The re-sync stopped when its worker did; start it again to push the rest.")
