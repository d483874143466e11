"""Model admins that show records kept by the service itself (invoices from the storefront, events from the
providers): viewed and acted on through actions, never added, edited or deleted by hand."""

from django.contrib import admin


class RecordAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
