"""The help article's troubleshooting checklist, run for one invoice, each finding with the one action
that fixes it. Shown in the API (`GET /api/v1/invoices/{id}/diagnosis`) and on the admin invoice page.

Checks per connection, in the article's order:
1. connected — the integration shows as Connected in Settings > Add-ons;
2. not_locked — the invoice hasn't already been marked as Paid in the remote (locked);
3. no_error — there are no error messages on the invoice;
4. resynced_after_reconnect — it has synced since the last reconnect, or it is in the backlog;
5. trigger_recorded — an automatic trigger was recorded (invoice generated, order updated, paid);
6. remote_matches — the remote copy is at the invoice's latest version.
"""

from __future__ import annotations

import dataclasses

from . import registry
from .errors import ErrorCategory
from .models import Connection, ConnectionState, Invoice, InvoiceSync, SyncState, Trigger


@dataclasses.dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    message: str
    fix: str = ""


@dataclasses.dataclass(frozen=True)
class ConnectionDiagnosis:
    connection_id: int
    provider: str
    provider_name: str
    state: str
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)


_CLOSED_IN_REMOTE = {ErrorCategory.PERIOD_LOCKED.value, ErrorCategory.VOIDED_REMOTELY.value,
                     ErrorCategory.DELETED_REMOTELY.value}


def _resync_action(connection: Connection) -> str:
    info = registry.provider(connection.provider)
    if registry.supports_resync(connection.provider):
        return f"Use Resync on the invoice to push it to {info.name} again."
    return f"Use {info.manual_resync or 'the manual re-sync'} to push it to {info.name}."


def _diagnose(invoice: Invoice, connection: Connection, sync: InvoiceSync | None, triggered: bool) -> list[Finding]:
    name = registry.provider(connection.provider).name
    resync = _resync_action(connection)
    findings = []

    if connection.state == ConnectionState.CONNECTED:
        findings.append(Finding("connected", True, f"{name} shows as Connected."))
    else:
        why = f" ({connection.expiry_reason})" if connection.expiry_reason else ""
        findings.append(Finding(
            "connected", False, f"{name} is {connection.state}{why}: invoices cannot reach it.",
            f"Disconnect and reconnect {name} in Settings > Add-ons, then re-sync the invoices that missed the "
            "sync window (reconnecting does not re-sync them by itself).",
        ))

    locked = sync is not None and (sync.state == SyncState.LOCKED or sync.remote_locked)
    if locked:
        findings.append(Finding(
            "not_locked", False, f"The invoice is paid in {name} and locked: changes made after payment won't sync.",
            f"Manage changes to a paid invoice directly in {name}.",
        ))
    elif sync is not None and sync.error_category in _CLOSED_IN_REMOTE:
        # Not the invoice's lock: the organisation's books (a lock date), or a void / delete done in the remote.
        findings.append(Finding("not_locked", False, sync.error_message, sync.error_fix))
    else:
        findings.append(Finding("not_locked", True, f"The invoice is not locked in {name}."))

    if sync is not None and sync.error_message and sync.state in (SyncState.FAILED, SyncState.RETRYING):
        findings.append(Finding("no_error", False, sync.error_message, sync.error_fix))
    else:
        findings.append(Finding("no_error", True, "No sync error on the invoice."))

    behind = sync is None or sync.synced_version is None or sync.synced_version < invoice.version
    missed_reconnect = (
        connection.connected_at is not None and behind and sync is not None
        and sync.state == SyncState.FAILED
        and (sync.synced_at is None or sync.synced_at < connection.connected_at)
    )
    if missed_reconnect:
        findings.append(Finding(
            "resynced_after_reconnect", False,
            f"The invoice has not been re-synced since {name} was reconnected: it is in the backlog.", resync,
        ))
    else:
        findings.append(Finding("resynced_after_reconnect", True, "Nothing is waiting from before the last reconnect."))

    if triggered and sync is not None:
        findings.append(Finding("trigger_recorded", True, f"A sync to {name} was triggered."))
    else:
        findings.append(Finding(
            "trigger_recorded", False,
            f"No sync to {name} has been triggered for this invoice (generated, updated or paid) "
            "since the connection was made.", resync,
        ))

    if sync is not None and not behind:
        findings.append(Finding("remote_matches", True, f"{name} has the latest version (v{invoice.version})."))
    elif sync is not None and sync.state in (SyncState.QUEUED, SyncState.SYNCING, SyncState.RETRYING):
        findings.append(Finding(
            "remote_matches", False,
            f"{name} has {_version(sync)}; v{invoice.version} is on its way ({sync.state}).",
            "No action needed: it syncs by itself.",
        ))
    else:
        findings.append(Finding(
            "remote_matches", False, f"{name} has {_version(sync)}, not the latest v{invoice.version}.",
            f"Manage changes directly in {name}." if locked else resync,
        ))
    return findings


def _version(sync: InvoiceSync | None) -> str:
    if sync is None or sync.synced_version is None:
        return "no copy of this invoice"
    return f"v{sync.synced_version}"


def invoice_diagnose(*, invoice: Invoice) -> list[ConnectionDiagnosis]:
    """Run the troubleshooting checklist for one invoice on each of its supplier's connections
    (disconnected ones included only if the invoice ever synced to them)."""
    syncs = {s.connection_id: s for s in InvoiceSync.objects.filter(invoice=invoice)}
    connections = [
        c for c in Connection.objects.filter(supplier_id=invoice.supplier_id).order_by("provider")
        if c.state != ConnectionState.DISCONNECTED or c.pk in syncs
    ]
    triggered = Trigger.objects.filter(invoice=invoice).exists()
    return [
        ConnectionDiagnosis(
            connection_id=c.pk,
            provider=c.provider,
            provider_name=registry.provider(c.provider).name,
            state=c.state,
            findings=_diagnose(invoice, c, syncs.get(c.pk), triggered),
        )
        for c in connections
    ]
