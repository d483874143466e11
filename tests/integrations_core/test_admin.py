"""The support admin: every page renders for a Support user, no secret shows anywhere, the filters and the
actions do what the help article says (Resync for framework providers, refused for Xero with the reason;
Xero's manual re-sync pushes and reports each invoice)."""

import datetime as dt

import pytest
from django.test import Client
from django.contrib.auth.models import User
from django.utils import timezone

from integrations_core.api_keys import api_key_create
from integrations_core.models import ApiKey, Connection, InvoiceSync, RemoteEvent, ResyncRun, SyncState
from tests.factories import (ConnectionFactory, ProductFactory, finished_run, make_invoice, missed_while_expired,
                             support_user)
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db

SECRET = "very-secret-refresh-token-value"


@pytest.fixture
def support(client):
    client.force_login(support_user())
    return client


def _failed(invoice, connection, category="invalid_account_or_tax"):
    InvoiceSync.objects.filter(invoice=invoice, connection=connection).update(
        state=SyncState.FAILED, error_category=category, error_message="Account/Tax Rate must be Valid",
        error_fix="Fix the code")


def test_support_group_can_act_but_not_touch_credentials(db):
    from integrations_core.support import ensure_support_group

    perms = set(ensure_support_group().permissions.values_list("codename", flat=True))
    assert {"support_any_supplier", "change_invoicesync", "view_invoice", "add_apikey"} <= perms
    assert "change_connection" not in perms and "delete_connection" not in perms


@pytest.mark.parametrize("who", ["support", "superuser"])
def test_every_support_page_renders_and_no_secret_shows(who, client, supplier):
    client.force_login(support_user() if who == "support" else User.objects.create_superuser("root", password="x"))
    connection = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1",
                                   credentials={"access_token": SECRET, "refresh_token": SECRET})
    invoice = make_invoice(supplier)
    _failed(invoice, connection)
    key, raw = api_key_create(supplier=supplier)
    run = finished_run(connection, [invoice])
    event = RemoteEvent.objects.create(provider="xero", key="e-1", tenant_id="t-1", category="INVOICE",
                                       event_type="UPDATE", resource_id="r-1")
    product_id = invoice.lines.first().product_id
    pages = ["/admin/", "/admin/integrations_core/connection/",
             f"/admin/integrations_core/connection/{connection.pk}/change/",
             f"/admin/integrations_core/connection/{connection.pk}/history/",
             "/admin/integrations_core/invoice/", f"/admin/integrations_core/invoice/{invoice.pk}/change/",
             "/admin/integrations_core/supplier/", f"/admin/integrations_core/supplier/{supplier.pk}/change/",
             "/admin/integrations_core/product/", f"/admin/integrations_core/product/{product_id}/change/",
             "/admin/integrations_core/customer/", "/admin/integrations_core/apikey/",
             f"/admin/integrations_core/apikey/{key.pk}/change/", "/admin/integrations_core/apikey/add/",
             "/admin/integrations_core/resyncrun/", f"/admin/integrations_core/resyncrun/{run.pk}/change/",
             "/admin/integrations_core/remoteevent/", f"/admin/integrations_core/remoteevent/{event.pk}/change/"]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert SECRET not in body and key.hashed_key not in body and raw not in body, page
        assert "credentials" not in body.lower() and "access_token" not in body, page
    assert 'href="/admin/rq/"' in client.get("/admin/").content.decode()
    assert client.get("/admin/rq/").status_code == 200


def test_support_cannot_change_or_add_a_connection(support, supplier):
    connection = ConnectionFactory(supplier=supplier)
    assert support.post(f"/admin/integrations_core/connection/{connection.pk}/change/",
                        {"state": "disconnected"}).status_code == 403
    assert support.get("/admin/integrations_core/connection/add/").status_code == 403
    connection.refresh_from_db()
    assert connection.state == "connected"


def test_invoice_page_shows_diagnosis_timeline_and_locked_changes(support, supplier, netsuite, worker):
    invoice = make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True))
    worker.run()
    InvoiceSync.objects.filter(invoice=invoice).update(locked_changes={
        "lines": [{"position": 1, "description": "Milk", "quantity": {"before": "2", "after": "1"}}],
        "total_before": "21.00", "total_after": "10.50", "suggestion": "Raise a credit note in NetSuite for 10.50"})
    body = support.get(f"/admin/integrations_core/invoice/{invoice.pk}/change/").content.decode()
    assert "Account/Tax Rate must be Valid" in body  # the sync's message
    assert "what fixes it" in body  # the diagnosis table
    assert "invoice generated" in body and "failed" in body  # the attempt timeline
    assert "Raise a credit note in NetSuite for 10.50" in body


