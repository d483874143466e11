"""The invoice endpoints: upsert by the storefront's id, list with filters and cursor pages, detail, mark paid,
cancel, diagnosis; bad input is a 400 with field errors and writes nothing."""

import datetime as dt

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations_core.models import Invoice, SyncState, Trigger
from tests.factories import ConnectionFactory, ProductFactory, invoice_body as body, make_invoice

pytestmark = pytest.mark.django_db


def test_upsert_creates_then_updates_then_changes_nothing(api, supplier, netsuite):
    created = api.put("/api/v1/invoices/external/ord-1/", body(), format="json")
    assert created.status_code == 201
    assert created.json()["outcome"] == "created"
    invoice = Invoice.objects.get(supplier=supplier, external_id="ord-1")
    assert invoice.total == 7.5 and invoice.version == 1
    assert list(Trigger.objects.filter(invoice=invoice).values_list("kind", flat=True)) == ["invoice_generated"]

    changed = api.put("/api/v1/invoices/external/ord-1/", body(lines=[
        {"description": "Milk 2L", "quantity": "4", "unit_price": "2.50"}]), format="json")
    assert changed.status_code == 200 and changed.json()["outcome"] == "updated"
    assert changed.json()["invoice"]["version"] == 2 and changed.json()["invoice"]["total"] == "10.00"

    same = api.put("/api/v1/invoices/external/ord-1/", body(lines=[
        {"description": "Milk 2L", "quantity": "4", "unit_price": "2.50"}]), format="json")
    assert same.json()["outcome"] == "unchanged" and same.json()["invoice"]["version"] == 2
    assert Trigger.objects.filter(invoice=invoice).count() == 2
    assert Invoice.objects.filter(supplier=supplier).count() == 1


def test_upsert_uses_the_product_codes_by_item_code(api, supplier):
    product = ProductFactory(supplier=supplier, sku="MILK2")
    response = api.put("/api/v1/invoices/external/ord-2/", body(lines=[
        {"description": "Milk", "quantity": "1", "unit_price": "2", "product_sku": "MILK2"}]), format="json")
    assert response.status_code == 201
    assert response.json()["invoice"]["lines"][0]["product_sku"] == product.sku


