"""The support dashboard on the admin's landing page: each number is the database's, and links to the filtered
list that shows exactly those; re-syncs in progress with the estimate (also in the API's run)."""

import re

import pytest

from integrations_core.models import Connection, InvoiceSync, ResyncRun, SyncAttempt, SyncState
from tests.factories import ConnectionFactory, ProductFactory, SupplierFactory, make_invoice, support_user
from tests.integrations_core.api.conftest import api  # noqa: F401  (the storefront's client)

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(client):
    client.force_login(support_user())
    return client


@pytest.fixture
def mixed(supplier, netsuite, worker):
    """Two synced invoices, three failed for a bad account code, and an expired connection of another supplier."""
    good = [make_invoice(supplier) for _ in range(2)]
    bad = [make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True)) for _ in range(3)]
    worker.run()
    other = SupplierFactory(name="Other Wines")
    ConnectionFactory(supplier=other, provider="unleashed", expired=True)
    return good, bad


def _figure(page: str, card: str, key: str) -> tuple[int, str]:
    """The number shown in a card for `key`, and where it links."""
    section = page.split(f'id="{card}"', 1)[1].split('class="dashboard-card', 1)[0]
    href, count = re.search(rf'<a href="([^"]+)" data-key="{key}">(\d+)</a>', section).groups()
    return int(count), href.replace("&amp;", "&")


def _listed(client, url: str) -> int:
    """How many rows the list behind a link shows."""
    return client.get(url).content.decode().count('class="action-select"')


def test_each_number_is_the_databases_and_links_to_the_list_behind_it(support, mixed):
    page = support.get("/admin/").content.decode()

    synced, synced_url = _figure(page, "dash-states", "synced")
    failed, failed_url = _figure(page, "dash-states", "failed")
    invalid, invalid_url = _figure(page, "dash-categories", "invalid_account_or_tax")
    expired, expired_url = _figure(page, "dash-connections", "expired")

    assert (synced, failed, invalid, expired) == (2, 3, 3, 1)
    assert synced == InvoiceSync.objects.filter(state=SyncState.SYNCED).count()
    assert _listed(support, synced_url) == 2 and _listed(support, failed_url) == 3
    assert _listed(support, invalid_url) == 3
    listed = support.get(expired_url).content.decode()
    assert "Other Wines" in listed and listed.count('class="action-select"') == 1
    assert "Suppliers with most failing invoices" in page and ">3</a>" in page.split('id="dash-suppliers"')[1]


def test_the_chart_shows_failed_pushes_by_day_without_a_cdn(support, mixed):
    page = support.get("/admin/").content.decode()
    chart = page.split('id="dash-chart"', 1)[1].split("</svg>", 1)[0]

    assert "<svg" in chart and "<rect" in chart
    failures = SyncAttempt.objects.filter(outcome="failed", error_category="invalid_account_or_tax").count()
    assert failures == 3 and f": {failures} " in chart  # today's bar: its title names the count and the cause
    assert "cdn" not in page.lower() and "https://" not in page.split('id="support-dashboard"', 1)[1]


def test_a_running_resync_shows_progress_and_an_estimate_here_and_in_the_api(support, api, supplier, netsuite):
    run = ResyncRun.objects.create(supplier=supplier, connection=netsuite, state="running", total=120, done=20,
                                   selection={"invoice_ids": []})

    page = support.get("/admin/").content.decode()
    progress = support.get("/admin/integrations_core/resyncrun/progress/").json()["runs"]
    body = api.get(f"/api/v1/resync-runs/{run.pk}/").json()

    assert f'<progress max="120" value="20">' in page and "100 invoices in 100 NetSuite calls" in page
    assert [(r["id"], r["done"], r["total"], r["percent"]) for r in progress] == [(run.pk, 20, 120, 16)]
    assert body["estimate"]["calls"] == 100 and body["estimate"]["text"].startswith("100 invoices in 100")
    ResyncRun.objects.filter(pk=run.pk).update(state="done", done=120)
    assert api.get(f"/api/v1/resync-runs/{run.pk}/").json()["estimate"] is None
    finished = support.get(f"/admin/integrations_core/resyncrun/progress/?id={run.pk}").json()["runs"]
    assert [(r["state"], r["done"]) for r in finished] == [("done", 120)]


def test_the_xero_budget_used_is_shown_per_organisation(support, xero, xero_conn, supplier, worker):
    make_invoice(supplier, product=ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2"))
    worker.run()

    page = support.get("/admin/").content.decode()
    budget = page.split('id="dash-budgets"', 1)[1]

    assert xero_conn.tenant_name in budget and re.search(r"\d+ of 60</td>", budget), budget[:600]


def test_people_without_the_permission_do_not_get_the_progress(client, db):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("clerk", password="x", is_staff=True))
    assert client.get("/admin/integrations_core/resyncrun/progress/").status_code == 403
    assert Connection.objects.count() == 0


def test_a_connection_about_to_lapse_is_counted_and_listed(support, supplier):
    import datetime as dt

    from django.utils import timezone

    ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-lapse",
                      last_refreshed_at=timezone.now() - dt.timedelta(days=55))
    ConnectionFactory(supplier=SupplierFactory(), provider="xero", tenant_id="t-fresh", last_refreshed_at=timezone.now())

    count, url = _figure(support.get("/admin/").content.decode(), "dash-connections", "lapsing")

    assert count == 1 and _listed(support, url) == 1
