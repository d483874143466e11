"""The webhook job reads invoices back from Xero: an organisation whose read-back fails keeps its events for
RQ's retry without holding up the others, and events whose job was lost are queued again. Real SDK, local Xero."""

import django_rq
import pytest

from integrations_core.models import InvoiceStatus, RemoteEvent
from tests.factories import ProductFactory, SupplierFactory, line, make_invoice
from tests.xero_plugin.connecting import xero_connection
from xero_plugin.sandbox import TENANT_NZ, TENANT_NZ2
from xero_plugin.webhooks import events_retry

pytestmark = pytest.mark.django_db(transaction=True)  # live server: its thread handles the local Xero's webhook


def _invoice(supplier, number):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    return make_invoice(supplier, lines=[line(product)], number=number)


def _paid_in_xero(xero, live_server, *pairs):
    xero.control.set_webhook(f"{live_server.url}/xero/webhooks/")
    xero.control.intent_to_receive()
    for tenant_id, invoice in pairs:
        xero.control.mark_invoice(tenant_id, invoice.number, status="PAID")
    xero.control.webhook_deliveries(flush=True)


def test_lost_events_are_queued_again_and_one_organisations_failed_read_back_does_not_stop_the_others(
        xero, xero_conn, supplier, worker, live_server):
    kiwi = SupplierFactory()
    xero_connection(xero, kiwi, tenant_id=TENANT_NZ2)
    ours, theirs = _invoice(supplier, "INV-RB-NZ"), _invoice(kiwi, "INV-RB-KIWI")
    worker.run()
    _paid_in_xero(xero, live_server, (TENANT_NZ, ours), (TENANT_NZ2, theirs))
    django_rq.get_connection("pushes").flushdb()  # the jobs the webhooks queued are lost with Redis
    assert RemoteEvent.objects.filter(processed_at__isnull=True).count() == 2
    assert events_retry(older_than_seconds=3600) == 0  # not old enough yet

    xero.control.inject_fault("503", path="/Invoices", method="GET", tenant_id=TENANT_NZ2)
    assert events_retry(older_than_seconds=0) == 2  # one job for both organisations
    worker.run()

    for invoice in (ours, theirs):
        invoice.refresh_from_db()
    assert (ours.status, theirs.status) == (InvoiceStatus.PAID, InvoiceStatus.ISSUED)
    assert list(RemoteEvent.objects.filter(processed_at__isnull=True).values_list("tenant_id", flat=True)) == [
        TENANT_NZ2]
    assert events_retry(older_than_seconds=0) == 0  # RQ's retry of that job holds it: not queued twice

    worker.run_scheduled(within=60)

    theirs.refresh_from_db()
    assert theirs.status == InvoiceStatus.PAID
    assert [i["Status"] for i in xero.control.invoices(TENANT_NZ2)] == ["PAID"]
    assert set(RemoteEvent.objects.values_list("outcome", flat=True)) == {"paid"}
    assert not RemoteEvent.objects.filter(processed_at__isnull=True).exists()
