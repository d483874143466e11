"""Connections: state, health, tenant, token expiry, backlog. Credentials are never a field here: not listed,
not shown, not editable, for anyone."""

from datetime import timedelta

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from .. import registry
from ..health import connection_check, connection_health
from ..models import Connection
from ..selectors import connections_for
from .display import badge

SHOWN = ["supplier", "provider", "state", "tenant_id", "tenant_name", "connected_at", "expired_at", "expiry_reason",
         "disconnected_at", "token_expires_at", "last_refreshed_at", "last_checked_at", "created_at", "updated_at"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "provider", "state_badge", "health_badge", "tenant_name", "token_expires_at",
                    "last_refreshed_at", "last_checked_at", "backlog", "expired_at"]
    list_filter = ["provider", "state"]
    search_fields = ["supplier__name", "tenant_name", "tenant_id"]
    list_select_related = ["supplier"]
    fields = SHOWN + ["health_badge", "backlog"]
    readonly_fields = fields
    actions = ["check_now"]

    def get_queryset(self, request):
        return connections_for(supplier_id=None).select_related("supplier").defer("credentials")

    def has_add_permission(self, request):
        return False  # connections are made by the connect flow, which stores the credentials

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="state", ordering="state")
    def state_badge(self, connection):
        return badge(connection.state)

    @admin.display(description="health")
    def health_badge(self, connection):
        health = connection_health(connection)
        if health == "lapsing":
            days = registry.provider(connection.provider).idle_lifetime_days
            last_used = connection.last_refreshed_at or connection.connected_at
            return badge(health, f"about to lapse on {_when(last_used + timedelta(days=days))} "
                                 f"(unused since {_when(last_used)}; lapses after {days} idle days)")
        if health == "expired":
            since = f" {_when(connection.expired_at)}" if connection.expired_at else ""
            return badge(health, f"expired{since}: {connection.expiry_reason or 'reconnect in Settings > Add-ons'}")
        return badge(health)

    @admin.display(description="backlog", ordering="backlog_count")
    def backlog(self, connection):
        count = getattr(connection, "backlog_count", 0)
        if not count:
            return 0
        url = reverse("admin:integrations_core_invoice_changelist")
        return format_html('<a href="{}?provider={}&sync_state=failed&supplier__id__exact={}">{}</a>', url,
                           connection.provider, connection.supplier_id, count)

    @admin.action(description="Check the selected connections now", permissions=["view"])
    def check_now(self, request, queryset):
        for connection in queryset:
            result = connection_check(connection=connection)
            level = messages.SUCCESS if result.ok else messages.WARNING
            self.message_user(request, f"{connection}: {result.message or 'OK'}", level)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
