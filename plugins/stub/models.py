"""The remote side of the stub providers: their invoices and the faults a test asks them to raise."""

from django.db import models


class StubRemoteInvoice(models.Model):
    """An invoice as the stub remote holds it, one per (provider, connection, number)."""

    provider = models.SlugField(max_length=50)
    connection_id = models.BigIntegerField()
    remote_id = models.CharField(max_length=64, unique=True)
    number = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16)  # AUTHORISED, PAID, VOIDED
    payload = models.JSONField()
    writes = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "connection_id", "number"], name="stub_remote_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.number} v{self.version} {self.status}"


class StubFault(models.Model):
    """The next `remaining` pushes to this connection fail with `kind` (taken oldest first)."""

    provider = models.SlugField(max_length=50)
    connection_id = models.BigIntegerField()
    kind = models.CharField(max_length=32)
    remaining = models.PositiveIntegerField(default=1)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.provider}:{self.kind} x{self.remaining}"
