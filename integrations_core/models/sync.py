"""Where each invoice stands on each connection, every push ever made, and every trigger seen."""

from django.conf import settings
from django.db import models

from ..errors import ErrorCategory
from .connection import Connection
from .invoice import Invoice


class SyncState(models.TextChoices):
    QUEUED = "queued"
    SYNCING = "syncing"
    SYNCED = "synced"
    RETRYING = "retrying"  # will retry by itself at next_retry_at
    FAILED = "failed"  # needs a person
    LOCKED = "locked"  # paid in the remote system; updates cannot sync
    RESOLVED = "resolved"  # marked as resolved (framework plugins only)


class TriggerKind(models.TextChoices):
    INVOICE_GENERATED = "invoice_generated", "invoice generated"
    ORDER_UPDATED = "order_updated", "order updated"
    ORDER_CANCELLED = "order_cancelled", "order cancelled"  # an order update that voids the invoice
    ORDER_PAID = "order_paid", "order marked as paid"
    RESYNC = "resync", "resync"
    MANUAL_RESYNC = "manual_resync", "manual re-sync"
    RETRY = "retry", "automatic retry"
    SWEEP = "sweep", "requeued by sweep"


class Trigger(models.Model):
    """An append-only record that a trigger happened for an invoice, at the version it saw."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="triggers")
    kind = models.CharField(max_length=20, choices=TriggerKind.choices)
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["invoice", "-created_at"], name="trigger_invoice_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class InvoiceSync(models.Model):
    """One invoice on one connection."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="syncs")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="syncs")
    state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.QUEUED)
    remote_id = models.CharField(max_length=100, blank=True)
    remote_status = models.CharField(max_length=32, blank=True)
    # True once the remote copy is paid/locked: later updates are not sent.
    remote_locked = models.BooleanField(default=False)
    synced_version = models.PositiveIntegerField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    error_category = models.CharField(max_length=32, choices=ErrorCategory.choices(), blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    error_fix = models.CharField(max_length=1000, blank=True)
    # Consecutive failed attempts (rate limits are not counted); reset by a success.
    attempts = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # A trigger arrived while a push was in flight: push again when it ends (coalesced).
    repush = models.BooleanField(default=False)
    # The latest version a trigger asked to push: a claim that read an older invoice reads it again.
    requested_version = models.PositiveIntegerField(null=True, blank=True)
    # When the sync last became `queued` (the database's clock): a queued sync whose job is gone is found again.
    queued_at = models.DateTimeField(null=True, blank=True)
    syncing_since = models.DateTimeField(null=True, blank=True)
    # Counts the claims of this sync: a push records its outcome only while its claim is the latest.
    claim = models.PositiveBigIntegerField(default=0)
    last_trigger = models.CharField(max_length=20, choices=TriggerKind.choices, blank=True)
    last_trigger_at = models.DateTimeField(null=True, blank=True)
    # What the remote holds, as last pushed (lines and total), to tell what a later change would alter.
    synced_snapshot = models.JSONField(default=dict, blank=True)
    # Changes made here after the remote copy was locked (paid): kept, not lost, with the adjustment to make.
    locked_changes = models.JSONField(default=dict, blank=True)
    # Reconciliation: the remote copy differs from the version we think we synced.
    drift_detail = models.CharField(max_length=1000, blank=True)
    drift_detected_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "connection"], name="sync_one_per_invoice_connection"),
        ]
        indexes = [
            models.Index(fields=["connection", "state"], name="sync_connection_state"),
            models.Index(fields=["state", "error_category"], name="sync_state_category"),
            models.Index(fields=["state", "syncing_since"], name="sync_state_since"),
            models.Index(fields=["state", "queued_at"], name="sync_state_queued_at"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} on {self.connection.provider}: {self.state}"

    @property
    def is_behind(self) -> bool:
        return self.synced_version is None or self.synced_version < self.invoice.version


class SyncAttempt(models.Model):
    """The append-only audit of every push."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        SKIPPED = "skipped"

    sync = models.ForeignKey(InvoiceSync, on_delete=models.CASCADE, related_name="attempts_log")
    trigger = models.CharField(max_length=20, choices=TriggerKind.choices, blank=True)
    version = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    remote_request_id = models.CharField(max_length=100, blank=True)
    error_category = models.CharField(max_length=32, choices=ErrorCategory.choices(), blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    raw_error = models.TextField(blank=True)  # secrets removed before it is written

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["sync", "-started_at"], name="attempt_sync_recent")]

    def __str__(self) -> str:
        return f"attempt v{self.version} {self.outcome}"
