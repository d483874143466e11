"""The three automatic triggers (invoice generated, order updated, order marked as paid) and the
requests for a push that they, a Resync or a manual re-sync make.

A trigger is recorded, then for each of the supplier's connections:
- connected: the invoice's sync is queued and one push job goes on the queue when the transaction
  commits. Pushes coalesce: a sync already queued gets no second job; one being pushed is marked to
  push again when the push in flight ends. So a burst of updates makes at most two pushes, and the
  second one reads the latest version.
- expired: the trigger is recorded on the sync as failed / auth_expired, never dropped.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from . import clock
from .errors import InvalidInput, NoConnection, NotFound
from .models import Connection, ConnectionState, Invoice, InvoiceSync, SyncState, Trigger, TriggerKind
from .sync import coalesce_delay, enqueue_push, queued_threshold, queued_too_long, record_locked, record_missed

log = logging.getLogger(__name__)

_LIVE = (ConnectionState.CONNECTED, ConnectionState.EXPIRED)
# The help article's three (a cancel is the order update that voids the invoice, recorded as such).
_AUTOMATIC = {TriggerKind.INVOICE_GENERATED, TriggerKind.ORDER_UPDATED, TriggerKind.ORDER_CANCELLED,
              TriggerKind.ORDER_PAID}


def trigger_fire(*, invoice_id: int, kind: str) -> Trigger:
    """Record an automatic trigger for an invoice and queue one push per connected connection.

    :raises NotFound: no invoice with that id.
    :raises InvalidInput: `kind` is not one of the automatic triggers.
    :raises NoConnection: the supplier has no connected or expired connection. Nothing is written.
    """
    if kind not in _AUTOMATIC:
        raise InvalidInput(f"{kind!r} is not a trigger.",
                           field_errors={"kind": [f"Choose one of {', '.join(sorted(_AUTOMATIC))}."]})
    with transaction.atomic():
        invoice = Invoice.objects.filter(pk=invoice_id).first()
        if invoice is None:
            raise NotFound(f"No invoice {invoice_id}.")
        connections = list(Connection.objects.filter(supplier_id=invoice.supplier_id, state__in=_LIVE))
        if not connections:
            raise NoConnection(
                f"{invoice.supplier} has no accounting connection: connect one in Settings > Add-ons first."
            )
        return _record(invoice, kind, connections)


def fire_if_connected(*, invoice: Invoice, kind: str) -> Trigger | None:
    """Fire a trigger from an invoice service, for each provider the supplier has connected: pushed where
    connected, recorded as missed where expired or disconnected since (the connection's backlog once it
    is back). A supplier that never connected a provider simply has nothing to sync."""
    connections = _used_connections(invoice.supplier_id)
    if not connections:
        return None
    return _record(invoice, kind, connections)


def _used_connections(supplier_id: int) -> list[Connection]:
    """Per provider, the supplier's live connection, else the latest one that was ever connected."""
    live: dict[str, Connection] = {}
    used: dict[str, Connection] = {}
    for connection in Connection.objects.filter(supplier_id=supplier_id).order_by("updated_at", "pk"):
        if connection.state in _LIVE:
            live[connection.provider] = connection
        elif connection.connected_at is not None or connection.disconnected_at is not None:
            used[connection.provider] = connection
    return list({**used, **live}.values())


def _record(invoice: Invoice, kind: str, connections: list[Connection]) -> Trigger:
    trigger = Trigger.objects.create(invoice=invoice, kind=kind, version=invoice.version)
    for connection in connections:
        sync, created = InvoiceSync.objects.get_or_create(invoice=invoice, connection=connection)
        if connection.is_connected:
            request_push(sync_id=sync.id, kind=kind, new=created)
        else:
            _record_missed(sync, connection, kind)
    return trigger


def _record_missed(sync: InvoiceSync, connection: Connection, kind: str) -> None:
    InvoiceSync.objects.filter(pk=sync.id).update(last_trigger=kind, last_trigger_at=timezone.now())
    record_missed(connection=connection, sync_ids=[sync.id])
    log.info("push not requested: the connection is %s (the invoice waits in its backlog)", connection.state,
             extra={"invoice_id": sync.invoice_id, "sync_id": sync.id, "connection_id": connection.pk,
                    "provider": connection.provider, "trigger": kind})


def request_push(*, sync_id: int, kind: str, new: bool = False) -> bool:
    """Ask for one push of a sync at the invoice's latest version, coalescing with any already asked for.

    Must run inside a transaction; the job is queued when it commits. `new`: the sync was just created
    (its initial state is `queued`, but no job exists for it yet). A sync `queued` for longer than the
    sweep's bound gets a job again: its job may be gone (Redis lost its data), and the claim keeps a
    second job from pushing twice.
    :return: True if a new push job was queued.
    """
    sync = InvoiceSync.objects.select_for_update(of=("self",)).select_related("connection", "invoice").get(pk=sync_id)
    now = clock.now()
    sync.last_trigger = kind
    sync.last_trigger_at = now
    # The claim that waits on this row sees this and reads the invoice again (see push_statements.claim).
    sync.requested_version = sync.invoice.version
    fields = ["last_trigger", "last_trigger_at", "requested_version", "updated_at"]
    queued = False
    if sync.remote_locked and kind != TriggerKind.MANUAL_RESYNC:
        # Paid remotely: nothing may be sent. The engine records why, without a call.
        record_locked(sync, kind)
        _log_request(sync, kind, "locked")
        return False
    if sync.state == SyncState.SYNCING:
        sync.repush = True
        fields.append("repush")
    elif new or sync.state != SyncState.QUEUED or queued_too_long(sync, queued_threshold(now)):
        sync.state = SyncState.QUEUED
        sync.queued_at = now
        sync.next_retry_at = None
        fields += ["state", "queued_at", "next_retry_at"]
        queued = True
    sync.save(update_fields=fields)
    delay = 0.0
    if queued:
        connection, delay = sync.connection, coalesce_delay(kind)
        transaction.on_commit(lambda: enqueue_push(sync.id, connection, delay=delay))
    _log_request(sync, kind, "queued" if queued else "repush" if sync.repush else "coalesced", delay)
    return queued


def _log_request(sync: InvoiceSync, kind: str, action: str, delay: float = 0.0) -> None:
    """The first line of a push's story: what asked for it, and what became of the request (`queued`: a job goes
    on the queue when the transaction commits; `repush`: after the push in flight; `coalesced`: the job already
    queued takes it; `locked`: nothing is sent)."""
    log.info("push requested", extra={
        "invoice_id": sync.invoice_id, "sync_id": sync.id, "connection_id": sync.connection_id,
        "provider": sync.connection.provider, "trigger": kind, "version": sync.invoice.version, "action": action,
        "delay_seconds": delay or None})
