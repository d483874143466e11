"""The contract suite's own test data: suppliers, customers, products, connections and invoices, made with the
models and (invoices) through `integrations_core.invoices`, as the storefront makes them. Names and numbers
are unique per process, so a remote that outlives a test (a local server) never sees one twice."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

from django.utils import timezone

from integrations_core.invoices import LineInput, invoice_generate
from integrations_core.models import Connection, ConnectionState, Customer, Product, Supplier

_counter = itertools.count(1)
_run = uuid.uuid4().hex[:6].upper()


def _next() -> str:
    return f"{_run}{next(_counter):04d}"


def supplier(**fields) -> Supplier:
    return Supplier.objects.create(**{"name": f"Contract supplier {_next()}", **fields})


def customer(supplier: Supplier, **fields) -> Customer:
    return Customer.objects.create(**{"supplier": supplier, "name": f"Contract venue {_next()}", **fields})


def product(supplier: Supplier, **fields) -> Product:
    """A product with the usual account codes: sales 200, expense 310, no tax type of its own."""
    n = _next()
    return Product.objects.create(**{"supplier": supplier, "sku": f"SKU{n}", "name": f"Product {n}",
                                     "sales_account_code": "200", "expense_account_code": "310", "tax_type": "",
                                     **fields})


def connection(supplier: Supplier, provider: str, **fields) -> Connection:
    """A connected connection of `provider` (for remotes that need no sign-in of their own)."""
    return Connection.objects.create(**{
        "supplier": supplier, "provider": provider, "state": ConnectionState.CONNECTED,
        "tenant_id": f"{provider}-{supplier.pk}", "tenant_name": f"{supplier.name} ({provider})",
        "credentials": {"api_key": "contract-api-key"}, "connected_at": timezone.now(), **fields})


def line(product: Product, quantity="1", unit_price="10", **fields) -> LineInput:
    return LineInput(description=fields.pop("description", product.name), quantity=Decimal(str(quantity)),
                     unit_price=Decimal(str(unit_price)), product=product, **fields)


def invoice(supplier: Supplier, *, lines: list[LineInput] | None = None, number: str | None = None, **fields):
    """An invoice made through `invoice_generate` (so it fires "invoice generated" for the connections)."""
    if lines is None:
        lines = [line(product(supplier), quantity="2", unit_price="10.50")]
    return invoice_generate(**{
        "supplier": supplier, "customer": "The Corner Cafe", "number": number or f"CT-{_next()}",
        "issue_date": dt.date(2026, 11, 1), "due_date": dt.date(2026, 11, 30), "currency": "AUD",
        "lines": lines, "order_reference": "ORD-1", **fields})
