"""Connecting Xero through the views: consent on the local Xero, callback, tenant choice, reconnect."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations_core.models import Connection, ConnectionState, InvoiceSync
from integrations_core.selectors import connection_backlog
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_AU, TENANT_NZ

pytestmark = pytest.mark.django_db


def _consent(client, supplier, xero):
    start = client.get(f"/xero/connect/?supplier={supplier.pk}")
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    query = parse_qs(authorize.query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert set(query["scope"][0].split()) == {"offline_access", "accounting.transactions", "accounting.contacts",
                                              "accounting.settings", "accounting.attachments"}
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code in (302, 303)
    back = urlsplit(consent.headers["Location"])
    assert query["state"][0] == parse_qs(back.query)["state"][0]
    return client.get(f"/xero/callback/?{back.query}")


def test_connect_one_organisation_connects_with_encrypted_tokens(xero, admin_client, supplier, settings):
    settings.XERO_REDIRECT_URI = "http://testserver/xero/callback/"
    xero.control.auto_approve([TENANT_NZ])

    done = _consent(admin_client, supplier, xero)

    assert done.status_code == 302 and "outcome=connected" in done["Location"]
    connection = Connection.objects.get(supplier=supplier, provider="xero")
    assert (connection.state, connection.tenant_id) == (ConnectionState.CONNECTED, TENANT_NZ)
    assert connection.credentials["token"]["refresh_token"] and connection.token_expires_at
    assert isinstance(connection.credentials["token"]["scope"], list)


def test_connect_several_organisations_lets_the_supplier_choose(xero, admin_client, supplier, settings):
    settings.XERO_REDIRECT_URI = "http://testserver/xero/callback/"
    xero.control.auto_approve([TENANT_NZ, TENANT_AU])

    chooser = _consent(admin_client, supplier, xero)
    assert chooser.status_code == 200 and b"Demo Company (AU)" in chooser.content
    assert not Connection.objects.filter(state=ConnectionState.CONNECTED).exists()
    reloaded = admin_client.get(f"/xero/callback/?{chooser.request['QUERY_STRING']}")  # its code is spent
    assert reloaded.status_code == 200 and b"Demo Company (AU)" in reloaded.content

    bad = admin_client.post("/xero/tenant/", {"tenant_id": "not-authorised"})
    assert bad.status_code == 400
    done = admin_client.post("/xero/tenant/", {"tenant_id": TENANT_AU})
    assert done.status_code == 302
    assert Connection.objects.get(supplier=supplier, provider="xero").tenant_id == TENANT_AU


def test_connect_refuses_a_callback_with_a_forged_state(xero, admin_client, supplier, settings):
    settings.XERO_REDIRECT_URI = "http://testserver/xero/callback/"
    admin_client.get(f"/xero/connect/?supplier={supplier.pk}")
    done = admin_client.get("/xero/callback/?code=abc&state=forged")
    assert done.status_code == 302 and "oauth_state_mismatch" in done["Location"]
    assert not Connection.objects.filter(state=ConnectionState.CONNECTED).exists()
    assert admin_client.get("/xero/callback/?code=abc&state=x").status_code == 400  # nothing pending any more


def test_reconnect_after_expiry_resyncs_nothing_and_keeps_the_backlog(xero, admin_client, supplier, worker,
                                                                      settings):
    settings.XERO_REDIRECT_URI = "http://testserver/xero/callback/"
    xero.control.auto_approve([TENANT_NZ])
    _consent(admin_client, supplier, xero)
    xero.control.revoke_tokens()
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    connection = Connection.objects.get(supplier=supplier, provider="xero")
    assert connection.state == ConnectionState.EXPIRED

    _consent(admin_client, supplier, xero)
    worker.run()

    connection.refresh_from_db()
    assert connection.state == ConnectionState.CONNECTED
    assert xero.control.invoices(TENANT_NZ) == []
    assert [s.invoice_id for s in connection_backlog(connection=connection)] == [invoice.pk]
    assert InvoiceSync.objects.get(invoice=invoice).error_category == "auth_expired"
