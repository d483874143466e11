"""The framework's Resync and Mark as Resolved, for providers whose `supports_resync` is true."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from . import registry, triggers
from .errors import ActionNotAllowed, ResyncNotSupported
from .models import InvoiceSync, SyncState, TriggerKind


def _framework_providers() -> list[str]:
    return [c.name for c in registry.capabilities() if c.supports_resync]


def ensure_resync_supported(provider_key: str) -> None:
    """Refuse, naming the provider's own re-sync, when the framework's Resync does not apply.

    :raises ResyncNotSupported: the provider's `supports_resync` is false (Xero).
    """
    if registry.supports_resync(provider_key):
        return
    info = registry.provider(provider_key)
    own = f" For {info.name}, use {info.manual_resync} instead." if info.manual_resync else ""
    raise ResyncNotSupported(
        f"Resync and Mark as Resolved do not support {info.name}: that feature is only available for "
        f"integrations built on the integrations framework ({_listed(_framework_providers())}).{own}"
    )


def _listed(names: list[str]) -> str:
    """"A, B and C", as the help article lists them."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}" if names else "none"


def sync_resync(*, sync: InvoiceSync, user=None) -> InvoiceSync:
    """Push the invoice's current version again (framework Resync).

    :raises ResyncNotSupported: the provider has its own re-sync (Xero).
    :raises ActionNotAllowed: the connection is not connected, or a push is already under way.
    """
    ensure_resync_supported(sync.connection.provider)
    return requeue_for_resync(sync=sync, kind=TriggerKind.RESYNC)


def requeue_for_resync(*, sync: InvoiceSync, kind: str, new: bool = False) -> InvoiceSync:
    """Queue a push of the invoice's current version, asked for by a person (`kind`: resync, manual_resync).
    `new`: the sync was just made for this (`queued`, with no push job yet).

    :raises ActionNotAllowed: the connection is not connected, or a push is already under way.
    """
    with transaction.atomic():
        sync = InvoiceSync.objects.select_for_update(of=("self",)).select_related("connection").get(pk=sync.pk)
        if not sync.connection.is_connected:
            raise ActionNotAllowed("The connection is not connected: reconnect it in Settings > Add-ons first.")
        if sync.state in (SyncState.QUEUED, SyncState.SYNCING) and not new:
            raise ActionNotAllowed("A push of this invoice is already under way.")
        sync.remote_locked = False if sync.state == SyncState.RESOLVED else sync.remote_locked
        sync.attempts = 0
        sync.save(update_fields=["remote_locked", "attempts", "updated_at"])
        triggers.request_push(sync_id=sync.pk, kind=kind, new=new)
    sync.refresh_from_db()
    return sync


def sync_mark_resolved(*, sync: InvoiceSync, user=None) -> InvoiceSync:
    """Close a failed sync by hand (framework Mark as Resolved): it stops showing as an error.

    :raises ResyncNotSupported: the provider has its own re-sync (Xero).
    :raises ActionNotAllowed: the sync is not failed, retrying or locked.
    """
    ensure_resync_supported(sync.connection.provider)
    with transaction.atomic():
        sync = InvoiceSync.objects.select_for_update(of=("self",)).get(pk=sync.pk)
        if sync.state not in (SyncState.FAILED, SyncState.RETRYING, SyncState.LOCKED):
            raise ActionNotAllowed(f"Only a failed sync can be marked as resolved; this one is {sync.state}.")
        sync.state = SyncState.RESOLVED
        sync.resolved_by = user if getattr(user, "pk", None) else None
        sync.resolved_at = timezone.now()
        sync.next_retry_at = None
        sync.save()
    return sync
