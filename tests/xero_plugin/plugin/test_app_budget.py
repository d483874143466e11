"""Xero's app-wide minute budget (10,000 calls across every organisation, XERO.md 6.4), kept by every worker like
the organisation's, and the share of each organisation's minute and day kept for live pushes while bulk work runs."""


import pytest

from integrations_core.errors import PushError
from integrations_core.models import InvoiceSync, SyncState
from tests.factories import ProductFactory, SupplierFactory, line, make_invoice
from tests.xero_plugin.connecting import xero_connection
from xero_plugin import limits, push
from xero_plugin.sandbox import TENANT_AU, TENANT_NZ

pytestmark = pytest.mark.django_db

APP_WORDING = "across all organisations"


def test_the_app_budget_binds_across_two_organisations(xero, xero_conn, supplier, worker, settings):
    # The NZ push reads the chart and the currencies and pushes: 3 calls, the app's whole minute here.
    settings.XERO_APP_MINUTE_LIMIT = 3
    other = SupplierFactory()
    au_conn = xero_connection(xero, other, tenant_id=TENANT_AU)
    nz_invoice = make_invoice(supplier, lines=[line(ProductFactory(supplier=supplier, sales_account_code="200",
                                                                   tax_type="OUTPUT2"))])
    au_invoice = make_invoice(other, lines=[line(ProductFactory(supplier=other, sales_account_code="200",
                                                                tax_type="OUTPUT"))])

    worker.run()

    assert InvoiceSync.objects.get(invoice=nz_invoice).state == SyncState.SYNCED
    waiting = InvoiceSync.objects.get(invoice=au_invoice, connection=au_conn)
    assert waiting.state == SyncState.RETRYING and waiting.attempts == 0
    assert waiting.error_message.startswith("Sync unsuccessful (rate limited)")
    assert APP_WORDING in waiting.error_message and "not this organisation's" in waiting.error_message
    assert xero.control.call_count(tenant_id=TENANT_AU) == 0  # refused here, not by Xero
    assert xero.control.call_count(tenant_id=TENANT_NZ) == 3


def test_the_app_budget_refusal_waits_until_the_app_window_resets(xero, settings):
    settings.XERO_APP_MINUTE_LIMIT = 2
    limits.spend(TENANT_NZ)
    limits.spend(TENANT_AU)
    with pytest.raises(PushError) as refused:
        limits.spend(TENANT_NZ)  # the organisation has most of its own minute left
    error = refused.value.classified
    assert error.category.value == "rate_limited" and APP_WORDING in error.detail
    assert 1.0 <= error.retry_after <= 60.0


def test_xeros_appminute_429_reads_as_the_apps_rate_limit(xero, xero_conn, supplier, worker):
    xero.control.set_app_minute_limit(2, reset_counters=True)  # the chart and the currencies, then the push is refused
    invoice = make_invoice(supplier, lines=[line(ProductFactory(supplier=supplier, sales_account_code="200",
                                                                tax_type="OUTPUT2"))])

    worker.run()

    sync = InvoiceSync.objects.get(invoice=invoice)
    assert sync.state == SyncState.RETRYING
    assert sync.error_message.startswith("Sync unsuccessful (rate limited)")
    assert APP_WORDING in sync.error_message and "not this organisation's" in sync.error_message


def test_a_live_push_finds_its_share_while_bulk_work_has_spent_its_part(xero, xero_conn, supplier, worker, settings):
    settings.XERO_MINUTE_LIMIT, settings.XERO_LIVE_SHARE = 8, 4
    limits.spend(xero_conn.tenant_id, calls=4, bulk=True)  # bulk work's whole part of the minute
    with pytest.raises(PushError) as refused:
        limits.spend(xero_conn.tenant_id, bulk=True)
    assert "kept for live pushes" in refused.value.classified.detail
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    live = make_invoice(supplier, lines=[line(product)])

    worker.run()  # the chart, the currencies and the push: 3 of the 4 kept

    assert InvoiceSync.objects.get(invoice=live).state == SyncState.SYNCED
    pushed = xero.control.call_count(method="POST", endpoint_contains="Invoices")
    assert pushed == 1

    # A re-sync's push is refused unsent, with the wait until the minute returns: no worker sleeps on it.
    sync = InvoiceSync.objects.get(invoice=live)
    [refused] = push.push_many(xero_conn, [live], [sync])
    assert refused.category.value == "rate_limited" and 1.0 <= refused.retry_after <= 60.0
    assert xero.control.call_count(method="POST", endpoint_contains="Invoices") == pushed
    limits.spend(xero_conn.tenant_id)  # the live share's last call is still there


def test_bulk_work_leaves_the_live_share_of_the_day(xero, xero_conn, supplier, worker, settings):
    settings.XERO_MINUTE_LIMIT, settings.XERO_DAY_LIMIT, settings.XERO_LIVE_DAY_SHARE = 1000, 10, 4
    limits.spend(xero_conn.tenant_id, calls=6, bulk=True)  # bulk work's whole part of the day
    with pytest.raises(PushError) as refused:
        limits.spend(xero_conn.tenant_id, bulk=True)
    assert "day budget is spent (4 calls a day are kept for live pushes)" in refused.value.classified.detail
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    live = make_invoice(supplier, lines=[line(product)])

    worker.run()  # the chart, the currencies and the push: 3 of the 4 kept

    assert InvoiceSync.objects.get(invoice=live).state == SyncState.SYNCED
