"""Re-sync runs: poll progress (done of total) and each invoice's outcome."""

import django_filters
from django import forms
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, viewsets

from ...models import ResyncRun, ResyncRunItem, ResyncRunState
from ..filters import BlankRefusingForm
from ..pagination import NewestFirst
from ..scoping import SupplierScoped
from ..serializers import ResyncRunSerializer


MAX_ID = 2**63 - 1  # the database's bigint


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A whole-number id (NumberFilter would take 1e300 and overflow the database); in the schema an integer
    in the range the filter accepts (not drf-spectacular's `number` for a NumberFilter)."""

    field_class = forms.IntegerField


class ResyncRunFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ResyncRunState.choices)
    # A plain number, not a choice of connections: an unknown id must look like one with no runs.
    connection = IdFilter(field_name="connection_id", min_value=1, max_value=MAX_ID)

    class Meta:
        model = ResyncRun
        fields = ["state", "connection"]
        form = BlankRefusingForm


class ResyncRunViewSet(SupplierScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ResyncRunSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = ResyncRunFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        done = ResyncRunItem.objects.exclude(result="").order_by("id")
        qs = ResyncRun.objects.select_related("connection").prefetch_related(Prefetch("items", queryset=done))
        return qs if self.supplier_id is None else qs.filter(supplier_id=self.supplier_id)
