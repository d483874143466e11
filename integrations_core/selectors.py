"""Read-side queries shared by the API, the admin and the commands."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from .models import Connection, InvoiceSync, SyncState


def connection_backlog(*, connection: Connection) -> QuerySet[InvoiceSync]:
    """The invoices whose latest version has not reached this connection's remote and that need a
    person to push them again (failed, e.g. during an expiry), oldest first.

    In-flight syncs (queued, syncing, retrying) will arrive by themselves; locked and resolved ones
    have nothing left to send.
    """
    return (
        InvoiceSync.objects.filter(connection=connection, state=SyncState.FAILED)
        .filter(Q(synced_version__isnull=True) | Q(synced_version__lt=F("invoice__version")))
        .select_related("invoice")
        .order_by("invoice__issue_date", "invoice_id")
    )
