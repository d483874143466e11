"""The troubleshooting checklist, run for one invoice: the right finding and fix for each cause."""

import pytest

from integrations_core.diagnosis import invoice_diagnose
from integrations_core.invoices import invoice_update
from integrations_core.models import InvoiceSync
from integrations_core.resync import sync_resync
from plugins.stub import store
from tests.connecting import reconnect
from tests.factories import ConnectionFactory, ProductFactory, SupplierFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def _failing(invoice) -> dict:
    [diagnosis] = invoice_diagnose(invoice=invoice)
    return {f.check: f for f in diagnosis.findings if not f.ok}


def test_diagnosis_all_clear_for_a_synced_invoice(supplier, netsuite, worker):
    invoice = make_invoice(supplier)
    worker.run()
    [diagnosis] = invoice_diagnose(invoice=invoice)
    assert diagnosis.ok and [f.check for f in diagnosis.findings] == [
        "connected", "not_locked", "no_error", "resynced_after_reconnect", "trigger_recorded", "remote_matches"]


def test_diagnosis_expired_auth(supplier, netsuite, worker):
    store.inject_fault(netsuite, "auth_expired")
    invoice = make_invoice(supplier)
    worker.run()

    failing = _failing(invoice)
    assert "NetSuite is expired" in failing["connected"].message
    assert "Disconnect and reconnect NetSuite in Settings > Add-ons" in failing["connected"].fix
    assert failing["no_error"].message == "NetSuite connection expired: reconnect in Settings > Add-ons"


def test_diagnosis_paid_and_locked(supplier, netsuite, worker):
    product = ProductFactory(supplier=supplier)
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    store.mark_remote_paid(netsuite, invoice.number)
    invoice, _ = invoice_update(invoice=invoice, lines=[line(product, quantity="9")])
    worker.run()

    failing = _failing(invoice)
    assert "paid in NetSuite and locked" in failing["not_locked"].message
    assert failing["not_locked"].fix == "Manage changes to a paid invoice directly in NetSuite."
    assert failing["remote_matches"].fix == "Manage changes directly in NetSuite."


@pytest.mark.parametrize(
    ("make_product", "message", "fix_words"),
    [
        ({"no_gl_account": True}, "Missing GL account", "expense (GL) account"),
        ({"bad_account": True}, "Account/Tax Rate must be Valid", "active account code"),
    ],
)
def test_diagnosis_each_sync_error_with_its_fix(supplier, netsuite, worker, make_product, message, fix_words):
    invoice = make_invoice(supplier, lines=[line(ProductFactory(supplier=supplier, **make_product))])
    worker.run()

    failing = _failing(invoice)
    assert failing["no_error"].message.startswith(message)
    assert fix_words in failing["no_error"].fix
    assert failing["remote_matches"].fix == "Use Resync on the invoice to push it to NetSuite again."


def test_diagnosis_transient_error_after_retries(supplier, netsuite, worker):
    store.inject_fault(netsuite, "timeout", count=5)
    invoice = make_invoice(supplier)
    worker.run()
    failing = _failing(invoice)
    assert failing["no_error"].message == "Sync unsuccessful"
    assert "temporary timeout" in failing["no_error"].fix


def test_diagnosis_no_trigger_recorded():
    supplier = SupplierFactory()
    invoice = make_invoice(supplier)  # generated before any connection existed
    ConnectionFactory(supplier=supplier, provider="netsuite")

    failing = _failing(invoice)
    assert "No sync to NetSuite has been triggered" in failing["trigger_recorded"].message
    assert failing["trigger_recorded"].fix == "Use Resync on the invoice to push it to NetSuite again."


def test_diagnosis_not_resynced_after_reconnect_until_it_is(supplier, worker):
    ConnectionFactory(supplier=supplier, provider="netsuite", expired=True)
    invoice = make_invoice(supplier)
    reconnect(supplier)

    failing = _failing(invoice)
    assert "not been re-synced since NetSuite was reconnected" in failing["resynced_after_reconnect"].message
    assert "connected" not in failing

    sync_resync(sync=InvoiceSync.objects.get(invoice=invoice))
    worker.run()
    assert _failing(invoice) == {}
