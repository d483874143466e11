"""Who may call the API, and that every supplier sees only its own objects (by id and by filter)."""

import pytest

from integrations_core.api_keys import api_key_create, api_key_revoke
from integrations_core.models import ApiKey
from tests.factories import ConnectionFactory, make_invoice

from .conftest import client_with_key

pytestmark = pytest.mark.django_db


def test_api_without_credentials_is_401_in_the_error_shape(client):
    response = client.get("/api/v1/invoices/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert set(response.json()) == {"code", "message", "field_errors"}


def test_api_key_unknown_or_revoked_is_refused(supplier):
    key, raw = api_key_create(supplier=supplier)
    assert client_with_key(raw).get("/api/v1/invoices/").status_code == 200
    api_key_revoke(key=key)
    response = client_with_key(raw).get("/api/v1/invoices/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert client_with_key("ik_00000000.nope").get("/api/v1/invoices/").status_code == 401


def test_api_key_is_stored_only_as_a_hash(supplier):
    key, raw = api_key_create(supplier=supplier)
    stored = ApiKey.objects.get(pk=key.pk)
    assert raw.startswith(stored.prefix + ".")
    assert raw not in (stored.hashed_key, stored.prefix, stored.name)
    assert len(stored.hashed_key) == 64


def test_staff_without_support_permission_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    assert client.get("/api/v1/invoices/").status_code == 403


def test_invoice_of_another_supplier_is_404_by_id_and_for_every_action(api, other_supplier):
    theirs = make_invoice(other_supplier)
    for method, path in [("get", f"/api/v1/invoices/{theirs.pk}/"), ("get", f"/api/v1/invoices/{theirs.pk}/diagnosis"),
                         ("post", f"/api/v1/invoices/{theirs.pk}/mark-paid/"),
                         ("post", f"/api/v1/invoices/{theirs.pk}/cancel/")]:
        response = getattr(api, method)(path, {}, format="json")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == "issued"


def test_invoice_of_another_supplier_never_appears_in_a_filtered_list(api, supplier, other_supplier):
    mine = make_invoice(supplier, number="MINE-1")
    theirs = make_invoice(other_supplier, number="THEIRS-1")
    listed = api.get("/api/v1/invoices/", {"number": "THEIRS-1"}).json()["results"]
    assert listed == []
    ids = [i["id"] for i in api.get("/api/v1/invoices/").json()["results"]]
    assert ids == [mine.pk] and theirs.pk not in ids


def test_connection_and_sync_of_another_supplier_are_404(api, other_supplier):
    theirs = ConnectionFactory(supplier=other_supplier, provider="netsuite")
    invoice = make_invoice(other_supplier)
    sync = invoice.syncs.get()
    assert api.get(f"/api/v1/connections/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/connections/{theirs.pk}/disconnect/").status_code == 404
    assert api.post(f"/api/v1/connections/{theirs.pk}/resync/", {"backlog": True}, format="json").status_code == 404
    assert api.post(f"/api/v1/syncs/{sync.pk}/resync/").status_code == 404
    assert api.get("/api/v1/connections/").json() == []
    theirs.refresh_from_db()
    assert theirs.state == "connected"


def test_upsert_cannot_write_for_another_supplier(api, other_supplier):
    body = {"supplier": other_supplier.pk, "number": "X-1", "customer": "Cafe", "issue_date": "2026-11-01",
            "currency": "AUD", "lines": [{"description": "Milk", "quantity": "1", "unit_price": "2"}]}
    assert api.put("/api/v1/invoices/external/ext-1/", body, format="json").status_code == 404
    assert not other_supplier.invoices.exists()


def test_support_sees_every_supplier(support_api, supplier, other_supplier):
    make_invoice(supplier)
    make_invoice(other_supplier)
    assert len(support_api.get("/api/v1/invoices/").json()["results"]) == 2
