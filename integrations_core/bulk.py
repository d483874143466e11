"""A re-sync: the one loop that pushes many chosen invoices now (the framework's Resync run, a provider's own
manual re-sync such as Xero's, a backlog re-sync), for every provider.

It skips what cannot change remotely (a locked invoice) with the reason, marks the rest `syncing` and writes
their attempts, then pushes them a chunk at a time through the plugin's batch path (`push_invoices`) when
it has one, or queues each invoice's `push_invoice` (the pushes queue, with its retries and concurrency limit)
when it has not. The engine records every outcome; the plugin only talks to its remote.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F

from . import clock, registry
from .changes import invoice_snapshot
from .errors import ActionNotAllowed, ClassifiedError, ErrorCategory, ServiceError
from .hookspecs import PushResult
from .models import Connection, Invoice, InvoiceSync, SyncAttempt, SyncState, TriggerKind
from .resync import requeue_for_resync
from .selectors import invoices_for_resync
from .sync import Success, classify, record_failure, record_successes

CHUNK = 500  # invoices per batch call: progress is told after each, and a worker's memory stays bounded
SECONDS_PER_CALL = 0.5  # what one remote call of the batch path takes, roughly, for the estimate

Progress = Callable[[int, int], None]


@dataclasses.dataclass
class ResyncOutcome:
    """What a re-sync did with one invoice."""

    invoice_id: int
    number: str
    # created / updated / paid / queued / skipped_locked / refused / failed / would_create / would_update, or
    # deferred: the remote's budget refused it unsent, to be pushed again after `retry_after` seconds (`defer`)
    result: str
    message: str = ""
    retry_after: float | None = None


@dataclasses.dataclass
class Estimate:
    """How long a re-sync of `invoices` takes: its remote calls against what the remote allows now."""

    provider: str
    batch_size: int
    invoices: int
    calls: int
    minute_remaining: int | None
    day_remaining: int | None
    seconds: float
    limited: bool = True  # the provider tells a budget (`budget` hook)

    def describe(self) -> str:
        if self.minute_remaining is not None:
            budget = f"{self.minute_remaining} calls left this minute, {self.day_remaining} today"
        elif self.limited:
            budget = f"{self.provider}'s remaining budget not known yet"
        else:
            budget = f"{self.provider} tells no call limit"
        return (f"{self.invoices} invoices in {self.calls} {self.provider} calls (up to {self.batch_size} per call); "
                f"{budget}; about {self.seconds:.0f} s.")


def select_invoices(*, connection: Connection, numbers: Iterable[str] | None = None, since: dt.date | None = None,
                    until: dt.date | None = None, backlog: bool = False,
                    invoice_ids: Iterable[int] | None = None) -> list[Invoice]:
    """The chosen invoices (see `integrations_core.selectors.invoices_for_resync`), as a list."""
    return list(invoices_for_resync(connection=connection, numbers=numbers, since=since, until=until,
                                    backlog=backlog, invoice_ids=invoice_ids))


def estimate(connection: Connection, count: int) -> Estimate:
    """How long re-syncing `count` invoices of `connection` takes, from the provider's batch size and the
    budget it reports left this minute and today (`budget` hook)."""
    info = registry.provider(connection.provider)
    batch = max(1, info.batch_size if registry.implements(connection.provider, "push_invoices") else 1)
    calls = math.ceil(count / batch) if count else 0
    budget = registry.hook().budget(connection=connection)
    minute_left = budget.minute_remaining if budget else None
    day_left = budget.day_remaining if budget else None
    per_minute = (budget.bulk_per_minute or budget.per_minute if budget else None) or minute_left
    seconds = 0.0
    if per_minute:
        now = minute_left if minute_left is not None else per_minute
        seconds = 0.0 if calls <= now else 60.0 * math.ceil((calls - now) / per_minute)
    if day_left is not None and calls > day_left:
        seconds = max(seconds, 86400.0)
    return Estimate(info.name, batch, count, calls, minute_left, day_left, seconds + calls * SECONDS_PER_CALL,
                    limited=budget is not None)


def resync(*, connection: Connection, invoices: list[Invoice], dry_run: bool = False,
           progress: Progress | None = None, defer: bool = False) -> list[ResyncOutcome]:
    """Push the current state of `invoices` (of `connection`) now; one outcome per invoice, in their order.

    Locked invoices (paid in the remote) are skipped with the reason. Dry run: what would be created or
    updated, or refused (the plugin's `check_invoice`), without pushing. `progress(done, total)` is called as
    chunks finish. Nothing waits for the remote's budget: an invoice it refuses unsent (`rate_limited`) is
    retried by the engine's policy (a push job when the budget returns), or with `defer` is left to the caller
    (a re-sync run, which puts itself back until then) as `deferred`, with the wait.
    :raises ActionNotAllowed: the connection is not connected.
    """
    info = registry.provider(connection.provider)
    if not connection.is_connected:
        raise ActionNotAllowed(f"{info.name} is not connected: reconnect in Settings > Add-ons, then re-sync.",
                               code="not_connected")
    syncs, made = _syncs(connection, invoices)
    locked = ClassifiedError.of(ErrorCategory.INVOICE_LOCKED, info.name).message
    outcomes: list[ResyncOutcome] = []
    to_push: list[Invoice] = []
    for invoice in invoices:
        sync = syncs[invoice.pk]
        if sync.remote_locked or sync.state == SyncState.LOCKED:
            outcomes.append(ResyncOutcome(invoice.pk, invoice.number, "skipped_locked", locked))
        elif dry_run:
            outcomes.append(_dry(connection, invoice, sync))
        else:
            to_push.append(invoice)
    if progress:
        progress(len(outcomes), len(invoices))
    batch = registry.implements(connection.provider, "push_invoices")
    kind = TriggerKind.RESYNC if registry.supports_resync(connection.provider) else TriggerKind.MANUAL_RESYNC
    for start in range(0, len(to_push), CHUNK):
        chunk = to_push[start:start + CHUNK]
        if batch:
            outcomes += _push_chunk(connection, chunk, syncs, kind, defer)
        else:
            outcomes += [_queue(invoice, syncs[invoice.pk], kind, invoice.pk in made) for invoice in chunk]
        if progress:
            progress(len(outcomes), len(invoices))
    order = {invoice.pk: i for i, invoice in enumerate(invoices)}
    return sorted(outcomes, key=lambda o: order[o.invoice_id])


def _syncs(connection: Connection, invoices: list[Invoice]) -> tuple[dict[int, InvoiceSync], set[int]]:
    """Each invoice's sync on the connection, made where missing (in a few queries, whatever the count), and
    the invoices whose sync was made now."""
    ids = [invoice.pk for invoice in invoices]
    found = {s.invoice_id: s for s in InvoiceSync.objects.filter(connection=connection, invoice_id__in=ids)}
    missing = {pk for pk in ids if pk not in found}
    if missing:
        InvoiceSync.objects.bulk_create([InvoiceSync(invoice_id=pk, connection=connection) for pk in missing],
                                        ignore_conflicts=True)
        found.update((s.invoice_id, s) for s in InvoiceSync.objects.filter(connection=connection,
                                                                         invoice_id__in=missing))
    return found, missing


def _dry(connection: Connection, invoice: Invoice, sync: InvoiceSync) -> ResyncOutcome:
    try:
        refused = registry.hook().check_invoice(connection=connection, invoice=invoice)
    except Exception as exc:  # the remote could not be read: say so for this invoice, go on with the others
        refused = classify(connection, exc)
    if refused is not None:
        return ResyncOutcome(invoice.pk, invoice.number, "refused", refused.message)
    return ResyncOutcome(invoice.pk, invoice.number, "would_update" if sync.remote_id else "would_create")


def _queue(invoice: Invoice, sync: InvoiceSync, kind: str, new: bool) -> ResyncOutcome:
    try:
        requeue_for_resync(sync=sync, kind=kind, new=new)
    except ServiceError as refused:
        return ResyncOutcome(invoice.pk, invoice.number, "refused", refused.message)
    return ResyncOutcome(invoice.pk, invoice.number, "queued")


def _push_chunk(connection: Connection, invoices: list[Invoice], syncs: dict[int, InvoiceSync],
                kind: str, defer: bool = False) -> list[ResyncOutcome]:
    now = clock.now()
    ids = [syncs[i.pk].pk for i in invoices]
    with transaction.atomic():
        InvoiceSync.objects.filter(pk__in=ids).update(
            state=SyncState.SYNCING, syncing_since=now, last_trigger=kind, last_trigger_at=now, repush=False,
            claim=F("claim") + 1, updated_at=now)
        claims = dict(InvoiceSync.objects.filter(pk__in=ids).values_list("pk", "claim"))
    # Written with their outcomes, as a single push's are: a worker that dies in the call leaves its syncs
    # `syncing`, which the sweep records (an attempt each) and pushes again.
    attempts = [SyncAttempt(sync=syncs[i.pk], trigger=kind, version=i.version, started_at=now) for i in invoices]
    try:
        results = registry.hook().push_invoices(connection=connection, invoices=invoices,
                                                syncs=[syncs[i.pk] for i in invoices])
    except Exception as exc:  # the whole call failed (network, auth): every invoice gets its reason
        results = [classify(connection, exc)] * len(invoices)
    if results is None or len(results) != len(invoices):
        raise RuntimeError(f"push_invoices of {connection.provider!r} did not answer once per invoice.")
    name = registry.provider(connection.provider).name
    # One transaction for the chunk's outcomes (one commit, not one per invoice): if it fails, its syncs stay
    # `syncing` with no attempt written, and the sweep records each (an attempt saying so) and pushes it again.
    with transaction.atomic():
        return _record_chunk(invoices, attempts, results, syncs, claims, name, defer)


def _record_chunk(invoices, attempts, results, syncs, claims, name: str, defer: bool) -> list[ResyncOutcome]:
    outcomes = []
    record_successes([Success(syncs[i.pk].pk, attempt, result, i.version, invoice_snapshot(i), claims[syncs[i.pk].pk])
                      for i, attempt, result in zip(invoices, attempts, results) if isinstance(result, PushResult)])
    for invoice, attempt, result in zip(invoices, attempts, results):
        sync = syncs[invoice.pk]
        if isinstance(result, PushResult):
            kind_done = "paid" if result.action == "paid" else ("updated" if sync.remote_id else "created")
            outcomes.append(ResyncOutcome(invoice.pk, invoice.number, kind_done))
        else:
            error = result if isinstance(result, ClassifiedError) else ClassifiedError.of(ErrorCategory.UNKNOWN, name)
            deferred = defer and error.category == ErrorCategory.RATE_LIMITED
            record_failure(sync.pk, attempt, error, invoice.version, claim=claims[sync.pk], requeue=not deferred)
            if deferred:
                outcomes.append(ResyncOutcome(invoice.pk, invoice.number, "deferred", error.message,
                                              retry_after=error.retry_after if error.retry_after is not None else 60.0))
            else:
                outcomes.append(ResyncOutcome(invoice.pk, invoice.number, "failed", error.message))
    return outcomes
