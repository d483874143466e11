"""Support opens the admin in a real browser (Playwright driving Debian's Chromium): the landing page is the
dashboard; its chart renders from the page alone (no CDN: every other request is refused), the progress bar of
a running re-sync moves as the run goes on, and a number leads to the list behind it. A screenshot of the
dashboard is kept in .artifacts/dashboard.png."""

import os
import threading
from pathlib import Path

import pytest

from integrations_core.models import ResyncRun
from tests.browser.test_admin_browser import ARGS, CHROMIUM, PASSWORD, USERNAME, _sign_in
from tests.factories import ProductFactory, make_invoice, support_user

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"

pytestmark = pytest.mark.django_db(transaction=True)  # a live server thread reads what this test writes


def _run_goes_on(run_id: int, done: int) -> None:
    """The run advances, written from a thread of its own: while Playwright runs, this thread counts as async
    and a connection it opened would outlive the test."""
    from django.db import connections

    def advance():
        try:
            ResyncRun.objects.filter(pk=run_id).update(done=done)
        finally:
            connections.close_all()

    thread = threading.Thread(target=advance)
    thread.start()
    thread.join()


@pytest.fixture
def service(supplier, netsuite, worker):
    """Three invoices failed for a bad account code, one synced, and a re-sync run under way."""
    bad = ProductFactory(supplier=supplier, bad_account=True)
    failed = [make_invoice(supplier, product=bad) for _ in range(3)]
    make_invoice(supplier)
    worker.run()
    support_user(username=USERNAME, password=PASSWORD)
    run = ResyncRun.objects.create(supplier=supplier, connection=netsuite, state="running", total=200, done=10,
                                   selection={"invoice_ids": [i.pk for i in failed]})
    return failed, run


@pytest.fixture
def page(live_server, service):
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (.ci/browser.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(15000)
        outside = []
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url)
                   else (outside.append(route.request.url), route.abort()))
        page.outside_requests = outside
        yield page
        browser.close()


def test_support_sees_the_dashboard_its_chart_a_moving_resync_and_follows_a_number(live_server, service, page):
    failed, run = service
    _sign_in(page, live_server, "/admin/")

    chart = page.locator("#dash-chart svg.failure-chart")
    assert chart.is_visible() and chart.locator("rect").count() >= 1
    assert chart.bounding_box()["height"] > 50  # drawn, not an empty box
    bar = page.locator(f'#dash-runs tr.run[data-run="{run.pk}"] progress')
    assert bar.get_attribute("value") == "10"

    _run_goes_on(run.pk, 150)
    page.wait_for_function(f'document.querySelector(\'tr.run[data-run="{run.pk}"] progress\').value == 150')
    assert "150 of 200" in page.locator(f'#dash-runs tr.run[data-run="{run.pk}"]').inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000
    assert page.outside_requests == []  # everything the page shows came from the app itself

    page.click('#dash-states a[data-key="failed"]')
    page.wait_for_url("**sync_state=failed**")
    assert sorted(page.locator("#result_list tbody th a").all_inner_texts()) == sorted(i.number for i in failed)
