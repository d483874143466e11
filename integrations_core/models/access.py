"""Who may call the storefront API: one or more keys per supplier, stored as a hash."""

from django.conf import settings
from django.db import models

from .catalog import Supplier


class ApiKey(models.Model):
    """A supplier's API key. Only `prefix` (shown to identify it) and the SHA-256 of the whole key are kept."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["supplier", "-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.supplier})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
