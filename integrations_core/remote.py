"""What happens here when an invoice changes in the remote system: a payment applied there, a void or
a delete (told by a webhook or found by reconciliation), and drift (the remote copy differs from the
version we think we synced)."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from . import registry
from .errors import ClassifiedError, ErrorCategory
from .hookspecs import RemoteInvoice
from .invoices import invoice_mark_paid
from .models import Connection, ConnectionState, InvoiceStatus, InvoiceSync, PaymentRecord, SyncState
from .sync import classify, connection_failed, record_locked

log = logging.getLogger(__name__)


def _sync_for(connection: Connection, remote: RemoteInvoice) -> InvoiceSync | None:
    syncs = InvoiceSync.objects.select_related("invoice", "connection").filter(connection=connection)
    return syncs.filter(remote_id=remote.remote_id).first() or syncs.filter(invoice__number=remote.number).first()


def remote_invoice_apply(*, connection: Connection, remote: RemoteInvoice) -> str:
    """Bring the remote's news about one invoice here. Acting twice on the same news changes nothing.

    - paid remotely: the invoice becomes paid here and its sync shows `locked` (no call is made);
    - voided or deleted remotely: the sync shows it, with what to do.
    News that the remote holds what we last pushed (our own payment or void, read back) changes nothing.
    - a payment we recorded removed remotely: a locked sync is unlocked, with the change shown;
    :return: what was done ("paid", "payment removed", "voided", "deleted", "unchanged", "unknown invoice").
    """
    sync = _sync_for(connection, remote)
    if sync is None:
        return "unknown invoice"
    name = registry.provider(connection.provider).name
    if remote.paid:
        if sync.remote_locked and sync.remote_status == remote.status and sync.invoice.status == InvoiceStatus.PAID:
            return "unchanged"  # paid here and pushed as paid, or this news was applied already
        with transaction.atomic():
            InvoiceSync.objects.filter(pk=sync.pk).update(remote_locked=True, remote_status=remote.status,
                                                          remote_id=remote.remote_id)
            if sync.invoice.status != InvoiceStatus.PAID:
                invoice_mark_paid(invoice=sync.invoice)  # its trigger finds the sync locked: no call
            # Paid there: what is owed here was paid in the remote, not through us, and is never sent to it.
            PaymentRecord.objects.bulk_create(
                [PaymentRecord(payment=part, connection=connection, remote_id="")
                 for part in sync.invoice.payments.exclude(records__connection=connection)])
            sync.refresh_from_db()
            if sync.state != SyncState.LOCKED:

                record_locked(sync, sync.last_trigger)
        return "paid"
    if remote.payment_ids is not None:
        removed = _payments_removed(connection, sync, remote)
        if removed and sync.remote_locked:
            _unlock(sync, remote, name, removed)
            return "payment removed"
    if remote.voided or remote.deleted:
        kind = "deleted" if remote.deleted else "voided"
        if sync.remote_status == remote.status and sync.state in (SyncState.FAILED, SyncState.SYNCED):
            return "unchanged"  # applied already, or it is our own void read back
        if sync.invoice.status == InvoiceStatus.VOID:
            InvoiceSync.objects.filter(pk=sync.pk).update(remote_status=remote.status, updated_at=timezone.now())
            return "unchanged"
        # The remote keeps a voided or deleted invoice as it is: pushing it again cannot help, so it is not
        # put in the backlog; the message says what a person does instead.
        error = ClassifiedError.of(ErrorCategory.DELETED_REMOTELY if remote.deleted else ErrorCategory.VOIDED_REMOTELY,
                                   name)
        InvoiceSync.objects.filter(pk=sync.pk).update(
            state=SyncState.FAILED, remote_status=remote.status, error_category=error.category.value,
            error_message=error.message, error_fix=error.fix, next_retry_at=None, updated_at=timezone.now(),
        )
        return kind
    return "unchanged"


def remote_news_apply(*, provider: str, tenant_id: str, remote_ids: list[str]) -> dict[str, str]:
    """The remote said these invoices of one organisation changed (a webhook): read them back in one call
    (`fetch_invoices`) and apply each to every connected connection of that organisation.

    :return: remote id -> what was done (see `remote_invoice_apply`), "not found in <provider>" or
        "no connected organisation".
    :raises Exception: the read-back failed (nothing applied; an `auth_expired` answer expires the connection).
    """
    connections = list(Connection.objects.filter(provider=provider, tenant_id=tenant_id,
                                                 state=ConnectionState.CONNECTED).order_by("pk"))
    if not connections:
        return {remote_id: "no connected organisation" for remote_id in remote_ids}
    try:
        remotes = registry.hook().fetch_invoices(connection=connections[0], remote_ids=sorted(set(remote_ids)),
                                                 modified_since=None) or []
    except Exception as exc:
        connection_failed(connection=connections[0], error=classify(connections[0], exc))
        raise
    outcomes: dict[str, str] = {}
    for remote in remotes:
        results = [remote_invoice_apply(connection=c, remote=remote) for c in connections]
        outcomes[remote.remote_id] = next((r for r in results if r != "unknown invoice"), results[0])
    missing = f"not found in {registry.provider(provider).name}"
    return {remote_id: outcomes.get(remote_id, missing) for remote_id in remote_ids}


def _payments_removed(connection: Connection, sync: InvoiceSync, remote: RemoteInvoice) -> int:
    """Mark the payments we recorded that the remote no longer shows as removed there; how many were."""
    gone = PaymentRecord.objects.filter(connection=connection, payment__invoice_id=sync.invoice_id,
                                        removed_at__isnull=True).exclude(remote_id="").exclude(
        remote_id__in=list(remote.payment_ids or ()))
    return gone.update(removed_at=timezone.now())


def _unlock(sync: InvoiceSync, remote: RemoteInvoice, name: str, removed: int) -> None:
    """A payment was removed remotely: the invoice is open there again, so changes may sync to it."""
    what = "A payment was" if removed == 1 else f"{removed} payments were"
    InvoiceSync.objects.filter(pk=sync.pk).update(
        remote_locked=False, state=SyncState.SYNCED, remote_status=remote.status, locked_changes={},
        error_category="", error_message="", error_fix="",
        drift_detail=(f"{what} removed in {name}: the invoice is open there again ({remote.status}). Payments "
                      f"removed in {name} are not sent again; record the payment again if it stands.")[:1000],
        drift_detected_at=timezone.now(), updated_at=timezone.now())


def connection_reconcile(*, connection: Connection, since: dt.datetime) -> list[InvoiceSync]:
    """Compare the invoices changed remotely since `since` with what we think we synced (one batched
    read), apply payments / voids, and flag drift on the sync. :return: the syncs flagged with drift."""
    remotes = registry.hook().fetch_invoices(connection=connection, remote_ids=None, modified_since=since) or []
    name = registry.provider(connection.provider).name
    flagged = []
    for remote in remotes:
        remote_invoice_apply(connection=connection, remote=remote)
        sync = _sync_for(connection, remote)
        if sync is None or not sync.synced_snapshot or remote.total is None:
            continue
        ours = Decimal(sync.synced_snapshot.get("total", "0"))
        if remote.total != ours:
            sync.drift_detail = (f"{name} shows a total of {remote.total:.2f} but version "
                                 f"v{sync.synced_snapshot.get('version')} we synced totals {ours:.2f}: it was "
                                 f"changed in {name}.")[:1000]
            sync.drift_detected_at = timezone.now()
            sync.save(update_fields=["drift_detail", "drift_detected_at", "updated_at"])
            flagged.append(sync)
        elif sync.drift_detail:
            sync.drift_detail, sync.drift_detected_at = "", None
            sync.save(update_fields=["drift_detail", "drift_detected_at", "updated_at"])
    return flagged


def reconcile_all(*, window: dt.timedelta = dt.timedelta(hours=2)) -> int:
    """Reconcile every connected connection over the recent window (the periodic job).
    :return: how many syncs were flagged with drift."""
    since = timezone.now() - window
    flagged = 0
    for connection in Connection.objects.filter(state="connected").order_by("pk"):
        try:
            flagged += len(connection_reconcile(connection=connection, since=since))
        except Exception as exc:  # one connection's outage must not stop the others'
            log.exception("reconciliation failed for connection %s", connection.pk)
            connection_failed(connection=connection, error=classify(connection, exc))
    return flagged
