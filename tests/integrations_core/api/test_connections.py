"""Connections: list with health and backlog, connect through the browser and back to the storefront,
disconnect, and the backlog after an expiry."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from integrations_core.models import Connection, ConnectLink, SyncState
from tests.factories import ConnectionFactory, make_invoice

pytestmark = pytest.mark.django_db


def test_providers_lists_capabilities(api):
    providers = {p["key"]: p for p in api.get("/api/v1/providers/").json()}
    assert providers["xero"]["supports_resync"] is False
    assert providers["xero"]["manual_resync"] == "Manually Re-sync invoices to Xero"
    assert providers["netsuite"]["supports_resync"] is True


def test_connection_list_shows_expiry_health_and_backlog(api, supplier):
    expired = ConnectionFactory(supplier=supplier, provider="netsuite", expired=True)
    invoice = make_invoice(supplier)  # triggered while expired: recorded as failed, in the backlog
    assert invoice.syncs.get().state == SyncState.FAILED
    listed = api.get("/api/v1/connections/").json()
    assert len(listed) == 1
    row = listed[0]
    assert row["id"] == expired.pk and row["state"] == "expired" and row["health"] == "expired"
    assert row["expiry_reason"] == "token revoked" and row["backlog_count"] == 1
    assert "credentials" not in row and "secret-api-key" not in str(listed)
    backlog = api.get(f"/api/v1/connections/{expired.pk}/backlog/").json()
    assert [i["id"] for i in backlog["results"]] == [invoice.pk]


def test_connection_about_to_lapse_shows_lapsing_before_anything_fails(api, supplier):
    """Xero's refresh token lapses after 60 idle days: 55 days unused is flagged while it still works."""
    unused = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1",
                               last_refreshed_at=timezone.now() - dt.timedelta(days=55), last_checked_at=timezone.now())
    row = api.get(f"/api/v1/connections/{unused.pk}/").json()
    assert (row["state"], row["health"]) == ("connected", "lapsing")

    Connection.objects.filter(pk=unused.pk).update(last_refreshed_at=timezone.now() - dt.timedelta(days=1))
    assert api.get(f"/api/v1/connections/{unused.pk}/").json()["health"] == "ok"


def test_connect_returns_a_link_that_connects_and_returns_to_the_storefront(api, supplier, client):
    started = api.post("/api/v1/connections/", {"provider": "netsuite",
                                                "return_url": "http://testserver/settings/add-ons"}, format="json")
    assert started.status_code == 201, started.json()
    link = started.json()["authorize_url"]
    pending = started.json()["connection"]
    assert pending["state"] == "disconnected" and isinstance(pending["id"], int)
    assert link.startswith("http://testserver/connect/start/")

    consent = client.get(link)  # the supplier's browser
    assert consent.status_code == 302
    back = client.get(consent["Location"])  # the provider sends it back to our callback
    assert back.status_code == 302
    assert back["Location"] == "http://testserver/settings/add-ons?outcome=connected&provider=netsuite"
    connection = Connection.objects.get(supplier=supplier, provider="netsuite")
    assert connection.state == "connected" and connection.pk == pending["id"]


def test_a_return_url_on_a_host_not_allowed_is_refused_when_the_link_is_made(api, settings):
    refused = api.post("/api/v1/connections/", {"provider": "netsuite", "return_url": "https://evil.example/x"},
                       format="json")
    assert refused.status_code == 400
    assert "evil.example is not an allowed return host" in refused.json()["field_errors"]["return_url"][0]
    assert not Connection.objects.exists() and not ConnectLink.objects.exists()

    settings.INTEGRATIONS_RETURN_HOSTS = ["shop.example"]
    allowed = api.post("/api/v1/connections/", {"provider": "netsuite", "return_url": "https://shop.example/add-ons"},
                       format="json")
    assert allowed.status_code == 201


def test_a_connect_link_tampered_with_or_opened_again_is_refused(api, client, supplier):
    started = api.post("/api/v1/connections/", {"provider": "netsuite"}, format="json").json()
    assert client.get(started["authorize_url"][:-3] + "xx/").status_code == 400
    consent = client.get(started["authorize_url"])
    assert consent.status_code == 302
    client.get(consent["Location"])
    assert Connection.objects.get(supplier=supplier, provider="netsuite").state == "connected"

    again = Client().get(started["authorize_url"])  # whoever else holds the link, in another browser
    assert again.status_code == 400 and b"already been used" in again.content
    assert Connection.objects.filter(supplier=supplier).count() == 1


def test_connect_bad_input(api):
    unknown = api.post("/api/v1/connections/", {"provider": "sage"}, format="json")
    assert unknown.status_code == 400 and "provider" in unknown.json()["field_errors"]
    missing = api.post("/api/v1/connections/", {}, format="json")
    assert missing.status_code == 400 and "provider" in missing.json()["field_errors"]
    bad_url = api.post("/api/v1/connections/", {"provider": "netsuite", "return_url": "not a url"}, format="json")
    assert "return_url" in bad_url.json()["field_errors"]


def test_disconnect_drops_credentials(api, netsuite):
    response = api.post(f"/api/v1/connections/{netsuite.pk}/disconnect/")
    assert response.status_code == 200 and response.json()["state"] == "disconnected"
    netsuite.refresh_from_db()
    assert netsuite.credentials == {}
