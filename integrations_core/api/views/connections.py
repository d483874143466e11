"""Connections: list, detail, connect (an authorize link), disconnect, backlog, and starting a re-sync."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from django.urls import reverse

from ... import registry
from ...connect_views import connect_ticket
from ...connections import connection_disconnect
from ...models import Connection
from ...runs import resync_run_start
from ...selectors import connection_backlog, connections_for, invoices_for
from ..pagination import NewestFirst
from ..scoping import ActionThrottle, SupplierScoped
from ..serializers import (ConnectionSerializer, ConnectStartResultSerializer, ConnectStartSerializer,
                           InvoiceSerializer, ResyncRequestSerializer, ResyncRunSerializer)


class BacklogPage(NewestFirst):
    ordering = ("issue_date", "id")


class ConnectionViewSet(SupplierScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ConnectionSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_fields = ["provider", "state"]
    write_permissions = {
        "create": ("connect a supplier's provider", ["integrations_core.add_connection"]),
        "disconnect": ("disconnect a connection", ["integrations_core.change_connection"]),
        "resync": ("start a re-sync run", ["integrations_core.add_resyncrun"]),
    }

    def get_queryset(self):
        return connections_for(supplier_id=self.supplier_id)

    def get_throttles(self):
        return [ActionThrottle()] if self.action in ("create", "disconnect", "resync") else []

    @extend_schema(request=ConnectStartSerializer, responses={201: ConnectStartResultSerializer},
                   summary="Start connecting a provider: returns the link to send the supplier's browser to")
    def create(self, request):
        data = ConnectStartSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        supplier = self.acting_supplier(data.validated_data.get("supplier"))
        provider = data.validated_data["provider"]
        registry.provider(provider)  # UnknownProvider -> 400 with the known keys
        ticket = connect_ticket(supplier=supplier, provider=provider,
                                return_url=data.validated_data.get("return_url", ""))
        connection = self.get_queryset().filter(supplier=supplier, provider=provider).order_by("-updated_at").first()
        if connection is None:  # the row the callback completes; until then it shows as disconnected
            connection = Connection.objects.create(supplier=supplier, provider=provider, state="disconnected")
            connection.backlog_count = 0
        url = request.build_absolute_uri(reverse("connect-start", args=[ticket]))
        body = {"connection": connection, "authorize_url": url}
        return Response(ConnectStartResultSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ConnectionSerializer, summary="Disconnect (tokens revoked at the provider)")
    @action(detail=True, methods=["post"])
    def disconnect(self, request, pk=None):
        connection = self.get_object()
        connection_disconnect(connection_id=connection.pk, supplier=connection.supplier)
        return Response(ConnectionSerializer(self.get_queryset().get(pk=connection.pk)).data)

    @extend_schema(responses=InvoiceSerializer(many=True),
                   summary="The backlog: invoices that missed the sync (e.g. while expired) and need a re-sync")
    @action(detail=True, methods=["get"], pagination_class=BacklogPage, filterset_fields=[])
    def backlog(self, request, pk=None):
        connection = self.get_object()
        ids = connection_backlog(connection=connection).values("invoice_id")
        page = self.paginate_queryset(invoices_for(supplier_id=connection.supplier_id).filter(pk__in=ids))
        return self.get_paginated_response(InvoiceSerializer(page, many=True).data)

    @extend_schema(request=ResyncRequestSerializer,
                   responses={202: OpenApiResponse(ResyncRunSerializer, description="Started; poll the run.")},
                   summary="Re-sync chosen invoices, a date window or the backlog, in a background job "
                           "(one running per supplier)")
    @action(detail=True, methods=["post"], filterset_fields=[])
    def resync(self, request, pk=None):
        connection = self.get_object()
        data = ResyncRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = resync_run_start(connection=connection, requested_by=request.user, **data.validated_data)
        return Response(ResyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
