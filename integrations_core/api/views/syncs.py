"""One invoice on one connection: the framework's Resync and Mark as Resolved (refused for Xero, with the
pointer to its manual re-sync)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ...models import InvoiceSync
from ...resync import sync_mark_resolved, sync_resync
from ..scoping import ActionThrottle, SupplierScoped
from ..serializers import SyncSerializer


class SyncViewSet(SupplierScoped, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SyncSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = None
    write_permissions = {
        "resync": ("resync an invoice's sync", ["integrations_core.change_invoicesync"]),
        "resolve": ("mark a sync as resolved", ["integrations_core.change_invoicesync"]),
    }

    def get_queryset(self):
        qs = InvoiceSync.objects.select_related("connection", "invoice")
        return qs if self.supplier_id is None else qs.filter(invoice__supplier_id=self.supplier_id)

    def get_throttles(self):
        return [ActionThrottle()] if self.action in ("resync", "resolve") else []

    def _user(self):
        return self.request.user if getattr(self.request.user, "pk", None) else None

    @extend_schema(request=None, responses=SyncSerializer,
                   summary="Resync: push the invoice's current version again (providers that support it)")
    @action(detail=True, methods=["post"])
    def resync(self, request, pk=None):
        return Response(SyncSerializer(sync_resync(sync=self.get_object(), user=self._user())).data)

    @extend_schema(request=None, responses=SyncSerializer,
                   summary="Mark as Resolved: close a failed sync by hand (providers that support it)")
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return Response(SyncSerializer(sync_mark_resolved(sync=self.get_object(), user=self._user())).data)
