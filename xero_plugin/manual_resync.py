"""Xero's manual re-sync: push the current state of chosen invoices (one, a set, a date window, or a
connection's backlog), up to 50 to a call, with an outcome per invoice. Locked (paid) invoices are
skipped with the reason. Used by `manage.py xero_resync`, the admin and the API.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import F

from integrations_core import clock, registry
from integrations_core.errors import ClassifiedError, ErrorCategory, InvalidInput, NotFound
from integrations_core.hookspecs import PushResult, ResyncOutcome
from integrations_core.models import Connection, ConnectionState, Invoice, InvoiceSync, SyncAttempt
from integrations_core.models import SyncState, TriggerKind
from integrations_core.selectors import invoices_for_resync
from integrations_core.sync import record_failure, record_success
from integrations_core.changes import invoice_snapshot

from . import limits
from .push import BATCH

LOCKED_MESSAGE = "Invoice is paid in Xero and locked: manage changes directly in Xero"


Outcome = ResyncOutcome


@dataclasses.dataclass
class Estimate:
    invoices: int
    calls: int
    minute_remaining: int | None
    day_remaining: int | None
    seconds: float

    def describe(self) -> str:
        budget = (f"{self.minute_remaining} calls left this minute, {self.day_remaining} today"
                  if self.minute_remaining is not None else "Xero's remaining budget not known yet")
        return (f"{self.invoices} invoices in {self.calls} Xero calls (up to {BATCH} per call); {budget}; "
                f"about {self.seconds:.0f} s.")


def select_invoices(*, connection: Connection, numbers: Iterable[str] | None = None,
                    since: dt.date | None = None, until: dt.date | None = None, backlog: bool = False,
                    invoice_ids: Iterable[int] | None = None) -> list[Invoice]:
    """The chosen invoices (see `integrations_core.selectors.invoices_for_resync`), as a list."""
    return list(invoices_for_resync(connection=connection, numbers=numbers, since=since, until=until,
                                    backlog=backlog, invoice_ids=invoice_ids))


def estimate(connection: Connection, count: int) -> Estimate:
    """How long `count` invoices will take from the organisation's remaining minute and day budget."""
    calls = math.ceil(count / BATCH) if count else 0
    left = limits.remaining(connection.tenant_id)
    per_minute = left["minute"] if left["minute"] is not None else 60
    seconds = 0.0 if calls <= per_minute else 60.0 * math.ceil((calls - per_minute) / 60)
    if left["day"] is not None and calls > left["day"]:
        seconds = max(seconds, 86400.0)
    return Estimate(count, calls, left["minute"], left["day"], seconds + calls * 0.5)


def _connection(connection: Connection) -> Connection:
    if connection.provider != "xero":
        raise InvalidInput(f"The manual re-sync to Xero is for Xero connections, not {connection.provider}.")
    if connection.state != ConnectionState.CONNECTED:
        raise InvalidInput("Xero is not connected: reconnect in Settings > Add-ons, then re-sync.",
                           code="not_connected")
    return connection


def manual_resync(*, connection: Connection, invoices: list[Invoice], dry_run: bool = False,
                  progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Push the current state of `invoices` to Xero, up to 50 per call; one outcome per invoice.

    Dry run: what would be created, updated, skipped as locked or refused by pre-flight, without pushing.
    :raises InvalidInput: not a connected Xero connection.
    """
    _connection(connection)
    syncs = {}
    for invoice in invoices:
        syncs[invoice.pk], _ = InvoiceSync.objects.get_or_create(invoice=invoice, connection=connection)
    outcomes: list[Outcome] = []
    to_push: list[Invoice] = []
    for invoice in invoices:
        sync = syncs[invoice.pk]
        if sync.remote_locked or sync.state == SyncState.LOCKED:
            outcomes.append(Outcome(invoice.pk, invoice.number, "skipped_locked", LOCKED_MESSAGE))
        elif dry_run:
            outcomes.append(_dry(connection, invoice, sync))
        else:
            to_push.append(invoice)
    if progress:
        progress(len(outcomes), len(invoices))
    for start in range(0, len(to_push), BATCH * 10):
        chunk = to_push[start:start + BATCH * 10]
        outcomes += _push(connection, chunk, syncs)
        if progress:
            progress(len(outcomes), len(invoices))
    order = {invoice.pk: i for i, invoice in enumerate(invoices)}
    return sorted(outcomes, key=lambda o: order[o.invoice_id])


def _dry(connection: Connection, invoice: Invoice, sync: InvoiceSync) -> Outcome:
    from .client import client_for
    from .preflight import check
    from integrations_core.errors import PushError

    try:
        check(connection, invoice, client_for(connection))
    except PushError as refused:
        return Outcome(invoice.pk, invoice.number, "refused", refused.classified.message)
    return Outcome(invoice.pk, invoice.number, "would_update" if sync.remote_id else "would_create")


def _push(connection: Connection, invoices: list[Invoice], syncs: dict[int, InvoiceSync]) -> list[Outcome]:
    now = clock.now()
    with transaction.atomic():
        ids = [syncs[i.pk].pk for i in invoices]
        InvoiceSync.objects.filter(pk__in=ids).update(
            state=SyncState.SYNCING, syncing_since=now, last_trigger=TriggerKind.MANUAL_RESYNC,
            last_trigger_at=now, repush=False, claim=F("claim") + 1, updated_at=now)
        claims = dict(InvoiceSync.objects.filter(pk__in=ids).values_list("pk", "claim"))
        attempts = SyncAttempt.objects.bulk_create([
            SyncAttempt(sync=syncs[i.pk], trigger=TriggerKind.MANUAL_RESYNC, version=i.version, started_at=now)
            for i in invoices])
    try:
        results = registry.hook().push_invoices(connection=connection, invoices=invoices,
                                                syncs=[syncs[i.pk] for i in invoices])
    except Exception as exc:  # the whole call failed (network, auth): every invoice gets its reason
        from .errors import classify_exception

        results = [classify_exception(exc)] * len(invoices)
    outcomes = []
    for invoice, attempt, result in zip(invoices, attempts, results):
        sync = syncs[invoice.pk]
        if isinstance(result, PushResult):
            record_success(sync.pk, attempt, result, invoice.version, snapshot=invoice_snapshot(invoice),
                           claim=claims[sync.pk])
            kind = "paid" if result.action == "paid" else ("updated" if sync.remote_id else "created")
            outcomes.append(Outcome(invoice.pk, invoice.number, kind))
        else:
            error = result if isinstance(result, ClassifiedError) else ClassifiedError.of(ErrorCategory.UNKNOWN, "Xero")
            record_failure(sync.pk, attempt, error, invoice.version, claim=claims[sync.pk])
            outcomes.append(Outcome(invoice.pk, invoice.number, "failed", error.message))
    return outcomes


def connection_for(*, supplier, tenant_id: str | None = None) -> Connection:
    """The supplier's Xero connection. :raises NotFound: none."""
    qs = Connection.objects.filter(supplier=supplier, provider="xero").order_by("-updated_at")
    if tenant_id:
        qs = qs.filter(tenant_id=tenant_id)
    connection = qs.first()
    if connection is None:
        raise NotFound(f"{supplier} has no Xero connection.")
    return connection
