"""Invoices: upsert by the storefront's id, list with filters, detail, mark paid, cancel, diagnosis."""

from __future__ import annotations

import dataclasses
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from ...diagnosis import invoice_diagnose
from ...errors import InvalidInput
from ...credit_notes import credit_note_refund
from ...invoices import (PDF_MAX_BYTES, LineInput, invoice_attach_pdf, invoice_cancel, invoice_mark_paid,
                         invoice_record_payment, invoice_upsert)
from ...models import Invoice, Product, Supplier
from ...selectors import invoices_for
from ..filters import InvoiceFilter
from ..listing import invoice_page, invoice_rows
from ..pagination import NewestFirst
from ..scoping import SupplierScoped
from ..serializers import (CreditNoteSerializer, DiagnosisSerializer, InvoiceActionResultSerializer,
                           InvoiceDetailSerializer, InvoiceSerializer, InvoiceUpsertResultSerializer,
                           InvoiceWriteSerializer, MarkPaidSerializer, PaymentResultSerializer,
                           PaymentSerializer, PaymentWriteSerializer, RefundSerializer)

EXTERNAL_ID = re.compile(r"[A-Za-z0-9._:@-]{1,64}")


def _lines(supplier: Supplier, lines: list[dict]) -> list[LineInput]:
    skus = {line["product_sku"] for line in lines if line.get("product_sku")}
    products = {p.sku: p for p in Product.objects.filter(supplier=supplier, sku__in=skus)}
    errors = {f"lines[{i}].product_sku": [f"No product with item code {line['product_sku']!r}."]
              for i, line in enumerate(lines) if line.get("product_sku") and line["product_sku"] not in products}
    if errors:
        raise InvalidInput("The invoice lines are not valid.", field_errors=errors)
    return [LineInput(description=line["description"], quantity=line["quantity"], unit_price=line["unit_price"],
                      product=products.get(line.get("product_sku") or ""), account_code=line.get("account_code", ""),
                      tax_type=line.get("tax_type", ""), kind=line.get("kind") or "product") for line in lines]


class PdfParser(BaseParser):
    """The storefront's invoice PDF, sent as the raw request body."""

    media_type = "application/pdf"

    def parse(self, stream, media_type=None, parser_context=None):
        content = stream.read(PDF_MAX_BYTES + 1) if stream is not None else b""
        if len(content) > PDF_MAX_BYTES:
            raise InvalidInput("The PDF is too large.", field_errors={"file": ["At most 10 MB."]})
        return content


