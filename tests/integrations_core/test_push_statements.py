"""The push's one-statement claim and success (PostgreSQL) read and write what the ORM path does."""

import pytest
from django.utils import timezone

from integrations_core import push_statements
from integrations_core.hookspecs import PushResult
from integrations_core.invoices import LineInput
from integrations_core.models import InvoiceSync, SyncAttempt, SyncState
from integrations_core.push_statements import claim_through_orm
from integrations_core.sync import _success_fields
from tests.factories import ProductFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _read(claimed):
    """Everything a push reads from a claim, as plain values."""
    sync, invoice, connection = claimed
    return {
        "sync": {k: v for k, v in _values(sync).items() if k not in ("syncing_since", "updated_at", "claim")},
        "connection": _values(connection),
        "invoice": _values(invoice),
        "customer": _values(invoice.customer),
        "lines": [(_values(li), li.product and _values(li.product)) for li in invoice.lines.all()],
    }


def _requeue(sync_id):
    InvoiceSync.objects.filter(pk=sync_id).update(state=SyncState.QUEUED, syncing_since=None)


@pytest.mark.skipif(not push_statements.available(), reason="the one-statement claim is PostgreSQL's")
def test_claim_reads_what_the_orm_reads_and_nothing_after(supplier, netsuite, django_assert_num_queries):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoice = make_invoice(supplier, lines=[
        line(product, quantity="3", unit_price="9.9950"),
        LineInput(description="Delivery", quantity="1", unit_price="12", account_code="260"),  # no product
        line(product, quantity="1", unit_price="4"),
    ])
    sync_id = InvoiceSync.objects.get(invoice=invoice).pk

    claimed = push_statements.claim_by_statement(sync_id, timezone.now())
    with django_assert_num_queries(0):
        by_statement = _read(claimed)
        assert claimed[0].connection is claimed[2] and claimed[0].invoice is claimed[1]
    _requeue(sync_id)
    by_orm = _read(claim_through_orm(sync_id, timezone.now()))

    assert by_statement == by_orm
    assert by_statement["connection"]["credentials"] == {"api_key": "secret-api-key"}  # decrypted
    assert [li["description"] for li, _ in by_statement["lines"]] == [product.name, "Delivery", product.name]
    assert by_statement["lines"][1][1] is None
    assert by_statement["sync"]["state"] == SyncState.SYNCING
    assert (claimed[0].claim, InvoiceSync.objects.get(pk=sync_id).claim) == (1, 2)  # each claim counted


@pytest.mark.parametrize("change", [dict(state=SyncState.SYNCED), dict(state=SyncState.SYNCING),
                                    dict(remote_locked=True), "connection expired"])
def test_claim_takes_only_a_waiting_sync_on_a_connected_connection(supplier, netsuite, change):
    sync = InvoiceSync.objects.get(invoice=make_invoice(supplier))
    if change == "connection expired":
        netsuite.state = "expired"
        netsuite.save()
    else:
        InvoiceSync.objects.filter(pk=sync.pk).update(**change)
    before = _values(InvoiceSync.objects.get(pk=sync.pk))

    assert push_statements.claim(sync.pk, timezone.now()) is None
    assert _values(InvoiceSync.objects.get(pk=sync.pk)) == before


