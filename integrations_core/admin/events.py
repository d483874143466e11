"""Events the providers sent us (e.g. Xero's webhooks: an invoice paid in Xero), read-only: what arrived, when,
and what it changed here."""

from django.contrib import admin

from ..models import RemoteEvent
from .readonly import RecordAdmin


@admin.register(RemoteEvent)
class RemoteEventAdmin(RecordAdmin):
    list_display = ["received_at", "provider", "tenant_id", "category", "event_type", "resource_id", "occurred_at",
                    "processed_at", "outcome"]
    list_filter = ["provider", "category", "event_type"]
    search_fields = ["resource_id", "tenant_id", "key"]
    date_hierarchy = "received_at"
    readonly_fields = ["provider", "key", "tenant_id", "category", "event_type", "resource_id", "occurred_at",
                       "received_at", "processed_at", "outcome"]
    fields = readonly_fields
