"""Suppliers, their customers and products (products carry the account codes a failed sync often needs fixed)."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from .. import registry
from ..models import Connection, Customer, Product, Supplier
from .money import ContactLinkInline

CONNECT_PERMISSION = "integrations_core.add_connection"


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "connection_count", "invoice_count", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["accounting_systems"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f != "accounting_systems"]

    def get_object(self, request, object_id, from_field=None):
        supplier = super().get_object(request, object_id, from_field)
        if supplier is not None:  # the connect links depend on who looks
            supplier.may_connect = request.user.has_perm(CONNECT_PERMISSION)
        return supplier

    @admin.display(description="accounting systems")
    def accounting_systems(self, supplier):
        """Each provider: the supplier's connection to it, and a link that starts connecting (or reconnecting)."""
        may_connect = getattr(supplier, "may_connect", False)
        latest = {}
        for connection in Connection.objects.filter(supplier=supplier).order_by("updated_at"):
            latest[connection.provider] = connection
        back = reverse("admin:integrations_core_supplier_change", args=[supplier.pk])
        rows = []
        for info in registry.providers().values():
            connection = latest.get(info.key)
            state = (f"{connection.state}" + (f" to {connection.tenant_name}" if connection.tenant_name else "")
                     if connection else "not connected")
            verb = "Reconnect" if connection and connection.state != "disconnected" else "Connect to"
            url = reverse("connect-admin", args=[info.key]) + "?" + urlencode({"supplier": supplier.pk,
                                                                                 "return_url": back})
            action = format_html('<a class="button" href="{}">{} {}</a>', url, verb, info.name) if may_connect else ""
            rows.append((info.name, state, action))
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            connection_total=Count("connections", distinct=True), invoice_total=Count("invoices", distinct=True))

    @admin.display(description="connections", ordering="connection_total")
    def connection_count(self, supplier):
        return supplier.connection_total

    @admin.display(description="invoices", ordering="invoice_total")
    def invoice_count(self, supplier):
        return supplier.invoice_total


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id", "supplier", "email"]
    inlines = [ContactLinkInline]

    def save_formset(self, request, form, formset, change):
        # A link support makes or changes is on purpose: it says who made it.
        for link in formset.save(commit=False):
            link.linked_by = request.user.get_username()
            link.save()
        for gone in formset.deleted_objects:
            gone.delete()
    list_filter = ["supplier"]
    search_fields = ["name", "external_id", "supplier__name"]
    list_select_related = ["supplier"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "supplier", "sales_account_code", "expense_account_code", "tax_type"]
    list_filter = ["supplier"]
    search_fields = ["sku", "name", "supplier__name"]
    list_select_related = ["supplier"]
