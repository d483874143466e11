"""Events the providers sent us (e.g. Xero's webhooks: an invoice paid in Xero), read-only: what arrived, when,
and what it changed here."""

from django.contrib import admin

from ..models import RemoteEvent


@admin.register(RemoteEvent)
class RemoteEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "tenant_id", "category", "event_type", "resource_id", "occurred_at",
                    "processed_at", "outcome"]
    list_filter = ["provider", "category", "event_type"]
    search_fields = ["resource_id", "tenant_id", "key"]
    date_hierarchy = "received_at"
    readonly_fields = ["provider", "key", "tenant_id", "category", "event_type", "resource_id", "occurred_at",
                       "received_at", "processed_at", "outcome"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
