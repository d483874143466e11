"""Events a provider sends us (webhooks), each acted on once."""

from django.db import models


class RemoteEvent(models.Model):
    """One inbound event. `key` identifies it across redeliveries, so a replay changes nothing."""

    provider = models.SlugField(max_length=50)
    key = models.CharField(max_length=128)
    tenant_id = models.CharField(max_length=64)
    category = models.CharField(max_length=32)
    event_type = models.CharField(max_length=32)
    resource_id = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["provider", "key"], name="remote_event_once")]

    def __str__(self) -> str:
        return f"{self.provider} {self.category} {self.event_type} {self.resource_id}"