def test_invoice_filters_and_search(support, supplier, netsuite):
    xero = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    failing = make_invoice(supplier, number="FAIL-1", order_reference="ORD-77")
    make_invoice(supplier, number="GOOD-1")
    _failed(failing, xero)

    def listed(query):
        response = support.get(f"/admin/integrations_core/invoice/?{query}")
        assert response.status_code == 200
        return {inv.number for inv in response.context["cl"].result_list}

    assert listed("provider=xero&sync_state=failed") == {"FAIL-1"}
    assert listed("provider=netsuite&sync_state=failed") == set()
    assert listed("error_category=invalid_account_or_tax") == {"FAIL-1"}
    assert listed("q=ORD-77") == {"FAIL-1"}
    assert listed(f"q={supplier.name}") == {"FAIL-1", "GOOD-1"}
    assert listed("status__exact=paid") == set()


def test_resync_is_not_offered_for_xero_and_refused_with_the_reason(support, supplier):
    xero = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    invoice = make_invoice(supplier)
    _failed(invoice, xero)
    page = support.get("/admin/integrations_core/invoice/?provider=xero").content.decode()
    assert "Manually re-sync to Xero" in page
    assert 'value="resync"' not in page and 'value="mark_resolved"' not in page
    response = support.post("/admin/integrations_core/invoice/", {"action": "resync", "_selected_action": [invoice.pk]},
                            follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Manually Re-sync invoices to Xero" in text
    assert ("only available for integrations built on the integrations framework (Cin7, MYOB Advanced, MYOB "
            "Business, NetSuite and Unleashed)") in text
    assert InvoiceSync.objects.get(invoice=invoice).state == SyncState.FAILED


@pytest.mark.parametrize("provider", ["myob_business", "myob_advanced", "cin7"])
def test_resync_and_mark_resolved_are_offered_for_the_new_framework_providers(support, supplier, provider):
    connection = ConnectionFactory(supplier=supplier, provider=provider)
    invoice = make_invoice(supplier)
    _failed(invoice, connection)
    page = support.get(f"/admin/integrations_core/invoice/?provider={provider}").content.decode()
    assert 'value="resync"' in page and 'value="mark_resolved"' in page
    response = support.post(f"/admin/integrations_core/invoice/?provider={provider}",
                            {"action": "mark_resolved", "_selected_action": [invoice.pk]}, follow=True)
    assert response.status_code == 200
    assert InvoiceSync.objects.get(invoice=invoice, connection=connection).state == SyncState.RESOLVED


def test_resync_action_for_a_framework_provider(support, supplier, netsuite, worker):
    invoice = make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True))
    worker.run()
    page = support.get("/admin/integrations_core/invoice/?provider=netsuite").content.decode()
    assert 'value="resync"' in page
    response = support.post("/admin/integrations_core/invoice/?provider=netsuite",
                            {"action": "resync", "_selected_action": [invoice.pk]}, follow=True)
    assert "queued to push again" in " ".join(str(m) for m in response.context["messages"])
    assert InvoiceSync.objects.get(invoice=invoice).state == SyncState.QUEUED


def test_manual_resync_to_xero_pushes_and_reports_each_invoice(support, xero, xero_conn, supplier, worker):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoices = missed_while_expired(xero_conn, 3, product=product)
    InvoiceSync.objects.filter(invoice=invoices[2]).update(state=SyncState.LOCKED, remote_locked=True)
    response = support.post("/admin/integrations_core/invoice/",
                            {"action": "manual_resync_xero", "_selected_action": [i.pk for i in invoices]},
                            follow=True)
    assert response.status_code == 200
    text = [str(m) for m in response.context["messages"]]
    assert f"{invoices[0].number}: created in Xero." in text and f"{invoices[1].number}: created in Xero." in text
    assert f"{invoices[2].number}: skipped locked in Xero. Invoice is paid in Xero and locked: manage changes " \
           "directly in Xero" in text
    assert len(xero.control.invoices(TENANT_NZ)) == 2


def test_manual_resync_to_an_expired_xero_is_an_error_message(support, supplier):
    ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1", expired=True)
    invoice = make_invoice(supplier)
    response = support.post("/admin/integrations_core/invoice/",
                            {"action": "manual_resync_xero", "_selected_action": [invoice.pk]}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        f"{supplier}: Xero is not connected: reconnect in Settings > Add-ons, then re-sync."]


