"""News from the remote: a payment made there, a void, and drift found by reconciliation."""

import datetime as dt

import pytest
from django.utils import timezone

from integrations_core import registry
from integrations_core.jobs import reconcile_connections
from integrations_core.models import InvoiceStatus, InvoiceSync, SyncAttempt, SyncState
from integrations_core.remote import connection_reconcile, remote_invoice_apply
from plugins.stub import store
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


def _remote(connection, number):
    [remote] = [r for r in registry.hook().fetch_invoices(connection=connection, remote_ids=None,
                                                          modified_since=None) if r.number == number]
    return remote


def test_remote_payment_marks_the_invoice_paid_here_and_locked_without_a_call(supplier, netsuite, worker):
    invoice = make_invoice(supplier)
    worker.run()
    store.mark_remote_paid(netsuite, invoice.number)
    calls = SyncAttempt.objects.count()

    assert remote_invoice_apply(connection=netsuite, remote=_remote(netsuite, invoice.number)) == "paid"
    worker.run()

    invoice.refresh_from_db()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert invoice.status == InvoiceStatus.PAID
    assert sync.state == SyncState.LOCKED and sync.remote_locked
    assert SyncAttempt.objects.count() == calls
    assert remote_invoice_apply(connection=netsuite, remote=_remote(netsuite, invoice.number)) == "unchanged"
    assert invoice.triggers.count() == 2  # generated, paid: the replay added nothing


@pytest.mark.parametrize("status, outcome, message", [
    ("VOIDED", "voided", "Invoice is voided in NetSuite: it takes no more changes"),
    ("DELETED", "deleted", "Invoice is deleted in NetSuite: it takes no more changes"),
])
def test_a_void_or_delete_in_the_remote_shows_as_such_not_as_paid(status, outcome, message, supplier, netsuite,
                                                                  worker):
    invoice = make_invoice(supplier)
    worker.run()
    store.mark_remote(netsuite, invoice.number, status=status)

    assert remote_invoice_apply(connection=netsuite, remote=_remote(netsuite, invoice.number)) == outcome

    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.error_category, sync.error_message) == (SyncState.FAILED, f"{outcome}_remotely", message)
    assert "issue it again as a new invoice" in sync.error_fix and "paid" not in sync.error_message.lower()
    assert not sync.remote_locked
    invoice.refresh_from_db()
    assert invoice.status != InvoiceStatus.PAID


def test_reconciliation_flags_an_invoice_edited_in_the_remote(supplier, netsuite, worker):
    edited, untouched = make_invoice(supplier), make_invoice(supplier)
    worker.run()
    since = timezone.now() - dt.timedelta(minutes=5)
    store.mark_remote(netsuite, edited.number, unit_price="99")

    flagged = connection_reconcile(connection=netsuite, since=since)

    assert [s.invoice_id for s in flagged] == [edited.pk]
    sync = InvoiceSync.objects.get(invoice=edited)
    assert "NetSuite shows a total of 198.00 but version v1 we synced totals 21.00" in sync.drift_detail
    assert sync.drift_detected_at is not None
    assert InvoiceSync.objects.get(invoice=untouched).drift_detail == ""
    assert reconcile_connections() == 1  # the periodic job finds the same