class InvoiceViewSet(SupplierScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = InvoiceFilter
    pagination_class = NewestFirst
    write_permissions = {
        "upsert": ("create or update invoices", ["integrations_core.add_invoice", "integrations_core.change_invoice"]),
        "mark_paid": ("mark invoices paid", ["integrations_core.change_invoice"]),
        "cancel": ("cancel invoices", ["integrations_core.change_invoice"]),
        "payments": ("record payments", ["integrations_core.change_invoice"]),
        "pdf": ("attach invoice PDFs", ["integrations_core.change_invoice"]),
        "refund": ("refund invoices", ["integrations_core.add_creditnote"]),
    }

    def get_queryset(self):
        return invoices_for(supplier_id=self.supplier_id, detail=self.action != "list")

    def get_serializer_class(self):
        return InvoiceSerializer if self.action == "list" else InvoiceDetailSerializer

    def list(self, request, *args, **kwargs):
        scoped = Invoice.objects.all() if self.supplier_id is None else Invoice.objects.filter(
            supplier_id=self.supplier_id)
        page = self.paginate_queryset(invoice_rows(self.filter_queryset(scoped)))
        return self.get_paginated_response(invoice_page(page))

    def _detail(self, invoice: Invoice) -> dict:
        return InvoiceDetailSerializer(invoices_for(supplier_id=None, detail=True).get(pk=invoice.pk)).data

    @extend_schema(
        request=InvoiceWriteSerializer,
        responses={200: InvoiceUpsertResultSerializer, 201: InvoiceUpsertResultSerializer},
        examples=[OpenApiExample("An order's invoice", request_only=True, value={
            "number": "INV-1001", "customer": "The Corner Cafe", "order_reference": "ORD-1001",
            "issue_date": "2026-11-01", "due_date": "2026-11-30", "currency": "AUD",
            "lines": [{"description": "Milk 2L", "quantity": "3", "unit_price": "2.50"}]})],
        parameters=[OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     pattern=f"^{EXTERNAL_ID.pattern}$",
                                     description="The storefront's own invoice id.")],
        summary="Create or update an invoice by the storefront's id (created = invoice generated; a content "
                "change = order updated; no change = nothing)")
    @action(detail=False, methods=["put"], url_path=r"external/(?P<external_id>[^/]+)", filterset_class=None)
    def upsert(self, request, external_id: str):
        if not EXTERNAL_ID.fullmatch(external_id):
            raise InvalidInput("Not a valid storefront id.", field_errors={
                "external_id": ["Use 1-64 letters, digits and . _ : @ -"]})
        data = InvoiceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        supplier = self.acting_supplier(fields.pop("supplier", None))
        lines = _lines(supplier, fields.pop("lines"))
        # One read-then-write under the supplier's lock: racing requests with this id make one invoice.
        invoice, outcome = invoice_upsert(supplier=supplier, external_id=external_id, lines=lines, **fields)
        return Response({"outcome": outcome, "invoice": self._detail(invoice)},
                        status=status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK)

    @extend_schema(request=MarkPaidSerializer, responses=InvoiceActionResultSerializer,
                   summary="Mark the order as paid (fires 'order marked as paid')")
    @action(detail=True, methods=["post"], url_path="mark-paid", filterset_class=None)
    def mark_paid(self, request, pk=None):
        invoice = self.get_object()
        data = MarkPaidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice, changed = invoice_mark_paid(invoice=invoice, paid_at=data.validated_data.get("paid_at"))
        return Response({"changed": changed, "invoice": self._detail(invoice)})

    @extend_schema(request=PaymentWriteSerializer, responses={200: PaymentResultSerializer, 201: PaymentResultSerializer},
                   summary="Record one part of the order's payment (fires 'order marked as paid')")
    @action(detail=True, methods=["post"], filterset_class=None)
    def payments(self, request, pk=None):
        invoice = self.get_object()
        data = PaymentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment, created = invoice_record_payment(invoice=invoice, external_id=data.validated_data["id"],
                                                  amount=data.validated_data["amount"],
                                                  paid_on=data.validated_data["paid_on"])
        body = {"created": created, "payment": PaymentSerializer(payment).data, "invoice": self._detail(invoice)}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request={"application/pdf": {"type": "string", "format": "binary"}},
                   responses=InvoiceActionResultSerializer,
                   summary="Attach the storefront's PDF of the invoice (sent to the accounting system once per "
                           "version)")
    @action(detail=True, methods=["put"], parser_classes=[PdfParser], filterset_class=None)
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        content = request.data if isinstance(request.data, (bytes, bytearray)) else b""
        _, changed = invoice_attach_pdf(invoice=invoice, content=bytes(content))
        return Response({"changed": changed, "invoice": self._detail(invoice)})

    @extend_schema(request=RefundSerializer, responses=CreditNoteSerializer(many=True),
                   summary="Refund a paid order: proposes a credit note for each accounting system it reached")
    @action(detail=True, methods=["post"], filterset_class=None, pagination_class=None)
    def refund(self, request, pk=None):
        invoice = self.get_object()
        data = RefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        notes = credit_note_refund(invoice=invoice, amount=data.validated_data["amount"],
                                   reason=data.validated_data["reason"])
        return Response(CreditNoteSerializer(notes, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvoiceActionResultSerializer,
                   summary="Cancel the order: the invoice is voided here and in the accounting system")
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        invoice, changed = invoice_cancel(invoice=self.get_object())
        return Response({"changed": changed, "invoice": self._detail(invoice)})

    @extend_schema(responses=DiagnosisSerializer,
                   summary="Run the troubleshooting checklist for this invoice: each finding with its fix")
    @action(detail=True, methods=["get"], filterset_class=None)
    def diagnosis(self, request, pk=None):
        invoice = self.get_object()
        connections = invoice_diagnose(invoice=invoice)
        body = {"invoice_id": invoice.pk, "ok": all(c.ok for c in connections),
                "connections": [{**dataclasses.asdict(c), "ok": c.ok} for c in connections]}
        return Response(DiagnosisSerializer(body).data)
