"""Suppliers, their customers and products (products carry the account codes a failed sync often needs fixed)."""

from django.contrib import admin
from django.db.models import Count

from ..models import Customer, Product, Supplier


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "connection_count", "invoice_count", "created_at"]
    search_fields = ["name"]

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
    list_display = ["name", "supplier", "email"]
    list_filter = ["supplier"]
    search_fields = ["name", "supplier__name"]
    list_select_related = ["supplier"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "supplier", "sales_account_code", "expense_account_code", "tax_type"]
    list_filter = ["supplier"]
    search_fields = ["sku", "name", "supplier__name"]
    list_select_related = ["supplier"]
