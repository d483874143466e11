"""Actions: framework Resync / Mark as Resolved (refused for Xero with the pointer to its manual re-sync),
and re-sync runs started from the API, polled to the end, one running per supplier; rate limits."""

import pytest

from integrations_core.models import InvoiceSync, ResyncRun, SyncState
from tests.factories import ConnectionFactory, ProductFactory, make_invoice, missed_while_expired
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("provider", ["netsuite", "unleashed", "myob_business", "myob_advanced", "cin7"])
def test_resync_and_resolve_for_a_framework_provider(api, supplier, worker, provider):
    ConnectionFactory(supplier=supplier, provider=provider)
    invoice = make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True))
    worker.run()
    sync = invoice.syncs.get()
    assert sync.state == SyncState.FAILED
    resynced = api.post(f"/api/v1/syncs/{sync.pk}/resync/")
    assert resynced.status_code == 200 and resynced.json()["state"] == "queued"
    worker.run()
    resolved = api.post(f"/api/v1/syncs/{sync.pk}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["state"] == "resolved"
    again = api.post(f"/api/v1/syncs/{sync.pk}/resolve/")
    assert again.status_code == 409 and again.json()["code"] == "action_not_allowed"


def test_resync_and_resolve_are_refused_for_xero_with_the_pointer(api, supplier):
    xero = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1")
    invoice = make_invoice(supplier)
    sync = invoice.syncs.get(connection=xero)
    InvoiceSync.objects.filter(pk=sync.pk).update(state=SyncState.FAILED)
    for action in ("resync", "resolve"):
        response = api.post(f"/api/v1/syncs/{sync.pk}/{action}/")
        assert response.status_code == 409
        assert response.json()["code"] == "resync_not_supported"
        assert "Manually Re-sync invoices to Xero" in response.json()["message"]
        assert "(Cin7, MYOB Advanced, MYOB Business, NetSuite and Unleashed)" in response.json()["message"]
    sync.refresh_from_db()
    assert sync.state == SyncState.FAILED


def test_xero_backlog_resync_runs_as_a_job_with_progress_and_one_per_supplier(api, xero, xero_conn, supplier,
                                                                                worker):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoices = missed_while_expired(xero_conn, 3, product=product)
    listed = api.get("/api/v1/connections/").json()
    assert listed[0]["backlog_count"] == 3

    started = api.post(f"/api/v1/connections/{xero_conn.pk}/resync/", {"backlog": True}, format="json")
    assert started.status_code == 202, started.json()
    run = started.json()
    assert run["state"] == "queued" and run["total"] == 3 and run["done"] == 0
    second = api.post(f"/api/v1/connections/{xero_conn.pk}/resync/", {"backlog": True}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "resync_running"

    worker.run()
    polled = api.get(f"/api/v1/resync-runs/{run['id']}/").json()
    assert polled["state"] == "done" and polled["done"] == 3
    assert [o["number"] for o in polled["outcomes"]] == [i.number for i in invoices]
    assert {o["result"] for o in polled["outcomes"]} == {"created"}
    assert len(xero.control.invoices(TENANT_NZ)) == 3
    assert api.get("/api/v1/connections/").json()[0]["backlog_count"] == 0
    assert api.post(f"/api/v1/connections/{xero_conn.pk}/resync/", {"backlog": True},
                    format="json").status_code == 202  # the first finished: another may start


def test_resync_run_bad_input_and_not_connected(api, supplier, netsuite, other_supplier):
    nothing = api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {}, format="json")
    assert nothing.status_code == 400 and "invoices" in nothing.json()["field_errors"]
    theirs = make_invoice(other_supplier)
    foreign = api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {"invoice_ids": [theirs.pk]}, format="json")
    assert foreign.status_code == 400 and "invoice_ids" in foreign.json()["field_errors"]
    window = api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {"since": "2026-11-02", "until": "2026-11-01"},
                      format="json")
    assert window.status_code == 400 and "until" in window.json()["field_errors"]
    netsuite.state = "expired"
    netsuite.save()
    expired = api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {"backlog": True}, format="json")
    assert expired.status_code == 409 and expired.json()["code"] == "not_connected"
    assert not ResyncRun.objects.exists()


def test_framework_provider_resync_run_queues_each_invoice(api, supplier, netsuite, worker):
    invoice = make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True))
    worker.run()
    started = api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {"invoice_ids": [invoice.pk]}, format="json")
    assert started.status_code == 202
    worker.run()
    run = api.get(f"/api/v1/resync-runs/{started.json()['id']}/").json()
    assert run["state"] == "done" and run["outcomes"][0]["result"] == "queued"


def test_action_endpoints_are_rate_limited_with_retry_after(api, supplier, netsuite, settings):
    from django.core.cache import cache

    cache.clear()
    from rest_framework.settings import api_settings

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "actions": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from integrations_core.api.scoping import ActionThrottle

    ActionThrottle.THROTTLE_RATES = rates
    try:
        codes = [api.post(f"/api/v1/connections/{netsuite.pk}/resync/", {}, format="json") for _ in range(3)]
        assert [c.status_code for c in codes] == [400, 400, 429]
        assert codes[2].json()["code"] == "rate_limited" and int(codes[2]["Retry-After"]) > 0
        assert api.get("/api/v1/invoices/").status_code == 200  # reads are not limited
    finally:
        ActionThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
