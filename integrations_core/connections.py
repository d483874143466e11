"""Connection services: connect (start, finish), choose a tenant, disconnect, expire.

Reconnecting reuses the supplier's existing connection to that provider, so its invoice syncs and
their history stay; it restores the connection only and re-syncs nothing by itself.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from . import registry
from .errors import InvalidInput, NotFound, ServiceError
from .hookspecs import ConnectStart, CredentialsForm, RemoteTenant
from .models import Connection, ConnectionState, Supplier
from .sync import connection_expire, record_missed

__all__ = ["connection_abandon", "connection_disconnect", "connection_expire", "connection_finish", "connection_start"]


def _connection_for(supplier: Supplier, provider: str) -> Connection:
    registry.provider(provider)
    existing = Connection.objects.filter(supplier=supplier, provider=provider).order_by("-updated_at").first()
    return existing or Connection(supplier=supplier, provider=provider, state=ConnectionState.DISCONNECTED)


def connection_start(*, supplier: Supplier, provider: str, redirect_uri: str) -> ConnectStart | CredentialsForm:
    """Begin linking the supplier's account: the URL to send them to, and the values to keep in their
    session until the callback; or, for a provider that takes typed-in credentials, the form to ask for them
    (then `connection_finish` with what was typed as `callback_params`).

    :raises UnknownProvider: no plugin for `provider`.
    """
    connection = _connection_for(supplier, provider)
    start = registry.hook().connect(connection=connection, redirect_uri=redirect_uri, callback_params=None,
                                    session={})
    if not isinstance(start, (ConnectStart, CredentialsForm)):
        raise ServiceError(f"The {provider} plugin cannot start a connection.", code="connect_unsupported")
    return start


def connection_finish(
    *,
    supplier: Supplier,
    provider: str,
    redirect_uri: str,
    callback_params: dict[str, str],
    session: dict,
    tenant_id: str | None = None,
) -> tuple[Connection, list[RemoteTenant]]:
    """Finish linking from the provider's callback: credentials stored (encrypted), tenant chosen,
    connection `connected`. With several tenants and none chosen, the connection is saved with the
    credentials but stays unconnected: call `connection_choose_tenant`.

    :return: (connection, the tenants the supplier may choose from).
    :raises ServiceError: the callback is invalid (state mismatch, access denied, bad code).
    """
    connection = _connection_for(supplier, provider)
    tenants = registry.hook().connect(connection=connection, redirect_uri=redirect_uri,
                                      callback_params=callback_params, session=session)
    if tenants is None:
        raise ServiceError(f"The {provider} plugin did not finish the connection.", code="connect_failed")
    chosen = _pick(tenants, tenant_id or (connection.tenant_id if len(tenants) == 1 else None))
    with transaction.atomic():
        if chosen is None:
            connection.save()
            return connection, tenants
        _mark_connected(connection, chosen)
    return connection, tenants


def connection_choose_tenant(*, connection: Connection, tenant_id: str, tenants: list[RemoteTenant]) -> Connection:
    """Pick the organisation for a connection whose authorisation gave several.

    :raises InvalidInput: the tenant is not one of those authorised.
    """
    chosen = _pick(tenants, tenant_id)
    if chosen is None:
        raise InvalidInput("Choose one of the authorised organisations.",
                           field_errors={"tenant_id": ["Not one of the authorised organisations."]})
    with transaction.atomic():
        _mark_connected(connection, chosen)
    return connection


def _pick(tenants: list[RemoteTenant], tenant_id: str | None) -> RemoteTenant | None:
    if tenant_id is None:
        return None
    for tenant in tenants:
        if tenant.id == tenant_id:
            return tenant
    raise InvalidInput("That organisation was not authorised.",
                       field_errors={"tenant_id": ["Not one of the authorised organisations."]})


def _mark_connected(connection: Connection, tenant: RemoteTenant) -> None:
    # The one-connected-per-provider constraint: a reconnect reuses this row, never adds a second.
    Connection.objects.filter(supplier_id=connection.supplier_id, provider=connection.provider,
                              state=ConnectionState.CONNECTED).exclude(pk=connection.pk).update(
        state=ConnectionState.DISCONNECTED, disconnected_at=timezone.now())
    connection.tenant_id, connection.tenant_name = tenant.id, tenant.name
    connection.state = ConnectionState.CONNECTED
    connection.connected_at = timezone.now()
    connection.expired_at = None
    connection.expiry_reason = ""
    connection.disconnected_at = None
    connection.save()


def connection_abandon(*, supplier: Supplier, provider: str) -> None:
    """A connect that did not finish: a connection it left unconnected keeps no credentials."""
    for connection in Connection.objects.filter(supplier=supplier, provider=provider).exclude(
            state=ConnectionState.CONNECTED):
        if connection.credentials:
            connection.credentials = {}
            connection.save(update_fields=["credentials", "updated_at"])


def connection_disconnect(*, connection_id: int, supplier: Supplier | None = None) -> Connection:
    """Disconnect: the plugin revokes what it can at the provider; credentials are dropped here.

    :raises NotFound: no such connection (for this supplier).
    """
    qs = Connection.objects.all() if supplier is None else Connection.objects.filter(supplier=supplier)
    connection = qs.filter(pk=connection_id).first()
    if connection is None:
        raise NotFound(f"No connection {connection_id}.")
    try:
        registry.hook().disconnect(connection=connection)
    except Exception:  # the remote may already be gone; disconnecting here must still succeed
        logging.getLogger(__name__).exception("disconnect at %s failed", connection.provider)
    connection.credentials = {}
    connection.state = ConnectionState.DISCONNECTED
    connection.disconnected_at = timezone.now()
    connection.save()
    record_missed(connection=connection)  # what was waiting to be pushed is its backlog when it is back
    return connection
