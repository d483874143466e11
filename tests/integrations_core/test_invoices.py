"""Bad input to the services gets a clear error and writes nothing."""

import datetime as dt

import pytest

from integrations_core.errors import InvalidInput, NoConnection, NotFound
from integrations_core.invoices import LineInput, invoice_generate, invoice_update
from integrations_core.models import Invoice, InvoiceSync, Trigger
from integrations_core.triggers import trigger_fire
from tests.factories import ProductFactory, SupplierFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def _generate(supplier, **overrides):
    product = ProductFactory(supplier=supplier)
    args = dict(supplier=supplier, customer="Cafe", number="INV-1", issue_date=dt.date(2026, 11, 1),
                currency="AUD", lines=[line(product)])
    args.update(overrides)
    return invoice_generate(**args)


def _nothing_written():
    assert Invoice.objects.count() == 0 and Trigger.objects.count() == 0 and InvoiceSync.objects.count() == 0


def test_trigger_for_an_unknown_invoice_is_not_found(netsuite):
    with pytest.raises(NotFound, match="No invoice 999999"):
        trigger_fire(invoice_id=999999, kind="order_updated")
    assert Trigger.objects.count() == 0


def test_invoice_with_a_negative_quantity_is_refused(supplier, netsuite):
    product = ProductFactory(supplier=supplier)
    with pytest.raises(InvalidInput) as error:
        _generate(supplier, lines=[LineInput(description="x", quantity="-1", unit_price="5", product=product)])
    assert error.value.field_errors == {"lines[0].quantity": ["Quantity cannot be negative."]}
    _nothing_written()


@pytest.mark.parametrize("currency", ["XXY", "aud", "", "DOLLARS"])
def test_invoice_with_a_currency_that_is_not_iso_4217_is_refused(supplier, netsuite, currency):
    with pytest.raises(InvalidInput) as error:
        _generate(supplier, currency=currency)
    assert "ISO 4217" in error.value.field_errors["currency"][0]
    _nothing_written()


def test_invoice_with_no_lines_is_refused(supplier, netsuite):
    with pytest.raises(InvalidInput) as error:
        _generate(supplier, lines=[])
    assert "lines" in error.value.field_errors
    _nothing_written()


def test_invoice_with_a_quantity_that_is_not_a_number_is_refused(supplier, netsuite):
    product = ProductFactory(supplier=supplier)
    with pytest.raises(InvalidInput) as error:
        _generate(supplier, lines=[LineInput(description="x", quantity="lots", unit_price="5", product=product)])
    assert "lines[0].quantity" in error.value.field_errors
    _nothing_written()


def test_trigger_for_a_supplier_with_no_connection_is_refused():
    supplier = SupplierFactory()
    invoice = make_invoice(supplier)  # generating is fine: there is simply nothing to sync
    assert Trigger.objects.count() == 0

    with pytest.raises(NoConnection, match="no accounting connection"):
        trigger_fire(invoice_id=invoice.pk, kind="order_updated")
    assert Trigger.objects.count() == 0 and InvoiceSync.objects.count() == 0


def test_update_with_bad_input_changes_nothing(supplier, netsuite):
    invoice = make_invoice(supplier)
    with pytest.raises(InvalidInput):
        invoice_update(invoice=invoice, currency="ZZZ")
    invoice.refresh_from_db()
    assert invoice.currency == "AUD" and invoice.version == 1
    assert Trigger.objects.count() == 1


def test_duplicate_invoice_number_is_refused(supplier, netsuite):
    make_invoice(supplier, number="INV-7")
    with pytest.raises(InvalidInput) as error:
        make_invoice(supplier, number="INV-7")
    assert "number" in error.value.field_errors
    assert Invoice.objects.count() == 1
