"""The engine's policy: each error category lands in its state, with the seed's message."""

import datetime as dt

import pytest
from django.utils import timezone

from integrations_core import push_statements
from integrations_core.invoices import invoice_update
from integrations_core.models import ConnectionState, InvoiceSync, SyncAttempt, SyncState
from integrations_core.resync import sync_resync
from plugins.stub import store
from tests.factories import ProductFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def _sync(invoice):
    return InvoiceSync.objects.select_related("connection").get(invoice=invoice)


def test_sync_transient_failure_retries_with_backoff_then_succeeds(supplier, netsuite, worker, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 30
    store.inject_fault(netsuite, "timeout")
    invoice = make_invoice(supplier)

    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.RETRYING
    assert sync.error_message == "Sync unsuccessful" and sync.error_category == "transient"
    assert sync.attempts == 1
    wait = (sync.next_retry_at - timezone.now()).total_seconds()
    assert 14 <= wait <= 31  # 30 s step, equal jitter
    assert len(worker.scheduled()) == 1  # an RQ scheduled job, not a sleeping worker

    worker.run_scheduled(within=60)

    sync = _sync(invoice)
    assert sync.state == SyncState.SYNCED and sync.attempts == 0 and sync.error_message == ""
    assert store.remote_invoices(netsuite)[0].version == 1


def test_sync_transient_failure_fails_after_the_set_number_of_attempts(supplier, netsuite, worker, settings):
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    store.inject_fault(netsuite, "timeout", count=5)
    invoice = make_invoice(supplier)

    worker.run()  # retries with no wait in tests, so the burst runs all three

    sync = _sync(invoice)
    assert sync.state == SyncState.FAILED and sync.attempts == 3
    assert sync.error_message == "Sync unsuccessful"
    # Nothing retries any more: the fix says so, and what a person does.
    assert "failed 3 times in a row and will not retry by itself" in sync.error_fix
    assert "re-sync the invoice (Resync)" in sync.error_fix and "retries by itself" not in sync.error_fix
    assert SyncAttempt.objects.filter(sync=sync, outcome="failed").count() == 3
    assert store.remote_invoices(netsuite) == []


def test_sync_rate_limited_waits_retry_after_and_is_not_counted(supplier, netsuite, worker):
    store.inject_fault(netsuite, "rate_limited", count=2, retry_after=45)
    invoice = make_invoice(supplier)

    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.RETRYING
    assert sync.error_message == "Sync unsuccessful (rate limited)"
    assert sync.attempts == 0  # a rate limit is not a failed attempt
    # Retry-After, not the backoff (0 s in tests); the margin is the time the worker took to get here.
    assert 40 <= (sync.next_retry_at - timezone.now()).total_seconds() <= 46
    worker.run_scheduled(within=60)
    worker.run_scheduled(within=60)
    sync = _sync(invoice)
    assert sync.state == SyncState.SYNCED
    assert SyncAttempt.objects.filter(sync=sync).count() == 3


def test_sync_auth_expired_expires_the_connection_without_retry(supplier, netsuite, worker):
    store.inject_fault(netsuite, "auth_expired")
    invoice = make_invoice(supplier)

    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.FAILED
    assert sync.error_message == "NetSuite connection expired: reconnect in Settings > Add-ons"
    assert worker.scheduled() == []
    netsuite.refresh_from_db()
    assert netsuite.state == ConnectionState.EXPIRED and netsuite.expired_at is not None
    assert "expired" in netsuite.expiry_reason


def test_sync_invoice_locked_is_never_retried_and_later_updates_send_nothing(supplier, netsuite, worker):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    store.mark_remote_paid(netsuite, invoice.number)  # paid in the remote system

    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="5")])
    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.LOCKED
    assert sync.error_message == "Invoice is paid in NetSuite and locked: manage changes directly in NetSuite"
    assert worker.scheduled() == []
    attempts = SyncAttempt.objects.filter(sync=sync).count()

    invoice_update(invoice=invoice, lines=[line(product, quantity="6")])
    worker.run()

    assert SyncAttempt.objects.filter(sync=sync).count() == attempts  # no call at all
    assert _sync(invoice).state == SyncState.LOCKED
    assert store.remote_invoices(netsuite)[0].version == 1


def test_sync_missing_gl_account_names_the_item(supplier, netsuite, worker):
    product = ProductFactory(supplier=supplier, no_gl_account=True, sku="FLOUR")
    invoice = make_invoice(supplier, lines=[line(product)])

    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.FAILED and sync.error_category == "missing_gl_account"
    assert sync.error_message.startswith("Missing GL account")
    assert "FLOUR" in sync.error_message
    assert "expense" in sync.error_fix


