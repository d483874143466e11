"""Invoice input limits: every number within its column and every derived amount (a line's quantity x unit price,
the invoice total) within Invoice.total, or a 400 naming the field and nothing written (the lists keep answering);
no control characters in text; the schema says exactly what the server accepts; racing upserts of one storefront
id make one invoice and every racer gets it."""

import datetime as dt
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import jsonschema
import pytest
from django.db import connection

from integrations_core.currencies import ISO_4217
from integrations_core.errors import InvalidInput
from integrations_core.invoices import LineInput, invoice_generate, invoice_update
from integrations_core.models import Customer, Invoice, InvoiceLine, Trigger
from tests.factories import api_key_for, invoice_body as body, make_invoice
from tests.integrations_core.api.conftest import client_with_key

URL = "/api/v1/invoices/external/{}/"
MAX = "99999999.9999"  # the most a quantity or unit price holds (12 digits, 4 places)


def lines(*pairs):
    return [{"description": f"Item {i}", "quantity": q, "unit_price": p} for i, (q, p) in enumerate(pairs)]


def _nothing_written():
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists() and not Trigger.objects.exists()
    assert not Customer.objects.exists()


# --- Amounts that do not fit -------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("pairs, field", [
    ([(MAX, MAX)], "lines[0]"),  # each within its column; the product, 10**16, is not
    ([("1", "1"), ("100000", "10000000")], "lines[1]"),  # 1e12: a cent more than the total holds
    ([("10000", MAX), ("1", "1")], "total"),  # each line fits (999999999999 and 1); together a cent too many
    ([("10000", MAX), ("10000", MAX)], "total"),
    ([("10000", f"-{MAX}"), ("1", "-1")], "total"),  # a negative total has the same limit
    ([("100000000", "1")], "lines[0].quantity"),
    ([("1", "-100000000")], "lines[0].unit_price"),
    ([("1", "1.00001")], "lines[0].unit_price"),
])
def test_amounts_that_do_not_fit_are_400_naming_the_field_and_write_nothing(api, support_api, supplier, netsuite,
                                                                            pairs, field):
    response = api.put(URL.format("big-1"), body(lines=lines(*pairs)), format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid_input"
    assert field in response.json()["field_errors"], response.json()
    _nothing_written()
    assert api.get("/api/v1/invoices/").status_code == 200
    assert support_api.get("/admin/integrations_core/invoice/").status_code == 200


@pytest.mark.django_db
def test_the_largest_total_that_fits_is_stored_and_listed(api, support_api, supplier):
    response = api.put(URL.format("big-2"), body(lines=lines(("10000", MAX), ("1", "0.99"))), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["invoice"]["total"] == "999999999999.99"
    listed = api.get("/api/v1/invoices/")
    assert listed.status_code == 200 and listed.json()["results"][0]["total"] == "999999999999.99"
    assert support_api.get("/admin/integrations_core/invoice/").status_code == 200
    detail = api.get(f"/api/v1/invoices/{response.json()['invoice']['id']}/")
    assert detail.status_code == 200 and detail.json()["lines"][0]["unit_price"] == MAX
    assert detail.json()["lines"][0]["quantity"] == "10000.0000"


@pytest.mark.django_db
def test_an_update_that_would_overflow_changes_nothing(api, supplier):
    assert api.put(URL.format("big-3"), body(), format="json").status_code == 201
    response = api.put(URL.format("big-3"), body(lines=lines((MAX, "20000"))), format="json")
    assert response.status_code == 400 and "lines[0]" in response.json()["field_errors"]
    invoice = Invoice.objects.get(external_id="big-3")
    assert invoice.version == 1 and invoice.total == Decimal("7.50") and invoice.lines.count() == 1


@pytest.mark.django_db
def test_the_service_refuses_them_too_before_writing(supplier):
    """The admin and the management commands go through the service, not the API."""
    args = dict(supplier=supplier, customer="Cafe", number="INV-1", issue_date=dt.date(2026, 11, 1), currency="AUD")
    cases = [
        ([LineInput(description="x", quantity=MAX, unit_price=MAX)], "lines[0]"),
        ([LineInput(description="x", quantity="10000", unit_price=MAX)] * 2, "total"),
        ([LineInput(description="x", quantity="1e30", unit_price="1")], "lines[0].quantity"),
        ([LineInput(description="x", quantity="99999999.99999", unit_price="1")], "lines[0].quantity"),  # rounds up
        ([LineInput(description="x", quantity="1", unit_price="-1e30")], "lines[0].unit_price"),
        ([LineInput(description="x", quantity="1", unit_price="2")] * 1001, "lines"),
    ]
    for given, field in cases:
        with pytest.raises(InvalidInput) as error:
            invoice_generate(lines=given, **args)
        assert field in error.value.field_errors, (given[0], error.value.field_errors)
    _nothing_written()

    invoice = make_invoice(supplier)
    with pytest.raises(InvalidInput) as error:
        invoice_update(invoice=invoice, lines=[LineInput(description="x", quantity=MAX, unit_price=MAX)])
    assert "lines[0]" in error.value.field_errors
    invoice.refresh_from_db()
    assert invoice.version == 1 and invoice.total == Decimal("21.00")


# --- Control characters ------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("char", ["\x00", "\t", "\n", "\r", "\x1b", "\x1f", "\x7f", "\x85"])
@pytest.mark.parametrize("where, field", [
    ({"number": "INV-{}1"}, "number"),
    ({"order_reference": "ORD{}"}, "order_reference"),
    ({"customer": "Cafe{}"}, "customer"),
    ({"lines": [{"description": "Milk{}", "quantity": "1", "unit_price": "2"}]}, "lines[0].description"),
    ({"lines": [{"description": "Milk", "quantity": "1", "unit_price": "2", "account_code": "2{}00"}]},
     "lines[0].account_code"),
])
def test_control_characters_are_400_naming_the_field(api, supplier, char, where, field):
    overrides = {key: (value.format(char) if isinstance(value, str)
                       else [{k: v.format(char) for k, v in value[0].items()}]) for key, value in where.items()}
    response = api.put(URL.format("ctl-1"), body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["field_errors"], response.json()
    _nothing_written()


@pytest.mark.django_db
@pytest.mark.parametrize("fields, field", [
    ({"number": "INV\t1"}, "number"),
    ({"order_reference": "ORD\n1"}, "order_reference"),
    ({"customer": "Cafe\x1b"}, "customer"),
    ({"lines": [LineInput(description="Milk\n2L", quantity="1", unit_price="2")]}, "lines[0].description"),
])
def test_the_service_refuses_control_characters(supplier, fields, field):
    args = dict(supplier=supplier, customer="Cafe", number="INV-1", issue_date=dt.date(2026, 11, 1), currency="AUD",
                lines=[LineInput(description="Milk", quantity="1", unit_price="2")])
    args.update(fields)
    with pytest.raises(InvalidInput) as error:
        invoice_generate(**args)
    assert field in error.value.field_errors
    _nothing_written()


# --- The schema is what the server accepts -----------------------------------------------------------------------

@pytest.fixture
def write_schema(client):
    # Numbers as Decimal, the schema's and the values', so multipleOf is exact arithmetic (as JSON Schema means).
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return json.loads(response.content, parse_float=Decimal)["components"]["schemas"]


def _ecma_pattern(validator, pattern, instance, schema):
    """JSON Schema patterns are ECMA 262 regexes: there `$` is the end of the string, never "before a final
    newline" as in Python's re (which jsonschema uses)."""
    if validator.is_type(instance, "string") and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _ecma_pattern})


def _schema_accepts(schema: dict, value) -> bool:
    # A float is sent as its repr (json.dumps), so that text is the number the schema is asked about.
    return _Validator(schema).is_valid(Decimal(repr(value)) if isinstance(value, float) else value)


def _server_accepts(api, field: str, overrides: dict) -> bool:
    response = api.put(URL.format("schema-1"), body(**overrides), format="json")
    assert response.status_code in (200, 201, 400), response.content
    if response.status_code == 400:
        assert field in response.json()["field_errors"], response.json()
    Invoice.objects.all().delete()
    return response.status_code != 400


QUANTITIES = ["0", "1", "3.5", "0.0001", MAX, "-1", "-0", "+1", " 1", "1 ", "1e3", "1.", ".5", "1.00000",
              "100000000", "0x10", "", "abc", "NaN", "Infinity", 2.5, 3, 0, -1, 1e3, 1e-05, 99999999.9999,
              100000000, True, None, [1]]
PRICES = ["2.50", "-2.50", f"-{MAX}", "-100000000", "--1", "-", -2.5, -99999999.9999, -100000000]


@pytest.mark.django_db
def test_a_negative_quantity_is_outside_the_schema_and_refused(api, write_schema):
    quantity = write_schema["LineWriteRequest"]["properties"]["quantity"]
    assert not _schema_accepts(quantity, "-1") and not _schema_accepts(quantity, -1)
    assert not _server_accepts(api, "lines[0].quantity", {"lines": lines(("-1", "2"))})
    unit_price = write_schema["LineWriteRequest"]["properties"]["unit_price"]
    assert _schema_accepts(unit_price, "-1") and _server_accepts(api, "lines[0].unit_price",
                                                                  {"lines": lines(("1", "-1"))})


@pytest.mark.django_db
@pytest.mark.parametrize("value", QUANTITIES)
def test_schema_and_server_agree_on_quantities(api, write_schema, value):
    schema = write_schema["LineWriteRequest"]["properties"]["quantity"]
    assert _schema_accepts(schema, value) == _server_accepts(api, "lines[0].quantity",
                                                             {"lines": lines((value, "2"))})


@pytest.mark.django_db
@pytest.mark.parametrize("value", PRICES)
def test_schema_and_server_agree_on_unit_prices(api, write_schema, value):
    schema = write_schema["LineWriteRequest"]["properties"]["unit_price"]
    assert _schema_accepts(schema, value) == _server_accepts(api, "lines[0].unit_price",
                                                             {"lines": lines(("1", value))})


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["AUD", "NZD", "USD", "XXQ", "aud", "AU", "AUDD", "A1D", " AUD", 123])
def test_schema_and_server_agree_on_currencies(api, write_schema, value):
    currency = write_schema["InvoiceWriteRequest"]["properties"]["currency"]
    enum = write_schema[currency["allOf"][0]["$ref"].rsplit("/", 1)[-1]]
    assert sorted(enum["enum"]) == sorted(ISO_4217)
    assert _schema_accepts(enum, value) == _server_accepts(api, "currency", {"currency": value})


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["INV-1", " INV-1 ", "Ünïcode №1", "\U0001F95B", "   ", "\u00a0", "\u3000x",
                                   "A\tB", "A\n", "\x85", "", "x" * 64, "x" * 65, 123, None])
