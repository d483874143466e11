"""The Xero plugin through the real SDK over HTTP against the local Xero, driven by the engine."""

import pytest

from integrations_core.errors import ResyncNotSupported
from integrations_core.invoices import invoice_mark_paid, invoice_update
from integrations_core.models import ConnectionState, InvoiceSync, SyncAttempt, SyncState
from integrations_core.resync import sync_mark_resolved, sync_resync
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sku="BREAD", sales_account_code="200", expense_account_code="310",
                          tax_type="OUTPUT2")


def _sync(invoice):
    return InvoiceSync.objects.select_related("connection").get(invoice=invoice)


def test_xero_push_creates_then_updates_one_accrec_invoice(xero, xero_conn, supplier, product, worker):
    invoice = make_invoice(supplier, lines=[line(product, quantity="2", unit_price="10")], order_reference="ORD-9")
    worker.run()

    [remote] = xero.control.invoices(TENANT_NZ, invoice_number=invoice.number)
    assert (remote["Type"], remote["Status"], remote["Reference"]) == ("ACCREC", "AUTHORISED", "ORD-9")
    assert remote["Contact"]["Name"] == "The Corner Cafe"
    line0 = remote["LineItems"][0]
    assert (line0["AccountCode"], line0["TaxType"], line0["ItemCode"]) == ("200", "OUTPUT2", "BREAD")
    sync = _sync(invoice)
    assert sync.state == SyncState.SYNCED and sync.remote_id == remote["InvoiceID"]

    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="5", unit_price="10")])
    worker.run()

    [remote] = xero.control.invoices(TENANT_NZ, invoice_number=invoice.number)
    assert float(remote["SubTotal"]) == 50.0
    assert _sync(invoice).synced_version == 2


def test_xero_paid_order_records_the_payment_and_a_later_update_shows_locked(xero, xero_conn, supplier, product,
                                                                            worker):
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    invoice, _ = invoice_mark_paid(invoice=invoice)
    worker.run()

    [remote] = xero.control.invoices(TENANT_NZ, invoice_number=invoice.number)
    assert remote["Status"] == "PAID"
    assert _sync(invoice).remote_locked
    calls = xero.control.call_count(method="POST", endpoint_contains="Invoices")

    invoice_update(invoice=invoice, order_reference="changed after payment")
    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.LOCKED
    assert sync.error_message == "Invoice is paid in Xero and locked: manage changes directly in Xero"
    assert xero.control.call_count(method="POST", endpoint_contains="Invoices") == calls  # nothing sent


def test_xero_invoice_paid_in_xero_is_locked_on_the_next_update(xero, xero_conn, supplier, product, worker):
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    xero.control.mark_invoice(TENANT_NZ, invoice.number, status="PAID")

    invoice_update(invoice=invoice, lines=[line(product, quantity="7")])
    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.LOCKED and sync.error_category == "invoice_locked"
    assert sync.locked_changes["lines"][0]["quantity"] == {"before": "1", "after": "7"}


@pytest.mark.parametrize(("code", "tax", "words"), [
    ("999", "OUTPUT2", "line 1: account code '999' is not an account code in Xero"),
    ("260", "OUTPUT2", "line 1: account code '260' is archived in Xero"),
    ("200", "INPUT2", "line 1: tax rate 'INPUT2' cannot be used on sales"),
    ("200", "BOGUS", "line 1: tax rate 'BOGUS' does not exist in Xero"),
])
def test_xero_preflight_names_the_line_and_code_without_a_push(xero, xero_conn, supplier, worker, code, tax, words):
    product = ProductFactory(supplier=supplier, sales_account_code=code, tax_type=tax)
    invoice = make_invoice(supplier, lines=[line(product)])

    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.FAILED
    assert sync.error_message == f"Account/Tax Rate must be Valid: {words}"
    assert xero.control.call_count(method="POST", endpoint_contains="Invoices") == 0


def test_xero_missing_gl_account_names_the_item(xero, xero_conn, supplier, worker):
    product = ProductFactory(supplier=supplier, sku="FLOUR", expense_account_code="")
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    assert _sync(invoice).error_message.startswith("Missing GL account: item FLOUR")


def test_xero_revoked_token_expires_the_connection_and_later_triggers_record_failed(xero, xero_conn, supplier,
                                                                                    product, worker):
    xero.control.revoke_tokens()
    first = make_invoice(supplier, lines=[line(product)])
    worker.run()
    second = make_invoice(supplier, lines=[line(product)])
    worker.run()

    xero_conn.refresh_from_db()
    assert xero_conn.state == ConnectionState.EXPIRED and xero_conn.expired_at is not None
    for invoice in (first, second):
        assert _sync(invoice).error_message.startswith("Xero connection expired: reconnect in Settings > Add-ons")
    assert "revoked" in xero_conn.expiry_reason
    assert SyncAttempt.objects.filter(sync__invoice=second).count() == 0


