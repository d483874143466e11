"""Factories for the tests, in one place. Invoices are made through the service, as the storefront does."""

import datetime as dt
import itertools
from decimal import Decimal

import factory

from integrations_core.invoices import LineInput, invoice_generate
from integrations_core.models import Connection, ConnectionState, Customer, Product, Supplier

_numbers = itertools.count(1)


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Supplier {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    supplier = factory.SubFactory(SupplierFactory)
    name = factory.Sequence(lambda n: f"Venue {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    supplier = factory.SubFactory(SupplierFactory)
    sku = factory.Sequence(lambda n: f"SKU{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    sales_account_code = "200"
    expense_account_code = "310"
    tax_type = ""

    class Params:
        no_gl_account = factory.Trait(expense_account_code="")
        bad_account = factory.Trait(sales_account_code="999")


class ConnectionFactory(factory.django.DjangoModelFactory):
    """A connected stub connection (NetSuite by default)."""

    class Meta:
        model = Connection

    supplier = factory.SubFactory(SupplierFactory)
    provider = "netsuite"
    state = ConnectionState.CONNECTED
    tenant_id = factory.LazyAttribute(lambda c: f"{c.provider}-{c.supplier.pk}")
    tenant_name = factory.LazyAttribute(lambda c: f"{c.supplier.name} ({c.provider})")
    credentials = factory.LazyFunction(lambda: {"api_key": "secret-api-key"})
    connected_at = factory.Faker("date_time_this_year", tzinfo=dt.timezone.utc)

    class Params:
        expired = factory.Trait(state=ConnectionState.EXPIRED, expiry_reason="token revoked")
        disconnected = factory.Trait(state=ConnectionState.DISCONNECTED)


def make_invoice(supplier, *, lines=None, product=None, number=None, currency="AUD", **kwargs):
    """An invoice made through `invoice_generate` (so it fires "invoice generated")."""
    if lines is None:
        product = product or ProductFactory(supplier=supplier)
        lines = [LineInput(description=product.name, quantity=Decimal("2"), unit_price=Decimal("10.50"),
                           product=product)]
    return invoice_generate(
        supplier=supplier,
        customer=kwargs.pop("customer", "The Corner Cafe"),
        number=number or f"INV-{next(_numbers):05d}",
        issue_date=kwargs.pop("issue_date", dt.date(2026, 11, 1)),
        due_date=kwargs.pop("due_date", dt.date(2026, 11, 30)),
        currency=currency,
        lines=lines,
        order_reference=kwargs.pop("order_reference", "ORD-1"),
        **kwargs,
    )


def line(product, quantity="1", unit_price="10", **kwargs) -> LineInput:
    return LineInput(description=kwargs.pop("description", product.name), quantity=quantity, unit_price=unit_price,
                     product=product, **kwargs)


def invoice_body(**overrides) -> dict:
    """A storefront's PUT /api/v1/invoices/external/{id}/ body, with `overrides`."""
    data = {"number": "INV-100", "customer": "The Corner Cafe", "order_reference": "ORD-9",
            "issue_date": "2026-11-01", "due_date": "2026-11-30", "currency": "AUD",
            "lines": [{"description": "Milk 2L", "quantity": "3", "unit_price": "2.50"}]}
    data.update(overrides)
    return data


def api_key_for(supplier) -> str:
    """A new API key of `supplier`, raw (as the storefront holds it)."""
    from integrations_core.api_keys import api_key_create

    return api_key_create(supplier=supplier, name="test")[1]


def support_user(username: str = "support", password: str = "support-pass"):
    """A staff user in the "Support" group (made by migration 0005; again here, as transactional tests flush it)."""
    from django.contrib.auth.models import User

    from integrations_core.support import ensure_support_group

    user = User.objects.create_user(username=username, password=password, is_staff=True)
    user.groups.add(ensure_support_group())
    return user


def missed_while_expired(connection, count: int, product=None) -> list:
    """`count` invoices generated while `connection` was expired, then the connection reconnected: the
    help article's backlog (failed / auth_expired, nothing re-synced by itself)."""
    connection.state, connection.expiry_reason = "expired", "refresh token expired"
    connection.save()
    invoices = [make_invoice(connection.supplier, product=product) for _ in range(count)]
    connection.state = "connected"
    connection.save()
    return invoices


def finished_run(connection, invoices, *, result: str = "created", message: str = ""):
    """A re-sync run of `connection` that is done, with `result` for each of `invoices`."""
    from integrations_core.models import ResyncRun

    run = ResyncRun.objects.create(supplier_id=connection.supplier_id, connection=connection, state="done",
                                   total=len(invoices), done=len(invoices))
    run.items.bulk_create([run.items.model(run=run, invoice=i, number=i.number, result=result, message=message)
                           for i in invoices])
    return run
