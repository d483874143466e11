"""The invoice actions: each provider's own manual re-sync, and the framework's Resync / Mark as Resolved
(refused, with the help article's explanation, where the provider does not support them)."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from .. import bulk, registry
from ..errors import ServiceError
from ..models import Connection, InvoiceSync, Supplier
from ..resync import sync_mark_resolved, sync_resync
from ..runs import resync_run_start
from ..selectors import invoices_for_resync

# Up to this many invoices per connection are pushed while the person waits; more become a background run.
INLINE_LIMIT = 100


def manual_resync_action(provider_key: str):
    """The action "Manually re-sync to <provider>" for a provider with its own re-sync path."""
    info = registry.provider(provider_key)

    def action(modeladmin, request, queryset):
        by_supplier = defaultdict(list)
        for pk, supplier_id in queryset.order_by("issue_date", "pk").values_list("pk", "supplier_id"):
            by_supplier[supplier_id].append(pk)
        suppliers = Supplier.objects.in_bulk(list(by_supplier))
        for supplier_id, invoice_ids in by_supplier.items():
            supplier = suppliers[supplier_id]
            # The supplier's latest connection to the provider.
            connection = (Connection.objects.filter(supplier=supplier, provider=provider_key)
                          .select_related("supplier").order_by("-updated_at").first())
            if connection is None:
                modeladmin.message_user(request, f"{supplier} has no {info.name} connection.", messages.ERROR)
                continue
            try:
                _resync(modeladmin, request, connection, invoice_ids, info.name)
            except ServiceError as error:
                modeladmin.message_user(request, f"{supplier}: {error.message}", messages.ERROR)

    action.__name__ = f"manual_resync_{provider_key}"
    action.allowed_permissions = ("resync",)
    action.short_description = f"Manually re-sync to {info.name}"
    return action


def _resync(modeladmin, request, connection, invoice_ids, provider_name):
    if len(invoice_ids) > INLINE_LIMIT:
        run = resync_run_start(connection=connection, invoice_ids=invoice_ids, requested_by=request.user)
        url = reverse("admin:integrations_core_resyncrun_change", args=[run.pk])
        modeladmin.message_user(request, format_html(
            '{} invoices of {} are being re-synced to {} in the background: <a href="{}">follow run {}</a>.',
            len(invoice_ids), connection.supplier, provider_name, url, run.pk), messages.INFO)
        return
    if not connection.is_connected:
        raise ServiceError(f"{provider_name} is not connected: reconnect in Settings > Add-ons, then re-sync.")
    invoices = list(invoices_for_resync(connection=connection, invoice_ids=invoice_ids))  # lines loaded
    outcomes = bulk.resync(connection=connection, invoices=invoices)
    for outcome in outcomes:
        ok = outcome.result in ("created", "updated", "paid", "queued", "would_create", "would_update")
        level = messages.SUCCESS if ok else (messages.WARNING if outcome.result == "skipped_locked" else messages.ERROR)
        text = f"{outcome.number}: {outcome.result.replace('_', ' ')} in {provider_name}"
        modeladmin.message_user(request, f"{text}. {outcome.message}" if outcome.message else f"{text}.", level)


def _syncs(request, queryset):
    syncs = InvoiceSync.objects.filter(invoice__in=queryset).select_related("connection", "invoice")
    provider = request.GET.get("provider")
    return syncs.filter(connection__provider=provider) if provider else syncs


def _each(modeladmin, request, queryset, service, done: str):
    for sync in _syncs(request, queryset):
        try:
            service(sync=sync, user=request.user)
        except ServiceError as refused:
            modeladmin.message_user(request, f"{sync.invoice.number} ({sync.connection.provider}): {refused.message}",
                                    messages.ERROR)
        else:
            modeladmin.message_user(request, f"{sync.invoice.number} ({sync.connection.provider}): {done}.",
                                    messages.SUCCESS)


@admin.action(description="Resync", permissions=["resync"])
def resync(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, sync_resync, "queued to push again")


@admin.action(description="Mark as resolved", permissions=["resync"])
def mark_resolved(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, sync_mark_resolved, "marked as resolved")
