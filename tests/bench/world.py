"""A supplier with a connection and a product, ready to push: on a stub provider or the local Xero."""

from __future__ import annotations

import dataclasses
import itertools

from integrations_core.models import Connection, Product, Supplier

_suppliers = itertools.count(1)


@dataclasses.dataclass
class World:
    supplier: Supplier
    connection: Connection
    product: Product


def stub_world(provider: str = "netsuite") -> World:
    supplier = Supplier.objects.create(name=f"Bench supplier {next(_suppliers)}")
    connection = Connection.objects.create(supplier=supplier, provider=provider, state="connected",
                                           tenant_id=f"{provider}-bench", credentials={"api_key": "bench"})
    product = Product.objects.create(supplier=supplier, sku="BENCH", name="Bench item", sales_account_code="200",
                                     expense_account_code="310")
    return World(supplier, connection, product)


def xero_env(sandbox) -> dict:
    """Settings (as environment variables) that point the app at a local Xero."""
    return {"XERO_CLIENT_ID": sandbox.client_id, "XERO_CLIENT_SECRET": sandbox.client_secret,
            "XERO_AUTHORIZE_URL": sandbox.authorize_url, "XERO_TOKEN_URL": sandbox.token_url,
            "XERO_REVOCATION_URL": sandbox.revocation_url, "XERO_IDENTITY_URL": sandbox.identity_url,
            "XERO_ACCOUNTING_URL": sandbox.accounting_url, "XERO_WEBHOOK_KEY": sandbox.webhook_key}


def xero_world(sandbox, tenant_id: str) -> World:
    """A supplier connected to `tenant_id` on the local Xero, with a product whose codes Xero accepts."""
    from xero_plugin.tokens import store_token

    supplier = Supplier.objects.create(name=f"Bench supplier {next(_suppliers)}")
    connection = Connection(supplier=supplier, provider="xero", state="connected", tenant_id=tenant_id,
                            tenant_name="bench")
    store_token(connection, sandbox.control.issue_tokens([tenant_id]))
    connection.save()
    product = Product.objects.create(supplier=supplier, sku="BENCH", name="Bench item", sales_account_code="200",
                                     expense_account_code="310", tax_type="OUTPUT2")
    return World(supplier, connection, product)
