"""Invoices as support sees them: where each stands on each connection, the attempts in order, the diagnosis,
and the actions that fix things. Invoices come from the storefront, so nothing here edits them."""

from __future__ import annotations

import json

from django.contrib import admin
from django.db.models import Prefetch
from django.utils.html import format_html, format_html_join

from .. import registry
from ..diagnosis import invoice_diagnose
from ..models import Invoice, InvoiceLine, InvoiceSync, SyncAttempt
from . import actions
from .display import badge, table
from .filters import ErrorCategoryFilter, ProviderFilter, SyncStateFilter
from .money import CreditNoteInline, PaymentInline
from .readonly import RecordAdmin

TIMELINE_LIMIT = 50


class LineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["position", "kind", "description", "product", "quantity", "unit_price", "account_code", "tax_type"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class SyncInline(admin.StackedInline):
    model = InvoiceSync
    verbose_name = "sync"
    fields = ["connection", "state_badge", "error_message", "error_fix", "attempts", "next_retry_at",
              "synced_version", "synced_at", "remote_id", "remote_status", "last_trigger", "last_trigger_at",
              "locked_changes_shown", "drift_detail", "drift_detected_at", "resolved_by", "resolved_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("connection__supplier", "resolved_by").defer(
            "synced_snapshot", "connection__credentials")

    @admin.display(description="state")
    def state_badge(self, sync):
        return badge(sync.state, f"{sync.state}: {sync.get_error_category_display()}" if sync.error_category
                     else sync.state)

    @admin.display(description="changes kept while locked")
    def locked_changes_shown(self, sync):
        changes = sync.locked_changes or {}
        if not changes:
            return "-"
        rows = [[line.get("position"), line.get("description"),
                 *(f"{line[f]['before']} → {line[f]['after']}" if f in line else "" for f in
                   ("quantity", "unit_price", "amount"))] for line in changes.get("lines", [])]
        return format_html("{}<p>Total {} → {}. <strong>{}</strong></p>",
                           table(["line", "description", "quantity", "unit price", "amount"], rows),
                           changes.get("total_before"), changes.get("total_after"), changes.get("suggestion", ""))


@admin.register(Invoice)
class InvoiceAdmin(RecordAdmin):
    list_display = ["number", "supplier", "customer", "issue_date", "total", "currency", "status", "version",
                    "sync_states"]
    list_filter = [ProviderFilter, SyncStateFilter, ErrorCategoryFilter, "status", "supplier"]
    search_fields = ["number", "order_reference", "supplier__name", "external_id"]
    date_hierarchy = "issue_date"
    list_select_related = ["supplier", "customer"]
    list_per_page = 50
    inlines = [SyncInline, LineInline, PaymentInline, CreditNoteInline]
    fields = ["supplier", "customer", "external_id", "number", "order_reference", "po_number", "issue_date",
              "due_date", "delivery_date", "comments", "attributes", "currency", "line_amount_type", "status", "total",
              "paid_at", "version", "diagnosis", "attempt_timeline"]
    readonly_fields = fields

    def get_queryset(self, request):
        syncs = InvoiceSync.objects.select_related("connection").only(
            "invoice_id", "state", "error_category", "connection__provider").order_by("connection__provider")
        return super().get_queryset(request).prefetch_related(Prefetch("syncs", queryset=syncs))

    def has_resync_permission(self, request):
        return request.user.has_perm("integrations_core.change_invoicesync")

    def get_actions(self, request):
        found = super().get_actions(request)
        providers = registry.providers()
        for key, info in providers.items():
            if info.manual_resync:
                action = actions.manual_resync_action(key)
                if self._allowed(request, action):
                    found[action.__name__] = (action, action.__name__, action.short_description)
        chosen = request.GET.get("provider")
        framework = [key for key in providers if registry.supports_resync(key)]
        # Resync and Mark as Resolved appear only where a provider that supports them is in view.
        if (chosen in framework) or (not chosen and framework):
            for action in (actions.resync, actions.mark_resolved):
                if self._allowed(request, action):
                    found[action.__name__] = (action, action.__name__, action.short_description)
        return found

    def _allowed(self, request, action) -> bool:
        return all(getattr(self, f"has_{p}_permission")(request) for p in getattr(action, "allowed_permissions", ()))

    @admin.display(description="syncs")
    def sync_states(self, invoice):
        return format_html_join(" ", "{}", ((badge(s.state, f"{s.connection.provider}: {s.state}"),)
                                            for s in invoice.syncs.all())) or "-"

    @admin.display(description="diagnosis")
    def diagnosis(self, invoice):
        blocks = []
        for found in invoice_diagnose(invoice=invoice):
            rows = [[badge("ok" if f.ok else "failed", "ok" if f.ok else "problem"), f.check, f.message, f.fix]
                    for f in found.findings]
            blocks.append(format_html("<h4>{} ({})</h4>{}", found.provider_name, found.state,
                                      table(["", "check", "finding", "what fixes it"], rows)))
        return format_html_join("", "{}", ((b,) for b in blocks)) or "No connections."

    @admin.display(description="attempts (newest first)")
    def attempt_timeline(self, invoice):
        attempts = (SyncAttempt.objects.filter(sync__invoice=invoice).select_related("sync__connection")
                    .order_by("-started_at", "-id")[:TIMELINE_LIMIT])
        rows = [[a.started_at.strftime("%Y-%m-%d %H:%M:%S"), a.sync.connection.provider, a.get_trigger_display(),
                 f"v{a.version}", badge(a.outcome or "running", a.outcome or "running"), a.http_status or "",
                 a.error_message, _raw(a.raw_error)] for a in attempts]
        return table(["started", "provider", "trigger", "version", "outcome", "HTTP", "message", "raw error"],
                     rows) if rows else "No attempts yet."

def _raw(text: str):
    if not text:
        return ""
    try:
        text = json.dumps(json.loads(text), indent=2)
    except ValueError:
        pass
    return format_html("<details><summary>body</summary><pre>{}</pre></details>", text[:5000])
