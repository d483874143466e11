"""A re-sync of many invoices started by a person (admin, API, command): its progress and outcomes."""

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
    # What was chosen: {"invoice_ids": [...]} or {"since": ..., "until": ...} or {"backlog": true}.
    selection = models.JSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # [{"invoice_id", "number", "result", "message"}], filled as batches finish.
    outcomes = models.JSONField(default=list)
    error = models.CharField(max_length=1000, blank=True)
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
