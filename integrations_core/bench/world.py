"""A supplier with a connection and a product, ready to push: on a stub provider or the local Xero."""

from __future__ import annotations

import dataclasses
import itertools

from ..models import Connection, Product, Supplier

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
