"""Roles: reading every supplier and acting are separate permissions. A staff session's API write needs the
model permission for that write: the Support group reads everything and acts only where it is given the
action (re-sync, resolve); otherwise 403 in the one error shape, and nothing is written. API keys (a
supplier acting on its own objects) make every write, as before."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from integrations_core.models import Invoice, InvoiceSync, SyncState
from tests.factories import ConnectionFactory, make_invoice, support_user

pytestmark = pytest.mark.django_db


def upsert_body(supplier=None, **overrides):
    data = {"number": "INV-100", "customer": "The Corner Cafe", "order_reference": "ORD-9",
            "issue_date": "2026-11-01", "due_date": "2026-11-30", "currency": "AUD",
            "lines": [{"description": "Milk 2L", "quantity": "3", "unit_price": "2.50"}]}
    if supplier is not None:
        data["supplier"] = supplier.pk
    data.update(overrides)
    return data


def snapshot() -> dict:
    """Every row of every table of the app: a refused request must leave all of it as it was."""
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for model in apps.get_app_config("integrations_core").get_models()}


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def superuser_api(db):
    return session(User.objects.create_superuser("root", password="x"))


@pytest.fixture
def invoice(supplier, netsuite):
    return make_invoice(supplier)


@pytest.fixture
def failed_sync(invoice, netsuite):
    sync = invoice.syncs.get(connection=netsuite)
    InvoiceSync.objects.filter(pk=sync.pk).update(state=SyncState.FAILED)
    return sync


@pytest.fixture
def stored_invoice(supplier, netsuite):
    """An invoice with a storefront id, so an upsert would update it."""
    return make_invoice(supplier, external_id="ord-1")


def write(name, supplier, connection, invoice):
    """A write the Support group may not make: (method, path, body, what the refusal names)."""
    return {
        "connect": ("post", "/api/v1/connections/", {"provider": "netsuite", "supplier": supplier.pk}, "connect"),
        "connect, no supplier": ("post", "/api/v1/connections/", {"provider": "netsuite"}, "connect"),
        "disconnect": ("post", f"/api/v1/connections/{connection.pk}/disconnect/", None, "disconnect"),
        "upsert new": ("put", "/api/v1/invoices/external/ord-new/", upsert_body(supplier), "create or update"),
        "upsert existing": ("put", f"/api/v1/invoices/external/{invoice.external_id}/",
                            upsert_body(supplier, number=invoice.number), "create or update"),
        "mark paid": ("post", f"/api/v1/invoices/{invoice.pk}/mark-paid/", {}, "mark invoices paid"),
        "cancel": ("post", f"/api/v1/invoices/{invoice.pk}/cancel/", None, "cancel invoices"),
    }[name]


@pytest.mark.parametrize("name", ["connect", "connect, no supplier", "disconnect", "upsert new", "upsert existing",
                                  "mark paid", "cancel"])
def test_support_may_not_write_and_nothing_is_written(support_api, supplier, netsuite, stored_invoice, name):
    method, path, body, what = write(name, supplier, netsuite, stored_invoice)
    before = snapshot()
    response = getattr(support_api, method)(path, body, format="json")
    assert response.status_code == 403, response.json()
    error = response.json()
    assert set(error) == {"code", "message", "field_errors"}
    assert error["code"] == "permission_denied" and error["field_errors"] == {}
    assert what in error["message"] and "integrations_core." in error["message"]
    assert snapshot() == before
    netsuite.refresh_from_db()
    assert netsuite.state == "connected" and netsuite.credentials == {"api_key": "secret-api-key"}


def test_support_may_not_disconnect_another_suppliers_connection(support_api, other_supplier):
    theirs = ConnectionFactory(supplier=other_supplier)
    response = support_api.post(f"/api/v1/connections/{theirs.pk}/disconnect/")
    assert response.status_code == 403
    assert response.json()["message"] == ("You may not disconnect a connection: it needs the permission "
                                          "integrations_core.change_connection.")
    theirs.refresh_from_db()
    assert theirs.state == "connected" and theirs.credentials


def test_support_still_reads_every_supplier(support_api, supplier, other_supplier, netsuite, stored_invoice):
    ConnectionFactory(supplier=other_supplier)
    assert len(support_api.get("/api/v1/connections/").json()) == 2
    assert support_api.get(f"/api/v1/invoices/{stored_invoice.pk}/").status_code == 200
    assert support_api.get(f"/api/v1/connections/{netsuite.pk}/backlog/").status_code == 200


def test_support_may_resync_and_resolve(support_api, failed_sync):
    resynced = support_api.post(f"/api/v1/syncs/{failed_sync.pk}/resync/")
    assert resynced.status_code == 200, resynced.json()
    assert resynced.json()["state"] == "queued"
    InvoiceSync.objects.filter(pk=failed_sync.pk).update(state=SyncState.FAILED)
    resolved = support_api.post(f"/api/v1/syncs/{failed_sync.pk}/resolve/")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["state"] == "resolved"


def test_support_may_start_a_resync_run(support_api, netsuite, invoice):
    started = support_api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {"invoice_ids": [invoice.pk]},
                               format="json")
    assert started.status_code == 202, started.json()


def test_staff_without_the_sync_permission_may_not_resync_or_resolve(supplier, failed_sync):
    user = User.objects.create_user("reader", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="support_any_supplier"))
    api = session(user)
    before = snapshot()
    for action in ("resync", "resolve"):
        response = api.post(f"/api/v1/syncs/{failed_sync.pk}/{action}/")
        assert response.status_code == 403
        assert "integrations_core.change_invoicesync" in response.json()["message"]
    assert snapshot() == before
    assert api.get(f"/api/v1/syncs/{failed_sync.pk}/").status_code == 200  # reading is its own permission


def test_a_permission_the_admin_gives_lets_support_act(supplier, invoice):
    user = support_user()
    user.user_permissions.add(Permission.objects.get(codename="change_invoice"))
    paid = session(User.objects.get(pk=user.pk)).post(f"/api/v1/invoices/{invoice.pk}/mark-paid/", {},
                                                       format="json")
    assert paid.status_code == 200 and paid.json()["invoice"]["status"] == "paid"


def test_superuser_may_make_every_write(superuser_api, supplier, netsuite, stored_invoice, failed_sync):
    connect = superuser_api.post("/api/v1/connections/", {"provider": "netsuite", "supplier": supplier.pk},
                                 format="json")
    assert connect.status_code == 201, connect.json()
    created = superuser_api.put("/api/v1/invoices/external/ord-new/", upsert_body(supplier, number="INV-200"),
                                format="json")
    assert created.status_code == 201 and created.json()["outcome"] == "created"
    updated = superuser_api.put(f"/api/v1/invoices/external/{stored_invoice.external_id}/",
                                upsert_body(supplier, number=stored_invoice.number), format="json")
    assert updated.status_code == 200 and updated.json()["outcome"] == "updated"
    new = Invoice.objects.get(supplier=supplier, external_id="ord-new")
    paid = superuser_api.post(f"/api/v1/invoices/{new.pk}/mark-paid/", {}, format="json")
    assert paid.status_code == 200 and paid.json()["invoice"]["status"] == "paid"
    cancelled = superuser_api.post(f"/api/v1/invoices/{stored_invoice.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["invoice"]["status"] == "void"
    resolved = superuser_api.post(f"/api/v1/syncs/{failed_sync.pk}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    disconnected = superuser_api.post(f"/api/v1/connections/{netsuite.pk}/disconnect/")
    assert disconnected.status_code == 200 and disconnected.json()["state"] == "disconnected"


def test_api_keys_make_every_write_unchanged(api, supplier, netsuite, stored_invoice, failed_sync):
    connect = api.post("/api/v1/connections/", {"provider": "netsuite"}, format="json")
    assert connect.status_code == 201, connect.json()
    created = api.put("/api/v1/invoices/external/ord-new/", upsert_body(number="INV-200"), format="json")
    assert created.status_code == 201
    updated = api.put(f"/api/v1/invoices/external/{stored_invoice.external_id}/",
                      upsert_body(number=stored_invoice.number), format="json")
    assert updated.status_code == 200 and updated.json()["outcome"] == "updated"
    new = Invoice.objects.get(supplier=supplier, external_id="ord-new")
    assert api.post(f"/api/v1/invoices/{new.pk}/mark-paid/", {}, format="json").status_code == 200
    assert api.post(f"/api/v1/invoices/{stored_invoice.pk}/cancel/").status_code == 200
    resynced = api.post(f"/api/v1/syncs/{failed_sync.pk}/resync/")
    assert resynced.status_code == 200 and resynced.json()["state"] == "queued"
    InvoiceSync.objects.filter(pk=failed_sync.pk).update(state=SyncState.FAILED)
    assert api.post(f"/api/v1/syncs/{failed_sync.pk}/resolve/").status_code == 200
    assert api.post(f"/api/v1/connections/{netsuite.pk}/disconnect/").status_code == 200


def test_another_suppliers_key_is_still_not_found(other_api, netsuite, stored_invoice):
    assert other_api.post(f"/api/v1/connections/{netsuite.pk}/disconnect/").status_code == 404
    assert other_api.post(f"/api/v1/invoices/{stored_invoice.pk}/cancel/").status_code == 404


def test_staff_who_may_connect_must_name_the_supplier(superuser_api, supplier):
    refused = superuser_api.post("/api/v1/connections/", {"provider": "netsuite"}, format="json")
    assert refused.status_code == 400 and "supplier" in refused.json()["field_errors"]
    ok = superuser_api.post("/api/v1/connections/", {"provider": "netsuite", "supplier": supplier.pk}, format="json")
    assert ok.status_code == 201
