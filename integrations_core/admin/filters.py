"""Invoice list filters that look at the invoice's syncs. Provider, sync state and error category combine on
the same sync, so "failed" + "xero" means a failed Xero sync."""

from django.contrib import admin
from django.db.models import Exists, OuterRef

from .. import registry
from ..errors import ErrorCategory
from ..models import InvoiceSync, SyncState

SYNC_PARAMS = {"provider": "connection__provider", "sync_state": "state", "error_category": "error_category"}


class _SyncFilter(admin.SimpleListFilter):
    def queryset(self, request, queryset):
        if self.parameter_name != self._first_present(request):
            return queryset  # one Exists for all three, applied by the first filter present
        conditions = {field: request.GET[name] for name, field in SYNC_PARAMS.items() if request.GET.get(name)}
        return queryset.filter(Exists(InvoiceSync.objects.filter(invoice=OuterRef("pk"), **conditions)))

    @staticmethod
    def _first_present(request):
        return next((name for name in SYNC_PARAMS if request.GET.get(name)), None)


class ProviderFilter(_SyncFilter):
    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(info.key, info.name) for info in registry.providers().values()]


class SyncStateFilter(_SyncFilter):
    title = "sync state"
    parameter_name = "sync_state"

    def lookups(self, request, model_admin):
        return SyncState.choices


class ErrorCategoryFilter(_SyncFilter):
    title = "error category"
    parameter_name = "error_category"

    def lookups(self, request, model_admin):
        return ErrorCategory.choices()