def test_manual_resync_without_a_xero_connection_says_so(support, supplier):
    invoice = make_invoice(supplier)
    response = support.post("/admin/integrations_core/invoice/",
                            {"action": "manual_resync_xero", "_selected_action": [invoice.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"{supplier} has no Xero connection."]


def test_invoice_list_queries_do_not_grow_with_the_page(support, supplier, netsuite, django_assert_max_num_queries):
    xero = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    for _ in range(3):
        _failed(make_invoice(supplier), xero)
    with django_assert_max_num_queries(20) as few:
        support.get("/admin/integrations_core/invoice/?provider=xero")
    for _ in range(12):
        _failed(make_invoice(supplier), xero)
    with django_assert_max_num_queries(len(few)) as many:
        response = support.get("/admin/integrations_core/invoice/?provider=xero")
    assert len(response.context["cl"].result_list) == 15
    assert len(many) == len(few)


def test_manual_resync_of_many_invoices_becomes_a_background_run(support, supplier, settings, monkeypatch):
    from integrations_core.admin import actions

    monkeypatch.setattr(actions, "INLINE_LIMIT", 1)
    connection = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    invoices = [make_invoice(supplier) for _ in range(3)]
    response = support.post("/admin/integrations_core/invoice/",
                            {"action": "manual_resync_xero", "_selected_action": [i.pk for i in invoices]},
                            follow=True)
    run = ResyncRun.objects.get(connection=connection)
    assert run.total == 3
    assert f"follow run {run.pk}" in " ".join(str(m) for m in response.context["messages"])
    assert support.get(f"/admin/integrations_core/resyncrun/{run.pk}/change/").status_code == 200


def test_api_key_created_in_the_admin_is_shown_once_and_stored_hashed(support, supplier):
    response = support.post("/admin/integrations_core/apikey/add/", {"supplier": supplier.pk, "name": "shop"},
                            follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    raw = text.split(": ", 1)[1].split(" ")[0]
    key = ApiKey.objects.get(supplier=supplier)
    assert raw.startswith(key.prefix) and key.hashed_key != raw
    assert raw not in support.get(f"/admin/integrations_core/apikey/{key.pk}/change/").content.decode()
    support.post("/admin/integrations_core/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_connection_health_says_when_it_lapses_and_when_and_why_it_expired(support, supplier):
    refreshed = timezone.now() - dt.timedelta(days=55)
    ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1", last_refreshed_at=refreshed)
    ConnectionFactory(supplier=supplier, provider="netsuite", expired=True,
                      expired_at=timezone.now() - dt.timedelta(hours=2))
    body = support.get("/admin/integrations_core/connection/").content.decode()
    lapses = timezone.localtime(refreshed + dt.timedelta(days=60)).strftime("%Y-%m-%d")
    assert 'data-state="lapsing"' in body and f"about to lapse on {lapses}" in body
    expired = timezone.localtime(timezone.now() - dt.timedelta(hours=2)).strftime("%Y-%m-%d")
    assert f"expired {expired}" in body and "token revoked" in body


def test_connection_list_shows_badge_health_and_backlog(support, supplier):
    expired = ConnectionFactory(supplier=supplier, provider="netsuite", expired=True)
    make_invoice(supplier)
    body = support.get("/admin/integrations_core/connection/").content.decode()
    assert 'data-state="expired"' in body and "token revoked" in body
    assert Connection.objects.get(pk=expired.pk).syncs.count() == 1
    assert ">1</a>" in body  # backlog count links to the failed invoices


def test_a_supplier_page_starts_connecting_each_provider_for_those_allowed(support, supplier):
    client = Client()
    client.force_login(User.objects.create_superuser("owner", password="x"))
    page = client.get(f"/admin/integrations_core/supplier/{supplier.pk}/change/").content.decode()
    assert "Connect to Xero" in page and "Connect to NetSuite" in page
    assert f"/connect/admin/xero/?supplier={supplier.pk}" in page
    started = client.get(f"/connect/admin/netsuite/?supplier={supplier.pk}")
    assert started.status_code == 302  # on to the provider's consent page

    viewed = support.get(f"/admin/integrations_core/supplier/{supplier.pk}/change/").content.decode()
    assert "not connected" in viewed and "Connect to Xero" not in viewed
    assert support.get(f"/connect/admin/xero/?supplier={supplier.pk}").status_code == 403
