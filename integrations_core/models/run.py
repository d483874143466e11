"""A re-sync of many invoices started by a person (admin, API, command): its progress, and one item per chosen
invoice with what the run did with it (so a run of any size is read and resumed a chunk at a time)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .catalog import Supplier
from .connection import Connection


class ResyncRunState(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ResyncRun(models.Model):
    """One manual re-sync job. At most one queued or running per supplier (a database constraint)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="resync_runs")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="resync_runs")
    state = models.CharField(max_length=10, choices=ResyncRunState.choices, default=ResyncRunState.QUEUED)
    # How it was chosen: {"invoices": n} (picked one by one), {"numbers": [...]}, {"since", "until"}, {"backlog"}.
    # The invoices themselves are its items, fixed when it started.
    selection = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)
    # A run is pushed a chunk per job ("turn"), each job queuing the next, so that runs of many suppliers take
    # turns on the workers: a job runs only if its turn is the run's (a stray copy does nothing).
    turn = models.PositiveIntegerField(default=0)
    # When the remote's budget is spent, the next turn is scheduled for when it returns.
    resume_at = models.DateTimeField(null=True, blank=True)
    touched_at = models.DateTimeField(null=True, blank=True)  # its last turn
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"], condition=Q(state__in=["queued", "running"]), name="resync_run_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"Re-sync #{self.pk} of {self.connection} ({self.state})"

    @property
    def active(self) -> bool:
        return self.state in (ResyncRunState.QUEUED, ResyncRunState.RUNNING)

    @property
    def outcomes(self) -> list[dict]:
        """What the run did with each invoice so far, in the order chosen: {"invoice_id", "number", "result",
        "message"}. Read from its items (prefetch `items` to read many runs' at once)."""
        return [{"invoice_id": item.invoice_id, "number": item.number, "result": item.result, "message": item.message}
                for item in self.items.all() if item.result]


class ResyncRunItem(models.Model):
    """One invoice chosen for a run, and what the run did with it (blank until it has)."""

    run = models.ForeignKey(ResyncRun, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("integrations_core.Invoice", on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=64, blank=True)  # the invoice's number when the run dealt with it
    # created / updated / paid / queued / skipped_locked / refused / failed (see bulk.ResyncOutcome)
    result = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "result", "id"], name="resync_item_pending")]

    def __str__(self) -> str:
        return f"{self.number or self.invoice_id}: {self.result or 'pending'}"
