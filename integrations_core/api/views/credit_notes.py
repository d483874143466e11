"""Credit notes: the ones proposed for the supplier's paid invoices, and their approval (a job then makes each in
its accounting system, once, allocated to the invoice)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ...credit_notes import credit_note_approve
from ...models import CreditNote
from ..pagination import NewestFirst
from ..scoping import ActionThrottle, SupplierScoped
from ..serializers import CreditNoteSerializer
from .connections import changed_by


class CreditNoteViewSet(SupplierScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CreditNoteSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = None
    pagination_class = NewestFirst
    write_permissions = {"approve": ("approve credit notes", ["integrations_core.change_creditnote"])}

    def get_queryset(self):
        qs = CreditNote.objects.select_related("invoice", "connection").defer("connection__credentials")
        return qs if self.supplier_id is None else qs.filter(invoice__supplier_id=self.supplier_id)

    def get_throttles(self):
        return [ActionThrottle()] if self.action == "approve" else []

    @extend_schema(request=None, responses=CreditNoteSerializer,
                   summary="Approve a proposed credit note: it is made in the accounting system and allocated to "
                           "its invoice")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        note = credit_note_approve(credit_note=self.get_object(), approved_by=changed_by(request))
        return Response(CreditNoteSerializer(note).data)
