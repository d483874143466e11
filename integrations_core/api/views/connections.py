"""Connections: list, detail, connect (an authorize link), disconnect, backlog, starting a re-sync, and the
integration settings (read and changed through the engine's `connection_settings` service)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from django.urls import reverse

from ... import registry
from ...connect_views import connect_ticket
from ...connection_settings import SettingsView, connection_settings, connection_settings_update
from ...connections import connection_disconnect
from ...models import Connection
from ...runs import resync_run_start
from ...selectors import connection_backlog, connections_for, invoices_for
from ..filters import ConnectionFilter
from ..pagination import NewestFirst
from ..scoping import ActionThrottle, SupplierScoped
from ..permissions import supplier_of
from ..serializers import (ConnectionSerializer, ConnectionSettingsSerializer, ConnectStartResultSerializer,
                           ConnectStartSerializer, ErrorSerializer, InvoiceSerializer, ResyncRequestSerializer,
                           ResyncRunSerializer, SettingsChangeSerializer, SettingsUpdateSerializer)


class BacklogPage(NewestFirst):
    ordering = ("issue_date", "id")


HISTORY = 20  # the changes a settings answer lists, newest first
UNAVAILABLE = OpenApiResponse(ErrorSerializer, description="The provider could not be read for the settings' "
                                                           "choices (code settings_unavailable): try again later.")


def _choices(pairs) -> list[dict] | None:
    return None if pairs is None else [{"value": value, "label": label} for value, label in pairs]


def settings_body(connection: Connection, view: SettingsView) -> dict:
    """The settings answer: the values in force, the fields with their choices, the latest changes."""
    fields = [{"key": f.key, "label": f.label, "help": f.help, "choices": _choices(f.choices), "mapping": f.mapping,
               "key_choices": _choices(f.key_choices), "default": f.default} for f in view.fields]
    changes = SettingsChangeSerializer(connection.settings_changes.all()[:HISTORY], many=True).data
    return ConnectionSettingsSerializer({"values": view.values, "fields": fields, "changes": changes}).data


def changed_by(request) -> str:
    """Who a settings change is kept under: the storefront's API key, or the staff user."""
    if supplier_of(request.user) is not None:
        key = request.user.api_key
        return f"API key {key.prefix}" + (f" ({key.name})" if key.name else "")
    return request.user.get_username()


class ConnectionViewSet(SupplierScoped, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ConnectionSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = ConnectionFilter
    write_permissions = {
        "create": ("connect a supplier's provider", ["integrations_core.add_connection"]),
        "disconnect": ("disconnect a connection", ["integrations_core.change_connection"]),
        "resync": ("start a re-sync run", ["integrations_core.add_resyncrun"]),
        "settings_update": ("change a connection's settings", ["integrations_core.change_settings_connection"]),
    }

    def get_queryset(self):
        return connections_for(supplier_id=self.supplier_id)

    def get_throttles(self):
        return [ActionThrottle()] if self.action in ("create", "disconnect", "resync", "settings_update") else []

    @extend_schema(request=ConnectStartSerializer, responses={201: ConnectStartResultSerializer},
                   examples=[OpenApiExample("Connect NetSuite", request_only=True, value={"provider": "netsuite"})],
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
    @action(detail=True, methods=["get"], pagination_class=BacklogPage, filterset_class=None)
    def backlog(self, request, pk=None):
        connection = self.get_object()
        ids = connection_backlog(connection=connection).values("invoice_id")
        page = self.paginate_queryset(invoices_for(supplier_id=connection.supplier_id).filter(pk__in=ids))
        return self.get_paginated_response(InvoiceSerializer(page, many=True).data)

    @extend_schema(request=ResyncRequestSerializer,
                   examples=[OpenApiExample("The backlog", request_only=True, value={"backlog": True}),
                             OpenApiExample("Chosen invoices", request_only=True, value={"numbers": ["INV-1001"]})],
                   responses={202: OpenApiResponse(ResyncRunSerializer, description="Started; poll the run.")},
                   summary="Re-sync chosen invoices, a date window or the backlog, in a background job "
                           "(one running per supplier)")
    @action(detail=True, methods=["post"], filterset_class=None)
    def resync(self, request, pk=None):
        connection = self.get_object()
        data = ResyncRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = resync_run_start(connection=connection, requested_by=request.user, **data.validated_data)
        return Response(ResyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ConnectionSettingsSerializer, 503: UNAVAILABLE},
                   summary="The connection's integration settings: values, fields with the organisation's choices, "
                           "and the latest changes")
    @action(detail=True, methods=["get"], url_path="settings", url_name="settings", filterset_class=None)
    def settings_read(self, request, pk=None):
        connection = self.get_object()
        return Response(settings_body(connection, connection_settings(connection=connection)))

    @extend_schema(request=SettingsUpdateSerializer, responses={200: ConnectionSettingsSerializer, 503: UNAVAILABLE},
                   summary="Change some of the connection's settings (all or nothing; each change kept with who "
                           "made it)")
    @settings_read.mapping.patch
    def settings_update(self, request, pk=None):
        connection = self.get_object()
        data = SettingsUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        view = connection_settings_update(connection=connection, changes=data.validated_data["settings"],
                                          changed_by=changed_by(request))
        return Response(settings_body(connection, view))
