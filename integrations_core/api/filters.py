"""The list filters. On invoices, sync state, provider and error category apply to the same sync, so
"failed on Xero" means one Xero sync that failed, not any failed sync on an invoice that has Xero.

Each filter takes exactly what its schema says: text is compared as sent (not stripped) and is at most its
length with no NUL; a date is YYYY-MM-DD only (Django's DateField would also take 11/01/2026 and 2026-1-1); a
choice, date or number sent blank (`?status=`) is a 400, not the filter left off."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema_field

from ..errors import ErrorCategory
from ..models import Connection, ConnectionState, Invoice, InvoiceStatus, InvoiceSync, SyncState


class BlankRefusingForm(forms.Form):
    """A filter form that refuses a parameter sent blank unless it is text: `?state=` names no state."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if not isinstance(field, forms.CharField) and self.data.get(name) == "":
                self.add_error(name, "Give a value, or leave the parameter out.")
        return cleaned


def text_filter(max_length: int, **kwargs) -> django_filters.CharFilter:
    """Exact text, as sent, of at most `max_length` characters and no NUL (which PostgreSQL cannot hold)."""
    schema = {"type": "string", "maxLength": max_length, "pattern": "^[^\\u0000]*$"}
    if kwargs.get("help_text"):  # a schema given whole keeps no help text of its own
        schema["description"] = kwargs["help_text"]
    return extend_schema_field(schema)(django_filters.CharFilter(max_length=max_length, strip=False, **kwargs))


class IsoDateField(forms.DateField):
    input_formats = ["%Y-%m-%d"]

    def to_python(self, value):
        if isinstance(value, str) and value and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise forms.ValidationError("Give a date as YYYY-MM-DD.", code="invalid")
        return super().to_python(value)


class IsoDateFilter(django_filters.DateFilter):
    """A date as YYYY-MM-DD (OpenAPI's `format: date`) and nothing else."""

    field_class = IsoDateField


class ConnectionFilter(django_filters.FilterSet):
    provider = text_filter(50, help_text="Connections to this provider (e.g. xero).")
    state = django_filters.ChoiceFilter(choices=ConnectionState.choices)

    class Meta:
        model = Connection
        fields = ["provider", "state"]
        form = BlankRefusingForm

SYNC_FIELDS = {"sync_state": "state", "provider": "connection__provider", "error_category": "error_category"}


class InvoiceFilter(django_filters.FilterSet):
    sync_state = django_filters.ChoiceFilter(choices=SyncState.choices, method="filter_sync",
                                             help_text="Invoices with a sync in this state.")
    provider = text_filter(50, method="filter_sync", help_text="Invoices with a sync to this provider (e.g. xero).")
    error_category = django_filters.ChoiceFilter(choices=ErrorCategory.choices(), method="filter_sync")
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    issued_after = IsoDateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = IsoDateFilter(field_name="issue_date", lookup_expr="lte")
    number = text_filter(64, help_text="Exact invoice number.")

    class Meta:
        model = Invoice
        fields = ["sync_state", "provider", "error_category", "status", "issued_after", "issued_before", "number"]
        form = BlankRefusingForm

    def filter_sync(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        conditions = {SYNC_FIELDS[name]: self.form.cleaned_data[name]
                      for name in SYNC_FIELDS if self.form.cleaned_data.get(name)}
        if conditions:
            queryset = queryset.filter(Exists(InvoiceSync.objects.filter(invoice=OuterRef("pk"), **conditions)))
        return queryset
