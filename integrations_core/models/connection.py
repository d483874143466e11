"""A supplier's link to one accounting provider."""

from django.db import models

from ..crypto import EncryptedJSONField
from .catalog import Supplier


class ConnectionState(models.TextChoices):
    CONNECTED = "connected"
    EXPIRED = "expired"
    DISCONNECTED = "disconnected"


class Connection(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="connections")
    provider = models.SlugField(max_length=50)
    state = models.CharField(max_length=16, choices=ConnectionState.choices, default=ConnectionState.CONNECTED)
    tenant_id = models.CharField(max_length=64, blank=True)
    tenant_name = models.CharField(max_length=200, blank=True)
    # Tokens and secrets; encrypted at rest, never shown.
    credentials = EncryptedJSONField(blank=True, default=dict)
    # Non-secret per-connection settings (e.g. the payment account code).
    settings = models.JSONField(blank=True, default=dict)
    connected_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    expiry_reason = models.CharField(max_length=500, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier__name", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "provider"],
                condition=models.Q(state="connected"),
                name="connection_one_connected_per_provider",
            ),
        ]
        indexes = [models.Index(fields=["provider", "state"], name="connection_provider_state")]
        # Changing a connection's integration settings is apart from connecting and disconnecting it.
        permissions = [("change_settings_connection", "Can change a connection's integration settings")]

    def __str__(self) -> str:
        return f"{self.supplier} / {self.provider} ({self.state})"

    def __repr__(self) -> str:  # never the credentials
        return f"<Connection {self.pk} {self.provider} {self.state}>"

    @property
    def is_connected(self) -> bool:
        return self.state == ConnectionState.CONNECTED


class ConnectLink(models.Model):
    """A link the storefront was given to connect a supplier's account: it names the supplier, the provider
    and where to return, and can be opened once (a second opening could attach another organisation)."""

    nonce = models.CharField(max_length=32, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="connect_links")
    provider = models.SlugField(max_length=50)
    return_url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="connect_link_created")]

    def __str__(self) -> str:
        return f"{self.provider} link for {self.supplier}"


class SettingsChange(models.Model):
    """One change of a connection's integration settings: who made it, when, and each setting's before/after."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="settings_changes")
    changed_by = models.CharField(max_length=200)  # a staff user's name, or "API key <prefix>" for the storefront
    changed_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(default=dict)  # {setting: {"from": old, "to": new}}

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{', '.join(self.changes)} by {self.changed_by}"


class ContactLink(models.Model):
    """The remote contact a retailer (customer) is on one connection, kept once found or made, so a rename on
    either side does not make a second contact."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="contact_links")
    customer = models.ForeignKey("integrations_core.Customer", on_delete=models.CASCADE, related_name="contact_links")
    remote_id = models.CharField(max_length=100)
    remote_name = models.CharField(max_length=255, blank=True)
    # Support linked it by hand: it may share its remote contact with another retailer.
    linked_by = models.CharField(max_length=200, blank=True)
    linked_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["connection", "customer"], name="contact_link_one_per_customer")]
        indexes = [models.Index(fields=["connection", "remote_id"], name="contact_link_remote")]

    def __str__(self) -> str:
        return f"{self.customer} -> {self.remote_name or self.remote_id}"
