"""The invoice list's filters. Sync state, provider and error category apply to the same sync, so
"failed on Xero" means one Xero sync that failed, not any failed sync on an invoice that has Xero."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef

from ..errors import ErrorCategory
from ..models import Invoice, InvoiceStatus, InvoiceSync, SyncState

SYNC_FIELDS = {"sync_state": "state", "provider": "connection__provider", "error_category": "error_category"}


class InvoiceFilter(django_filters.FilterSet):
    sync_state = django_filters.ChoiceFilter(choices=SyncState.choices, method="filter_sync",
                                             help_text="Invoices with a sync in this state.")
    provider = django_filters.CharFilter(max_length=50, method="filter_sync",
                                         help_text="Invoices with a sync to this provider (e.g. xero).")
    error_category = django_filters.ChoiceFilter(choices=ErrorCategory.choices(), method="filter_sync")
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    issued_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")
    number = django_filters.CharFilter(max_length=64, help_text="Exact invoice number.")

    class Meta:
        model = Invoice
        fields = ["sync_state", "provider", "error_category", "status", "issued_after", "issued_before", "number"]

    def filter_sync(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        conditions = {SYNC_FIELDS[name]: self.form.cleaned_data[name]
                      for name in SYNC_FIELDS if self.form.cleaned_data.get(name)}
        if conditions:
            queryset = queryset.filter(Exists(InvoiceSync.objects.filter(invoice=OuterRef("pk"), **conditions)))
        return queryset
