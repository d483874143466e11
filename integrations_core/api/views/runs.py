"""Re-sync runs: poll progress (done of total) and each invoice's outcome."""

import django_filters
from django import forms
from rest_framework import mixins, viewsets

from ...models import ResyncRun, ResyncRunState
from ..pagination import NewestFirst
from ..scoping import SupplierScoped
from ..serializers import ResyncRunSerializer


class IdFilter(django_filters.NumberFilter):
    """A whole-number id (NumberFilter would take 1e300 and overflow the database)."""

    field_class = forms.IntegerField


class ResyncRunFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ResyncRunState.choices)
    # A plain number, not a choice of connections: an unknown id must look like one with no runs.
    connection = IdFilter(field_name="connection_id", min_value=1, max_value=2**63 - 1)

    class Meta:
        model = ResyncRun
        fields = ["state", "connection"]


class ResyncRunViewSet(SupplierScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ResyncRunSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = ResyncRunFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        qs = ResyncRun.objects.select_related("connection")
        return qs if self.supplier_id is None else qs.filter(supplier_id=self.supplier_id)