def test_xero_resync_and_mark_resolved_are_refused_with_the_manual_resync(xero, xero_conn, supplier, worker):
    invoice = make_invoice(supplier, lines=[line(ProductFactory(supplier=supplier, sales_account_code="999"))])
    worker.run()
    sync = _sync(invoice)
    for action in (sync_resync, sync_mark_resolved):
        with pytest.raises(ResyncNotSupported) as refused:
            action(sync=sync)
        assert "do not support Xero" in refused.value.message
        assert "use Manually Re-sync invoices to Xero instead" in refused.value.message


def test_xero_timeout_after_commit_retries_without_a_duplicate(xero, xero_conn, supplier, product, worker, settings):
    settings.XERO_READ_TIMEOUT = 0.5
    xero.control.inject_fault("timeout_after_commit", count=1, path="Invoices", method="POST", delay=1.5)
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()  # times out (Xero committed), then retries at once in tests

    assert len(xero.control.invoices(TENANT_NZ, invoice_number=invoice.number)) == 1
    assert _sync(invoice).state == SyncState.SYNCED


def test_xero_organisation_lists_are_read_once_for_every_worker_process(xero, xero_conn, supplier, product, worker):
    """Thousands of organisations on one app: a worker process that has not pushed for an organisation yet takes
    its chart and currencies from what another process read (the shared cache), not from Xero again."""
    from xero_plugin import preflight

    make_invoice(supplier, lines=[line(product, quantity="1", unit_price="10")])
    worker.run()
    reads = {name: xero.control.call_count(method="GET", endpoint_contains=name) for name in ("Accounts", "Currencies")}
    assert reads == {"Accounts": 1, "Currencies": 1}

    preflight._cache.clear()  # what a second process keeps of its own: nothing yet
    preflight._currency_cache.clear()
    invoice = make_invoice(supplier, lines=[line(product, quantity="2", unit_price="10")])
    worker.run()

    assert _sync(invoice).state == SyncState.SYNCED
    assert {name: xero.control.call_count(method="GET", endpoint_contains=name) for name in reads} == reads

    preflight.forget(xero_conn)  # Xero refused a code the lists said was good: every process reads them again
    preflight._cache.clear()
    invoice = make_invoice(supplier, lines=[line(product, quantity="3", unit_price="10")])
    worker.run()
    assert _sync(invoice).state == SyncState.SYNCED
    assert xero.control.call_count(method="GET", endpoint_contains="Accounts") == 2


def test_xero_push_reads_the_lists_from_xero_when_the_shared_cache_is_unreachable(xero, xero_conn, supplier, product,
                                                                                   worker, settings):
    """The shared copy of an organisation's lists only saves calls: with its Redis unreachable the push reads them
    from Xero and goes."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    invoice = make_invoice(supplier, lines=[line(product, quantity="1", unit_price="10")])
    worker.run()

    assert _sync(invoice).state == SyncState.SYNCED
    assert xero.control.call_count(method="GET", endpoint_contains="Accounts") == 1


def test_xero_tax_rates_are_read_once_only_for_a_tax_type_the_accounts_do_not_tell(xero, xero_conn, supplier,
                                                                                    worker):
    """A line whose tax type no account has by default (zero rated) makes one TaxRates read, kept for every process;
    a tax type Xero has deleted is refused before any push, naming the line."""
    from xero_plugin import preflight

    zero_rated = ProductFactory(supplier=supplier, sku="EXPORT", sales_account_code="200",
                                expense_account_code="310", tax_type="ZERORATED")
    first = make_invoice(supplier, lines=[line(zero_rated, quantity="1", unit_price="10")])
    worker.run()
    assert _sync(first).state == SyncState.SYNCED
    assert xero.control.call_count(method="GET", endpoint_contains="TaxRates") == 1

    for kept in (preflight._cache, preflight._tax_cache, preflight._currency_cache):
        kept.clear()  # another process
    second = make_invoice(supplier, lines=[line(zero_rated, quantity="2", unit_price="10")])
    old_rate = ProductFactory(supplier=supplier, sku="OLD", sales_account_code="200", expense_account_code="310",
                              tax_type="TAX001")
    refused = make_invoice(supplier, lines=[line(old_rate, quantity="1", unit_price="10")])
    worker.run()

    assert _sync(second).state == SyncState.SYNCED
    assert xero.control.call_count(method="GET", endpoint_contains="TaxRates") == 1
    sync = _sync(refused)
    assert sync.state == SyncState.FAILED and "line 1: tax rate 'TAX001' does not exist in Xero" in sync.error_message
    assert len(xero.control.invoices(TENANT_NZ, invoice_number=refused.number)) == 0