def test_schema_and_server_agree_on_text(api, write_schema, value):
    number = write_schema["InvoiceWriteRequest"]["properties"]["number"]
    assert _schema_accepts(number, value) == _server_accepts(api, "number", {"number": value})


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "ORD-1", " ", "A\tB", "x" * 128, "x" * 129])
def test_schema_and_server_agree_on_blankable_text(api, write_schema, value):
    reference = write_schema["InvoiceWriteRequest"]["properties"]["order_reference"]
    assert _schema_accepts(reference, value) == _server_accepts(api, "order_reference", {"order_reference": value})


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2026-11-01", "20261101", "2026-W44-1", "2026-11-1", " 2026-11-01", 20261101])
def test_dates_are_yyyy_mm_dd_only(api, value):
    assert _server_accepts(api, "issue_date", {"issue_date": value}) == (value == "2026-11-01")


@pytest.mark.django_db
def test_the_lines_array_is_bounded_in_the_schema(write_schema):
    array = write_schema["InvoiceWriteRequest"]["properties"]["lines"]
    assert array["minItems"] == 1 and array["maxItems"] == 1000


# --- Racing upserts ----------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_twenty_racing_upserts_of_one_id_make_one_invoice_and_all_get_it(supplier, netsuite):
    if connection.vendor != "postgresql":
        pytest.skip("racing requests need PostgreSQL (the tests' SQLite database is in memory)")
    key = api_key_for(supplier)
    racers = 20
    start = threading.Barrier(racers)

    def put(_):
        try:
            client = client_with_key(key)
            start.wait(timeout=30)
            response = client.put(URL.format("race-1"), body(), format="json")
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(racers) as pool:
        answers = list(pool.map(put, range(racers)))

    statuses = sorted(status for status, _ in answers)
    assert all(status in (200, 201) for status in statuses), answers
    assert statuses.count(201) == 1, statuses
    assert sorted(answer["outcome"] for _, answer in answers) == ["created"] + ["unchanged"] * (racers - 1)
    assert len({answer["invoice"]["id"] for _, answer in answers}) == 1
    invoice = Invoice.objects.get(supplier=supplier, external_id="race-1")
    assert Invoice.objects.filter(supplier=supplier).count() == 1 and invoice.version == 1
    assert answers[0][1]["invoice"]["id"] == invoice.pk
    assert list(Trigger.objects.filter(invoice=invoice).values_list("kind", flat=True)) == ["invoice_generated"]