def test_sync_invalid_account_names_the_line_and_code_and_clears_after_the_fix(supplier, netsuite, worker):
    good = ProductFactory(supplier=supplier)
    bad = ProductFactory(supplier=supplier, bad_account=True)
    invoice = make_invoice(supplier, lines=[line(good), line(bad)])

    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.FAILED
    assert sync.error_message.startswith("Account/Tax Rate must be Valid")
    assert "line 2" in sync.error_message and "'999'" in sync.error_message

    bad.sales_account_code = "200"
    bad.save()
    sync_resync(sync=sync)
    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.SYNCED and sync.error_message == "" and sync.error_category == ""


@pytest.mark.parametrize(
    ("fault", "category", "message"),
    [
        ("validation", "validation", "NetSuite rejected the invoice: stub remote says validation"),
        ("not_found", "not_found", "The NetSuite copy of this invoice is gone (deleted in NetSuite)"),
        ("unknown", "unknown", "Sync unsuccessful"),
        ("crash", "unknown", "Sync unsuccessful"),
    ],
)
def test_sync_other_failures_need_a_person(supplier, netsuite, worker, fault, category, message):
    store.inject_fault(netsuite, fault)
    invoice = make_invoice(supplier)

    worker.run()

    sync = _sync(invoice)
    assert (sync.state, sync.error_category, sync.error_message) == (SyncState.FAILED, category, message)
    assert sync.error_fix
    assert worker.scheduled() == []
    attempt = SyncAttempt.objects.get(sync=sync)
    assert attempt.outcome == "failed" and attempt.error_category == category
    assert "should-never-be-stored" not in attempt.raw_error  # secrets removed from stored bodies


def test_sync_never_moves_back_to_an_older_version(supplier, netsuite, worker):
    from integrations_core.sync import record_success
    from integrations_core.hookspecs import PushResult

    invoice = make_invoice(supplier)
    worker.run()
    sync = _sync(invoice)
    # A late answer for version 1, recorded as the engine records every push: its attempt written with it.
    attempt = SyncAttempt(sync=sync, version=1, started_at=timezone.now() - dt.timedelta(seconds=1))
    InvoiceSync.objects.filter(pk=sync.pk).update(synced_version=3)

    record_success(sync.pk, attempt, PushResult(remote_id=sync.remote_id), version=1, claim=sync.claim)

    assert _sync(invoice).synced_version == 3
    assert SyncAttempt.objects.get(pk=attempt.pk).outcome == SyncAttempt.Outcome.SUCCEEDED


def test_sync_change_after_payment_is_kept_with_the_adjustment_and_makes_no_call(supplier, netsuite, worker):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product, quantity="4", unit_price="10"),
                                            line(product, quantity="1", unit_price="5")])
    worker.run()
    store.mark_remote_paid(netsuite, invoice.number)
    store.inject_fault(netsuite, "locked")  # the next push finds the remote copy paid
    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="3", unit_price="10"),
                                                        line(product, quantity="1", unit_price="5")])
    worker.run()
    calls = SyncAttempt.objects.filter(sync__invoice=invoice).count()
    assert _sync(invoice).locked_changes["difference"] == "-10.00"

    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="2", unit_price="10"),
                                                        line(product, quantity="1", unit_price="5")])
    worker.run()

    sync = _sync(invoice)
    assert sync.state == SyncState.LOCKED
    assert SyncAttempt.objects.filter(sync__invoice=invoice).count() == calls  # no call made
    changes = sync.locked_changes
    assert changes["lines"] == [{"position": 1, "description": product.name,
                                 "quantity": {"before": "4", "after": "2"},
                                 "amount": {"before": "40.00", "after": "20.00"}}]
    assert (changes["total_before"], changes["total_after"], changes["difference"]) == ("45.00", "25.00", "-20.00")
    assert changes["suggestion"] == f"Raise a credit note in NetSuite for 20.00 AUD against invoice {invoice.number}."


@pytest.mark.skipif(not push_statements.available(), reason="row locks: SQLite has one writer, not two racing claims")
@pytest.mark.django_db(transaction=True)  # threads: the rival claim waits for this connection's lock
def test_sync_claim_is_taken_once_when_two_jobs_race(supplier, netsuite):
    """Two jobs for one sync (say a scheduled retry and a new trigger's push) claiming it at once: one wins."""
    import threading

    from django.db import connection as db, transaction

    from integrations_core.sync import _claim

    sync = _sync(make_invoice(supplier))
    rival = {}

    def claim_too():
        try:
            rival["claim"] = _claim(sync.pk)
        finally:
            db.close()

    with transaction.atomic():
        assert _claim(sync.pk) is not None  # the sync's row stays locked until this block commits
        thread = threading.Thread(target=claim_too)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # the rival waits for the lock
    thread.join()

    assert rival["claim"] is None
    assert _sync(sync.invoice).state == SyncState.SYNCING
