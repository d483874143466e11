"""A support person in a real browser (Playwright driving Debian's Chromium): signs in to the admin, filters
the failed Xero invoices, runs "Manually re-sync to Xero", sees each invoice's outcome, and is not offered
Resync for Xero invoices; sets up a supplier's Xero from the organisation's own lists and approves a credit
note."""

import os

import pytest

from tests.factories import ProductFactory, line, make_invoice, missed_while_expired, support_user
from xero_plugin.sandbox import TENANT_NZ

# Playwright's sync API keeps an event loop running in this thread, which Django's ORM guard would refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
USERNAME, PASSWORD = "sam", "sam-pass-123"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def failed_xero_invoices(xero, xero_conn, supplier):
    """Two invoices that missed the sync window while Xero was expired, and a support user to fix them."""
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoices = missed_while_expired(xero_conn, 2, product=product)
    support_user(username=USERNAME, password=PASSWORD)
    return [invoice.number for invoice in invoices]


@pytest.fixture
def proposed_credit_note(xero, xero_conn, supplier):
    """A credit note proposed for an invoice whose total went down after it was paid."""
    from integrations_core.models import CreditNote

    invoice = make_invoice(supplier, lines=[line(ProductFactory(supplier=supplier, sales_account_code="200",
                                                                tax_type="OUTPUT2"))])
    return CreditNote.objects.create(invoice=invoice, connection=xero_conn, number=f"CN-{invoice.number}-1",
                                     reason="Two bottles broken", amount=5)


def _sign_in(page, live_server, next_url):
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


@pytest.fixture
def page(live_server, failed_xero_invoices):
    """A Chromium page. Set up after the data: while Playwright runs, this thread counts as async, and a
    database connection opened then would be kept apart from the thread's own and outlive the test."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (.ci/browser.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page()
        page.set_default_timeout(15000)
        yield page
        browser.close()


def test_support_reruns_failed_xero_invoices_in_the_browser(live_server, xero, failed_xero_invoices, page):
    _sign_in(page, live_server, "/admin/integrations_core/invoice/")

    page.click("#changelist-filter details[data-filter-title='provider'] a:text-is('Xero')")
    page.wait_for_url("**provider=xero**")
    page.click("#changelist-filter details[data-filter-title='sync state'] a:text-is('Failed')")
    page.wait_for_url("**sync_state=failed**")
    assert sorted(page.locator("#result_list tbody th a").all_inner_texts()) == sorted(failed_xero_invoices)

    options = [o.strip() for o in page.locator("select[name=action] option").all_inner_texts()]
    assert "Manually re-sync to Xero" in options
    assert "Resync" not in options and "Mark as resolved" not in options  # not offered for Xero invoices

    page.check("#action-toggle")
    page.select_option("select[name=action]", label="Manually re-sync to Xero")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    messages = page.locator("ul.messagelist li").all_inner_texts()
    for number in failed_xero_invoices:
        assert f"{number}: created in Xero." in messages, messages
    assert len(xero.control.invoices(TENANT_NZ)) == 2


@pytest.fixture
def settings_page(live_server, xero_conn, proposed_credit_note, failed_xero_invoices, page):
    return page


def test_support_sets_up_a_suppliers_xero_and_approves_a_credit_note_in_the_browser(
        live_server, xero, xero_conn, proposed_credit_note, settings_page):
    page = settings_page
    url = f"/admin/integrations_core/connection/{xero_conn.pk}/settings/"
    _sign_in(page, live_server, url)
    accounts = page.locator("#id-sales_account_code option").all_inner_texts()
    assert "210 Services Income" in accounts and not any(a.startswith("260") for a in accounts)  # archived
    page.select_option("#id-sales_account_code", label="210 Services Income")
    page.select_option("#id-invoice_status", label="Draft")
    page.click("input[value=Save]")
    page.wait_for_selector("ul.messagelist")
    assert "saved" in " ".join(page.locator("ul.messagelist li").all_inner_texts())
    assert page.locator("#id-sales_account_code").input_value() == "210"
    assert "sam" in page.locator("body").inner_text()  # the change is listed with who made it

    page.goto(f"{live_server.url}/admin/integrations_core/creditnote/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", label="Approve and create in the accounting system")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    messages = " ".join(page.locator("ul.messagelist li").all_inner_texts())
    assert f"{proposed_credit_note.number} approved: it is being created in Xero." in messages
    assert "approved" in page.locator("#result_list").inner_text()