@pytest.mark.parametrize("overrides, field", [
    ({"currency": "XXQ"}, "currency"),
    ({"lines": []}, "lines"),
    ({"lines": [{"description": "Milk", "quantity": "-1", "unit_price": "2"}]}, "lines[0].quantity"),
    ({"lines": [{"description": "Milk", "quantity": "abc", "unit_price": "2"}]}, "lines[0].quantity"),
    ({"lines": [{"description": "Milk", "quantity": "1", "unit_price": "2", "product_sku": "NOPE"}]},
     "lines[0].product_sku"),
    ({"issue_date": "2026-13-45"}, "issue_date"),
    ({"due_date": "2026-10-01"}, "due_date"),
    ({"number": ""}, "number"),
    ({"line_amount_type": "Gross"}, "line_amount_type"),
])
def test_upsert_bad_input_is_400_with_field_errors_and_writes_nothing(api, supplier, overrides, field):
    response = api.put("/api/v1/invoices/external/ord-3/", body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid_input"
    assert field in response.json()["field_errors"], response.json()
    assert not Invoice.objects.filter(supplier=supplier).exists()


def test_upsert_bad_storefront_id_or_body_is_400(api, supplier):
    assert api.put("/api/v1/invoices/external/a%20b/", body(), format="json").status_code == 400
    malformed = api.generic("PUT", "/api/v1/invoices/external/ord-4/", "{not json", content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_request"
    form = api.put("/api/v1/invoices/external/ord-4/", "number=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert not Invoice.objects.filter(supplier=supplier).exists()


def test_upsert_of_a_duplicate_number_is_400(api, supplier):
    make_invoice(supplier, number="INV-100")
    response = api.put("/api/v1/invoices/external/ord-5/", body(), format="json")
    assert response.status_code == 400 and "number" in response.json()["field_errors"]


def test_list_filters_by_sync_state_provider_error_category_dates_and_number(api, supplier, netsuite):
    xero = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    failed_xero = make_invoice(supplier, number="A-1", issue_date=dt.date(2026, 10, 1))
    failed_netsuite = make_invoice(supplier, number="A-2", issue_date=dt.date(2026, 11, 5))
    fine = make_invoice(supplier, number="A-3", issue_date=dt.date(2026, 11, 20))
    failed_xero.syncs.filter(connection=xero).update(state=SyncState.FAILED, error_category="invalid_account_or_tax")
    failed_xero.syncs.filter(connection=netsuite).update(state=SyncState.SYNCED)
    failed_netsuite.syncs.filter(connection=netsuite).update(state=SyncState.FAILED, error_category="transient")
    failed_netsuite.syncs.filter(connection=xero).update(state=SyncState.SYNCED)

    def numbers(**params):
        response = api.get("/api/v1/invoices/", params)
        assert response.status_code == 200, response.json()
        return sorted(i["number"] for i in response.json()["results"])

    assert numbers(sync_state="failed", provider="xero") == ["A-1"]
    assert numbers(sync_state="failed") == ["A-1", "A-2"]
    assert numbers(error_category="transient") == ["A-2"]
    assert numbers(issued_after="2026-11-01") == ["A-2", "A-3"]
    assert numbers(issued_after="2026-11-01", issued_before="2026-11-10") == ["A-2"]
    assert numbers(number="A-3") == [fine.number]
    bad = api.get("/api/v1/invoices/", {"sync_state": "exploded", "issued_after": "yesterday"})
    assert bad.status_code == 400
    assert set(bad.json()["field_errors"]) == {"sync_state", "issued_after"}


def test_list_pages_with_a_cursor_newest_first(api, supplier):
    made = [make_invoice(supplier).pk for _ in range(5)]
    first = api.get("/api/v1/invoices/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    seen = [i["id"] for page in (first, second, third) for i in page["results"]]
    assert seen == list(reversed(made)) and third["next"] is None


def test_list_query_count_does_not_grow_with_page_size(api, supplier, netsuite):
    ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    for _ in range(30):
        make_invoice(supplier)

    api.get("/api/v1/invoices/")  # the key's first use of the minute records last_used_at

    def queries(size):
        with CaptureQueriesContext(db) as captured:
            response = api.get("/api/v1/invoices/", {"page_size": size})
        assert response.status_code == 200 and len(response.json()["results"]) == size
        return len(captured)

    assert queries(2) == queries(25) == queries(30)


@pytest.mark.django_db
def test_detail_shows_each_connections_sync_with_message_fix_and_last_attempts(api, supplier, netsuite, worker):
    invoice = make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True))
    worker.run()
    detail = api.get(f"/api/v1/invoices/{invoice.pk}/").json()
    sync = detail["syncs"][0]
    assert sync["provider"] == "netsuite" and sync["state"] == "failed"
    assert sync["message"].startswith("Account/Tax Rate must be Valid") and sync["fix"]
    assert sync["last_attempts"][0]["outcome"] == "failed"
    assert detail["lines"][0]["description"]


def test_mark_paid_and_cancel(api, supplier, netsuite):
    invoice = make_invoice(supplier)
    paid = api.post(f"/api/v1/invoices/{invoice.pk}/mark-paid/", {}, format="json")
    assert paid.status_code == 200 and paid.json()["changed"] is True
    assert paid.json()["invoice"]["status"] == "paid"
    again = api.post(f"/api/v1/invoices/{invoice.pk}/mark-paid/", {}, format="json")
    assert again.json()["changed"] is False
    refused = api.post(f"/api/v1/invoices/{invoice.pk}/cancel/", {}, format="json")
    assert refused.status_code == 400 and "paid" in refused.json()["message"]
    other = make_invoice(supplier)
    cancelled = api.post(f"/api/v1/invoices/{other.pk}/cancel/", {}, format="json")
    assert cancelled.json()["invoice"]["status"] == "void"


def test_diagnosis_names_the_expired_connection_and_its_fix(api, supplier):
    expired = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1", expired=True)
    invoice = make_invoice(supplier)
    response = api.get(f"/api/v1/invoices/{invoice.pk}/diagnosis")
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is False
    found = report["connections"][0]
    assert found["connection_id"] == expired.pk
    failing = [f for f in found["findings"] if not f["ok"]]
    assert any("reconnect" in f["fix"].lower() for f in failing), failing


def test_list_rows_are_exactly_what_the_invoice_serializer_gives(api, supplier, netsuite):
    from integrations_core.api.serializers import InvoiceSerializer
    from integrations_core.selectors import invoices_for

    xero = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    invoice = make_invoice(supplier)
    invoice_paid = make_invoice(supplier)
    api.post(f"/api/v1/invoices/{invoice_paid.pk}/mark-paid/", {}, format="json")
    invoice.syncs.filter(connection=xero).update(
        state=SyncState.LOCKED, remote_locked=True, locked_changes={"lines": [], "suggestion": "credit note"},
        error_category="invoice_locked", error_message="Invoice is paid in Xero and locked")
    listed = api.get("/api/v1/invoices/").json()["results"]
    expected = InvoiceSerializer(invoices_for(supplier_id=supplier.pk).order_by("-created_at", "-id"), many=True).data
    assert listed == [dict(row) for row in expected]
