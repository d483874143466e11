"""A support person in a real browser (Playwright driving Debian's Chromium): signs in to the admin, filters
the failed Xero invoices, runs "Manually re-sync to Xero", sees each invoice's outcome, and is not offered
Resync for Xero invoices."""

import os

import pytest

from tests.factories import ProductFactory, missed_while_expired, support_user
from xero_plugin.sandbox import TENANT_NZ

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (.ci/browser.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def test_support_reruns_failed_xero_invoices_in_the_browser(live_server, browser_page, xero, xero_conn, supplier,
                                                            worker):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    failed = missed_while_expired(xero_conn, 2, product=product)
    support_user(username="sam", password="sam-pass-123")
    page = browser_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/integrations_core/invoice/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "sam-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/integrations_core/invoice/")

    page.click("#changelist-filter details[data-filter-title='provider'] a:text-is('Xero')")
    page.click("#changelist-filter details[data-filter-title='sync state'] a:text-is('Failed')")
    page.wait_for_url("**provider=xero**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert sorted(page.locator("#result_list tbody th a").all_inner_texts()) == sorted(i.number for i in failed)

    options = page.locator("select[name=action] option").all_inner_texts()
    assert "Manually re-sync to Xero" in options
    assert not any(o.strip() in ("Resync", "Mark as resolved") for o in options)

    page.check("#action-toggle")
    page.select_option("select[name=action]", label="Manually re-sync to Xero")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    messages = page.locator("ul.messagelist li").all_inner_texts()
    for invoice in failed:
        assert f"{invoice.number}: created in Xero." in messages, messages
    assert len(xero.control.invoices(TENANT_NZ)) == 2