def test_success_writes_the_attempt_and_leaves_a_sync_asked_again_alone(supplier, netsuite):
    sync = InvoiceSync.objects.get(invoice=make_invoice(supplier))
    InvoiceSync.objects.filter(pk=sync.pk).update(state=SyncState.SYNCING, repush=True, claim=4)
    attempt = SyncAttempt(sync=sync, trigger="order_updated", version=1, started_at=timezone.now(),
                          finished_at=timezone.now(), outcome="succeeded", http_status=200)
    fields = _success_fields(PushResult(remote_id="r-1", remote_status="AUTHORISED"), 1, {"total": "21.00"})

    assert push_statements.record_success(sync.pk, attempt, fields, 1, 4) is False
    assert InvoiceSync.objects.get(pk=sync.pk).state == SyncState.SYNCING  # left to the locked path
    assert list(SyncAttempt.objects.filter(sync=sync).values_list("pk", "outcome", "http_status")) == [
        (attempt.pk, "succeeded", 200)]

    InvoiceSync.objects.filter(pk=sync.pk).update(repush=False)
    stale = SyncAttempt(sync=sync, version=1, started_at=timezone.now(), outcome="succeeded")
    assert push_statements.record_success(sync.pk, stale, fields, 1, 3) is False  # an older claim's push
    assert InvoiceSync.objects.get(pk=sync.pk).state == SyncState.SYNCING
    second = SyncAttempt(sync=sync, version=1, started_at=timezone.now(), outcome="succeeded")
    assert push_statements.record_success(sync.pk, second, fields, 1, 4) is True
    sync = InvoiceSync.objects.get(pk=sync.pk)
    assert (sync.state, sync.remote_id, sync.synced_version, sync.synced_snapshot) == (
        SyncState.SYNCED, "r-1", 1, {"total": "21.00"})
    assert SyncAttempt.objects.filter(sync=sync).count() == 3


@pytest.mark.parametrize("statements", [
    pytest.param(True, id="statements", marks=pytest.mark.skipif(
        not push_statements.available(), reason="the one-statement path is PostgreSQL's")),
    pytest.param(False, id="orm (sqlite)")])
def test_a_push_ends_synced_with_one_attempt_on_either_path(supplier, netsuite, worker, monkeypatch, statements):
    monkeypatch.setattr(push_statements, "available", lambda: statements)
    invoice = make_invoice(supplier)

    worker.run()

    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.synced_version, sync.syncing_since) == (SyncState.SYNCED, 1, None)
    assert list(SyncAttempt.objects.filter(sync=sync).values_list("outcome", "version")) == [("succeeded", 1)]


@pytest.mark.skipif(not push_statements.available(), reason="the one-statement claim is PostgreSQL's")
def test_claim_says_what_else_there_is_so_a_push_reads_only_what_is_there(supplier, netsuite,
                                                                          django_assert_num_queries):
    import datetime as dt

    from integrations_core.models import ContactLink, InvoiceDocument, InvoicePayment

    bare, full = make_invoice(supplier, customer="The Other Venue"), make_invoice(supplier)
    part = InvoicePayment.objects.create(invoice=full, external_id="pay-1", amount="5.00", paid_on=dt.date(2026, 11, 2))
    pdf = InvoiceDocument.objects.create(invoice=full, version=1, file_name="INV v1.pdf", content=b"%PDF", sha256="0")
    link = ContactLink.objects.create(connection=netsuite, customer=full.customer, remote_id="c-1", remote_name="Venue")

    claimed = push_statements.claim(InvoiceSync.objects.get(invoice=full).pk, timezone.now())
    sync, invoice, connection = claimed
    assert sync.others_waiting  # the bare invoice's sync is queued
    with django_assert_num_queries(0):
        assert push_statements.contact_links(connection, [invoice.customer]) == {invoice.customer_id: link}
    with django_assert_num_queries(2):  # it has parts and a document: they are read
        assert list(invoice.payments.all()) == [part] and list(invoice.documents.all()) == [pdf]
    with django_assert_num_queries(1):  # the claim's link is taken once: a later look-up reads it anew
        assert push_statements.contact_links(connection, [invoice.customer]) == {invoice.customer_id: link}

    InvoiceSync.objects.filter(invoice=full).update(state=SyncState.SYNCED)
    sync, invoice, connection = push_statements.claim(InvoiceSync.objects.get(invoice=bare).pk, timezone.now())
    with django_assert_num_queries(0):  # none of them: nothing to read
        assert not sync.others_waiting
        assert list(invoice.payments.all()) == [] and list(invoice.documents.all()) == []
        assert push_statements.contact_links(connection, [invoice.customer]) == {}
