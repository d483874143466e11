"""Expiry and reconnect: triggers while expired are recorded, reconnecting re-syncs nothing, the
backlog lists what was missed."""

import pytest

from integrations_core.connections import connection_disconnect
from integrations_core.invoices import invoice_update
from integrations_core.models import ConnectionState, InvoiceSync, SyncAttempt, SyncState, Trigger
from integrations_core.resync import sync_resync
from integrations_core.selectors import connection_backlog
from plugins.stub import store
from tests.connecting import reconnect
from tests.factories import ConnectionFactory, ProductFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def test_expired_connection_records_triggers_as_failed_and_reconnect_resyncs_nothing(supplier, worker):
    connection = ConnectionFactory(supplier=supplier, provider="netsuite", expired=True)
    product = ProductFactory(supplier=supplier)
    missed = [make_invoice(supplier, lines=[line(product)]) for _ in range(3)]
    invoice_update(invoice=missed[0], lines=[line(product, quantity="4")])
    worker.run()

    for invoice in missed:
        sync = InvoiceSync.objects.get(invoice=invoice)
        assert sync.state == SyncState.FAILED and sync.error_category == "auth_expired"
        assert sync.error_message == "NetSuite connection expired: reconnect in Settings > Add-ons"
    assert Trigger.objects.filter(invoice__in=missed).count() == 4  # recorded, never dropped
    assert SyncAttempt.objects.count() == 0  # and no call was made
    assert store.remote_invoices(connection) == []

    reconnected = reconnect(supplier)
    worker.run()

    assert reconnected.pk == connection.pk and reconnected.state == ConnectionState.CONNECTED
    assert store.remote_invoices(connection) == []  # reconnecting restores the connection only
    backlog = connection_backlog(connection=reconnected)
    assert sorted(s.invoice.number for s in backlog) == sorted(i.number for i in missed)

    for sync in backlog:
        sync_resync(sync=sync)
    worker.run()

    assert list(connection_backlog(connection=reconnected)) == []
    assert sorted(r.number for r in store.remote_invoices(connection)) == sorted(i.number for i in missed)
    assert {r.number: r.version for r in store.remote_invoices(connection)}[missed[0].number] == 2


def test_expiry_midway_then_new_invoices_fail_without_calls(supplier, netsuite, worker):
    store.inject_fault(netsuite, "auth_expired")
    first = make_invoice(supplier)
    worker.run()
    second = make_invoice(supplier)
    worker.run()

    netsuite.refresh_from_db()
    assert netsuite.state == ConnectionState.EXPIRED
    assert SyncAttempt.objects.filter(sync__invoice=second).count() == 0
    assert {s.invoice_id for s in connection_backlog(connection=netsuite)} == {first.pk, second.pk}


def test_disconnect_drops_credentials_and_stops_pushes(supplier, netsuite, worker):
    connection = connection_disconnect(connection_id=netsuite.pk)

    assert connection.state == ConnectionState.DISCONNECTED
    connection.refresh_from_db()
    assert connection.credentials == {}
    make_invoice(supplier)  # no live connection: nothing to sync, nothing queued
    assert worker.run() == 0


def test_connection_credentials_are_encrypted_at_rest(netsuite):
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations_core_connection WHERE id = %s", [netsuite.pk])
        [stored] = cursor.fetchone()
    assert "secret-api-key" not in stored and stored.startswith("gAAAA")
    netsuite.refresh_from_db()
    assert netsuite.credentials == {"api_key": "secret-api-key"}
    assert "secret" not in repr(netsuite) and "secret" not in str(netsuite)
