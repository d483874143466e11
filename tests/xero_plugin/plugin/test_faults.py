"""Exactly once under faults, and tokens refreshed once when two workers race."""

import threading

import pytest
from django.db import connection as db

from integrations_core import live_batch
from integrations_core.models import Connection, ConnectionState, InvoiceSync, SyncState
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_NZ
from xero_plugin.tokens import fresh_token

pytestmark = pytest.mark.django_db
KINDS = ["timeout_after_commit", "drop_after_commit", "500", "503", "429"]


@pytest.mark.slow  # a thousand pushes through faults: a system test
def test_xero_1000_pushes_with_20_percent_faults_make_no_duplicate(xero, xero_conn, supplier, worker, settings,
                                                                   monkeypatch):
    # One call per push, so that the faults fall on 20% of the pushes (taken together, ten faults in a row would
    # all fall on one batch of 50: test_xero_live_batches_through_faults_make_no_duplicate is that case).
    monkeypatch.setattr(live_batch, "batch_limit", lambda connection: 0)
    settings.XERO_MINUTE_LIMIT = settings.XERO_DAY_LIMIT = 10**6
    settings.XERO_READ_TIMEOUT = 0.2
    settings.INTEGRATIONS_MAX_ATTEMPTS = 6
    xero.control.relax_limits()
    product = ProductFactory(supplier=supplier, sales_account_code="200", expense_account_code="310",
                             tax_type="OUTPUT2")
    invoices = []
    for batch in range(20):  # 50 invoices, 10 faults (20%) of one kind, per round
        xero.control.inject_fault(KINDS[batch % len(KINDS)], count=10, path="/Invoices", method="POST", delay=0.4)
        invoices += [make_invoice(supplier, lines=[line(product)]) for _ in range(50)]
        worker.run()
        while worker.run_scheduled(within=3600):  # 429's Retry-After, moved forward
            pass

    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}
    states = dict.fromkeys(SyncState.values, 0)
    for sync in InvoiceSync.objects.filter(invoice__in=invoices):
        states[sync.state] += 1
        if sync.state == SyncState.SYNCED:
            assert sync.synced_version == 1
        else:
            assert sync.state == SyncState.FAILED and sync.error_message and sync.error_fix
    assert states[SyncState.SYNCED] >= 990, states
    assert len(xero.control.invoices(TENANT_NZ)) >= states[SyncState.SYNCED]


@pytest.mark.slow
def test_xero_live_batches_through_faults_make_no_duplicate(xero, xero_conn, supplier, worker, settings):
    """Pushes taken together, 50 to a call, through each fault twice: a batch whose answer was lost (committed in
    Xero) is sent again under a new key and updates the same invoices."""
    settings.XERO_MINUTE_LIMIT = settings.XERO_DAY_LIMIT = 10**6
    # Far from a batch's own answer time on a loaded machine, so that only the faults time out.
    settings.XERO_READ_TIMEOUT = 1.0
    settings.INTEGRATIONS_MAX_ATTEMPTS = 6
    xero.control.relax_limits()
    product = ProductFactory(supplier=supplier, sales_account_code="200", expense_account_code="310",
                             tax_type="OUTPUT2")
    invoices = []
    for kind in KINDS:
        xero.control.inject_fault(kind, count=2, path="/Invoices", method="POST", delay=2.0)
        invoices += [make_invoice(supplier, lines=[line(product)]) for _ in range(50)]
        worker.run()
        while worker.run_scheduled(within=3600):
            pass

    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}
    syncs = InvoiceSync.objects.filter(invoice__in=invoices)
    assert {(s.state, s.synced_version) for s in syncs} == {(SyncState.SYNCED, 1)}
    assert sorted(r["InvoiceNumber"] for r in xero.control.invoices(TENANT_NZ)) == sorted(i.number for i in invoices)
    # 250 invoices in a few calls a round: each round's batch, its two faulted tries, and room for one more (a
    # retry's batch split by a push that came due on its own).
    assert xero.control.call_count(method="POST", endpoint_contains="Invoices") <= len(KINDS) * 4


@pytest.mark.django_db(transaction=True)  # threads: two workers refresh the token on their own connections
def test_xero_two_workers_refreshing_at_once_leave_the_connection_connected(xero, xero_conn):
    token = xero_conn.credentials["token"]
    token["expires_at"] = 0  # both workers see an access token about to expire
    Connection.objects.filter(pk=xero_conn.pk).update(credentials=xero_conn.credentials)
    results, errors = [], []

    def refresh():
        try:
            worker_view = Connection.objects.get(pk=xero_conn.pk)
            results.append(fresh_token(worker_view)["access_token"])
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(set(results)) == 1  # the one that waited used the new token
    xero_conn.refresh_from_db()
    assert xero_conn.state == ConnectionState.CONNECTED
    assert xero_conn.credentials["token"]["access_token"] == results[0]
    assert xero.control.call_count(endpoint_contains="connect/token") == 1
