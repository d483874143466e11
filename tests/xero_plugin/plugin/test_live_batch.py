"""Live pushes of one organisation taken together when they outrun its minute: up to 50 in one POST /Invoices,
spent from the live minute, each invoice ending as its own push would have ended it."""

import math

import pytest

from integrations_core.invoices import invoice_cancel, invoice_update
from integrations_core.models import InvoiceSync, SyncAttempt, SyncState
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin import limits
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")


def _posts(xero) -> int:
    return xero.control.call_count(method="POST", endpoint_contains="Invoices")


def test_live_batch_120_invoices_at_once_go_50_to_a_call_each_once(xero, xero_conn, supplier, product, worker,
                                                                  settings):
    settings.XERO_MINUTE_LIMIT = 20  # one call per invoice cannot fit in the minute
    invoices = [make_invoice(supplier, lines=[line(product)]) for _ in range(120)]

    worker.run()

    syncs = InvoiceSync.objects.filter(connection=xero_conn)
    assert syncs.count() == 120 and {s.state for s in syncs} == {SyncState.SYNCED}
    assert {s.synced_version for s in syncs} == {1} and all(s.remote_id for s in syncs)
    assert _posts(xero) <= math.ceil(120 / 50), _posts(xero)
    remote = xero.control.invoices(TENANT_NZ)
    assert sorted(r["InvoiceNumber"] for r in remote) == sorted(i.number for i in invoices)  # each once
    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}
    assert {r["Status"] for r in remote} == {"AUTHORISED"}
    assert SyncAttempt.objects.filter(sync__connection=xero_conn).count() == 120  # one attempt each
    assert xero.control.call_count(tenant_id=TENANT_NZ) <= settings.XERO_MINUTE_LIMIT


def test_live_batch_spends_the_live_share_not_bulk_works_part(xero, xero_conn, supplier, product, worker, settings):
    settings.XERO_MINUTE_LIMIT, settings.XERO_LIVE_SHARE = 8, 4
    limits.spend(xero_conn.tenant_id, calls=4, bulk=True)  # bulk work's whole part of the minute
    invoices = [make_invoice(supplier, lines=[line(product)]) for _ in range(10)]

    worker.run()  # the chart, the currencies and one push of the ten: 3 of the 4 kept for live pushes

    assert {s.state for s in InvoiceSync.objects.filter(invoice__in=invoices)} == {SyncState.SYNCED}
    assert _posts(xero) == 1


def test_live_batch_a_cancelled_invoice_among_waiting_ones_is_still_voided(xero, xero_conn, supplier, product,
                                                                           worker):
    invoices = [make_invoice(supplier, lines=[line(product)]) for _ in range(3)]
    worker.run()
    assert _posts(xero) == 1

    invoice_update(invoice=invoices[0], order_reference="PO-CHANGED")
    invoice_cancel(invoice=invoices[1])
    invoice_update(invoice=invoices[2], order_reference="PO-CHANGED")
    worker.run()

    remote = {r["InvoiceNumber"]: r for r in xero.control.invoices(TENANT_NZ)}
    assert remote[invoices[1].number]["Status"] == "VOIDED"
    assert [remote[i.number]["Reference"] for i in (invoices[0], invoices[2])] == ["PO-CHANGED"] * 2
    assert _posts(xero) == 3  # the two updates together, and the void alone
    syncs = {s.invoice_id: s for s in InvoiceSync.objects.filter(connection=xero_conn)}
    assert syncs[invoices[1].pk].remote_status == "VOIDED"
    assert {s.state for s in syncs.values()} == {SyncState.SYNCED}
    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}


def test_live_batch_refusals_read_as_a_single_pushs_do(xero, xero_conn, supplier, product, worker):
    alone = make_invoice(supplier, lines=[line(product)], currency="EUR")
    worker.run()
    single = InvoiceSync.objects.get(invoice=alone)
    posts = _posts(xero)

    together = [make_invoice(supplier, lines=[line(product)], currency=c) for c in ("NZD", "EUR", "NZD")]
    worker.run()

    syncs = {s.invoice_id: s for s in InvoiceSync.objects.filter(invoice__in=together)}
    refused = syncs[together[1].pk]
    assert (refused.state, refused.error_category) == (single.state, single.error_category) == (
        SyncState.FAILED, "currency_not_enabled")
    assert (refused.error_message, refused.error_fix) == (single.error_message, single.error_fix)
    assert SyncAttempt.objects.get(sync=refused).error_message == SyncAttempt.objects.get(sync=single).error_message
    assert {syncs[i.pk].state for i in (together[0], together[2])} == {SyncState.SYNCED}
    assert _posts(xero) == posts + 1  # refused before the call, the other two in one


def test_live_batch_rate_limited_goes_retrying_with_the_windows_wait(xero, xero_conn, supplier, product, worker,
                                                                     settings):
    settings.XERO_MINUTE_LIMIT = 5
    limits.spend(xero_conn.tenant_id, calls=3)  # the chart, the currencies, then the minute is spent
    invoices = [make_invoice(supplier, lines=[line(product)]) for _ in range(4)]

    worker.run()

    syncs = InvoiceSync.objects.filter(invoice__in=invoices)
    assert {(s.state, s.attempts, s.error_category) for s in syncs} == {(SyncState.RETRYING, 0, "rate_limited")}
    assert all(s.next_retry_at is not None for s in syncs)
    assert _posts(xero) == 0  # refused here, not by Xero
    assert {int(job_id.split("-")[1]) for job_id, _ in worker.scheduled()} == {s.pk for s in syncs}
