"""A Xero connection over time: health checks, idle refresh tokens, disconnect, cancelled orders, budgets."""

import pytest

from integrations_core.connections import connection_disconnect
from integrations_core.health import connections_check_all
from integrations_core.invoices import invoice_cancel
from integrations_core.models import Connection, ConnectionState, InvoiceSync, SyncAttempt, SyncState
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


def test_health_job_keeps_a_connection_idle_for_59_days_connected(xero, xero_conn):
    xero.control.advance_clock(59 * 86400)  # no sync for 59 days: the refresh token is one day from lapsing

    [result] = connections_check_all()

    xero_conn.refresh_from_db()
    assert result.ok and xero_conn.state == ConnectionState.CONNECTED
    xero.control.advance_clock(59 * 86400)  # another 59 days: still fine, the check refreshed it
    [result] = connections_check_all()
    assert result.ok


def test_health_job_sees_a_revoked_token_before_any_invoice_fails(xero, xero_conn):
    xero.control.revoke_tokens()

    [result] = connections_check_all()

    xero_conn.refresh_from_db()
    assert not result.ok and xero_conn.state == ConnectionState.EXPIRED and xero_conn.expired_at is not None
    assert "Xero refused the refresh" in xero_conn.expiry_reason
    assert SyncAttempt.objects.count() == 0


def test_disconnect_revokes_the_token_and_removes_the_organisation_link(xero, xero_conn):
    refresh_token = xero_conn.credentials["token"]["refresh_token"]

    connection_disconnect(connection_id=xero_conn.pk)

    xero_conn.refresh_from_db()
    assert xero_conn.state == ConnectionState.DISCONNECTED and xero_conn.credentials == {}
    assert xero.control.call_count(method="DELETE", endpoint_contains="connections") == 1
    assert xero.control.call_count(endpoint_contains="revocation") == 1
    import requests
    refused = requests.post(xero.token_url, data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                            auth=(xero.client_id, xero.client_secret), timeout=5)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_cancelled_order_voids_its_invoice_in_xero(xero, xero_conn, supplier, worker):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()

    invoice_cancel(invoice=invoice)
    worker.run()

    assert xero.control.invoices(TENANT_NZ, invoice_number=invoice.number)[0]["Status"] == "VOIDED"
    assert InvoiceSync.objects.get(invoice=invoice).remote_status == "VOIDED"


def test_spent_minute_budget_waits_without_calling_xero(xero, xero_conn, supplier, worker, settings):
    # The first push reads the chart and the currencies (2 calls) and pushes (1); the second pushes (1); the third
    # finds the minute spent. (One after the other: generated at once, the three would go in one call.)
    settings.XERO_MINUTE_LIMIT = 4
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoices = []
    for _ in range(3):
        invoices.append(make_invoice(supplier, lines=[line(product)]))
        worker.run()

    states = sorted(InvoiceSync.objects.filter(invoice__in=invoices).values_list("state", flat=True))
    assert states == [SyncState.RETRYING, SyncState.SYNCED, SyncState.SYNCED]
    waiting = InvoiceSync.objects.get(state=SyncState.RETRYING)
    assert waiting.error_message.startswith("Sync unsuccessful (rate limited)") and waiting.attempts == 0
    assert xero.control.call_count(method="POST", endpoint_contains="Invoices") == 2
    assert Connection.objects.get(pk=xero_conn.pk).state == ConnectionState.CONNECTED


def test_invoices_made_while_disconnected_are_the_backlog_once_reconnected(xero, xero_conn, supplier, worker):
    from integrations_core.connections import _mark_connected
    from integrations_core.hookspecs import RemoteTenant
    from integrations_core.invoices import invoice_update
    from integrations_core.selectors import connection_backlog, connections_for
    from integrations_core.bulk import resync as manual_resync, select_invoices
    from xero_plugin.tokens import store_token

    product = ProductFactory(supplier=supplier, sku="BREAD", sales_account_code="200", tax_type="OUTPUT2")
    connection_disconnect(connection_id=xero_conn.pk, supplier=supplier)
    made = [make_invoice(supplier, lines=[line(product)], number=f"INV-AWAY-{n}") for n in range(3)]
    changed, _ = invoice_update(invoice=made[0], order_reference="PO-CHANGED")
    worker.run()
    assert xero.control.invoices(TENANT_NZ, invoice_number="INV-AWAY-0") == []

    xero_conn.refresh_from_db()
    store_token(xero_conn, xero.control.issue_tokens([TENANT_NZ]))  # the supplier connects the same organisation
    _mark_connected(xero_conn, RemoteTenant(id=TENANT_NZ, name="Demo Company (NZ)"))

    backlog = connection_backlog(connection=xero_conn)
    assert sorted(s.invoice.number for s in backlog) == ["INV-AWAY-0", "INV-AWAY-1", "INV-AWAY-2"]
    assert {s.error_category for s in backlog} == {"not_connected"}
    assert "Xero is not connected" in backlog[0].error_message
    assert connections_for(supplier_id=supplier.pk).get(pk=xero_conn.pk).backlog_count == 3

    outcomes = manual_resync(connection=xero_conn, invoices=select_invoices(connection=xero_conn, backlog=True))
    assert sorted(o.result for o in outcomes) == ["created"] * 3
    [remote] = xero.control.invoices(TENANT_NZ, invoice_number="INV-AWAY-0")
    assert remote["Reference"] == "PO-CHANGED"  # at its latest version
    assert not connection_backlog(connection=xero_conn).exists()
