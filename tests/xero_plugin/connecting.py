"""A connected Xero connection on the local Xero, without the browser (the connect flow has its own tests)."""

from integrations_core.models import Connection, ConnectionState
from xero_plugin.sandbox import TENANT_NZ
from xero_plugin.tokens import SCOPES, store_token


def xero_connection(sandbox, supplier, tenant_id=TENANT_NZ, **settings) -> Connection:
    connection = Connection(supplier=supplier, provider="xero", state=ConnectionState.CONNECTED,
                            tenant_id=tenant_id, tenant_name="Demo Company (NZ)", settings=settings)
    store_token(connection, sandbox.control.issue_tokens([tenant_id], scopes=SCOPES))  # what the supplier consents to
    connection.save()
    return connection
