"""The framework's Resync and Mark as Resolved: work on framework plugins, refused elsewhere."""

import pytest

from integrations_core import registry
from integrations_core.errors import ActionNotAllowed, ResyncNotSupported
from integrations_core.hookspecs import ProviderInfo, hookimpl
from integrations_core.models import InvoiceSync, SyncState
from integrations_core.resync import sync_mark_resolved, sync_resync
from plugins.stub import store
from tests.factories import ConnectionFactory, make_invoice

pytestmark = pytest.mark.django_db


class OwnResyncPlugin:
    """A provider with its own re-sync path, like Xero."""

    @hookimpl
    def provider_info(self):
        return ProviderInfo(key="ownsync", name="OwnSync", manual_resync="Manually Re-sync invoices to OwnSync")

    @hookimpl
    def supports_resync(self, connection):
        return False if connection.provider == "ownsync" else None


@pytest.fixture
def ownsync():
    plugin = OwnResyncPlugin()
    registry.get_plugin_manager().register(plugin)
    yield plugin
    registry.get_plugin_manager().unregister(plugin)


FRAMEWORK = ["netsuite", "unleashed", "myob_business", "myob_advanced", "cin7"]


@pytest.mark.parametrize("provider", FRAMEWORK)
def test_resync_pushes_a_failed_invoice_again(supplier, worker, provider):
    connection = ConnectionFactory(supplier=supplier, provider=provider)
    store.inject_fault(connection, "unknown")
    invoice = make_invoice(supplier)
    worker.run()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert sync.state == SyncState.FAILED

    sync = sync_resync(sync=sync)
    assert sync.state == SyncState.QUEUED and sync.last_trigger == "resync"
    worker.run()

    sync.refresh_from_db()
    assert sync.state == SyncState.SYNCED
    assert [r.number for r in store.remote_invoices(connection)] == [invoice.number]


@pytest.mark.parametrize("provider", FRAMEWORK)
def test_mark_resolved_closes_a_failed_sync(supplier, worker, provider, django_user_model):
    connection = ConnectionFactory(supplier=supplier, provider=provider)
    store.inject_fault(connection, "validation")
    invoice = make_invoice(supplier)
    worker.run()
    user = django_user_model.objects.create(username="support")

    sync = sync_mark_resolved(sync=InvoiceSync.objects.get(invoice=invoice), user=user)

    assert sync.state == SyncState.RESOLVED and sync.resolved_by == user and sync.resolved_at
    assert worker.run() == 0


def test_mark_resolved_refuses_a_synced_invoice(supplier, netsuite, worker):
    invoice = make_invoice(supplier)
    worker.run()
    with pytest.raises(ActionNotAllowed):
        sync_mark_resolved(sync=InvoiceSync.objects.get(invoice=invoice))


def test_resync_and_mark_resolved_are_refused_without_supports_resync(supplier, ownsync):
    invoice = make_invoice(supplier)
    connection = ConnectionFactory(supplier=supplier, provider="ownsync")
    sync = InvoiceSync.objects.create(invoice=invoice, connection=connection, state=SyncState.FAILED)

    for action in (sync_resync, sync_mark_resolved):
        with pytest.raises(ResyncNotSupported) as refused:
            action(sync=sync)
        message = refused.value.message
        assert "do not support OwnSync" in message
        assert "Manually Re-sync invoices to OwnSync" in message
        assert "NetSuite" in message and "Unleashed" in message
    sync.refresh_from_db()
    assert sync.state == SyncState.FAILED


def test_resync_for_xero_is_refused_with_the_help_articles_sentence_naming_every_framework_provider(supplier):
    from integrations_core.errors import ResyncNotSupported
    from integrations_core.resync import ensure_resync_supported

    with pytest.raises(ResyncNotSupported) as refused:
        ensure_resync_supported("xero")
    assert refused.value.message == (
        "Resync and Mark as Resolved do not support Xero: that feature is only available for integrations built on "
        "the integrations framework (Cin7, MYOB Advanced, MYOB Business, NetSuite and Unleashed). For Xero, use "
        "Manually Re-sync invoices to Xero instead.")
