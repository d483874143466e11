"""Connection health: a failing connection shows expired, with when and why, before any invoice fails."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations_core import registry
from integrations_core.health import connection_health, connections_check_all
from integrations_core.hookspecs import ProviderInfo, hookimpl
from integrations_core.jobs import check_connections
from integrations_core.models import ConnectionState, SyncAttempt
from plugins.stub import store
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_health_keeps_working_connections_connected(supplier, netsuite):
    [result] = connections_check_all()
    assert result.ok
    netsuite.refresh_from_db()
    assert netsuite.state == ConnectionState.CONNECTED and netsuite.last_checked_at is not None


def test_health_expires_a_revoked_connection_with_the_cause(supplier, netsuite):
    other = ConnectionFactory(provider="unleashed")
    store.inject_fault(netsuite, "auth_expired")

    assert check_connections() == 1

    netsuite.refresh_from_db()
    assert netsuite.state == ConnectionState.EXPIRED and netsuite.expired_at is not None
    assert netsuite.expiry_reason == "NetSuite connection expired: reconnect in Settings > Add-ons"
    other.refresh_from_db()
    assert other.state == ConnectionState.CONNECTED
    assert SyncAttempt.objects.count() == 0  # found before any invoice failed


def test_health_outage_is_reported_but_not_an_expiry(supplier, netsuite):
    store.inject_fault(netsuite, "timeout")
    [result] = connections_check_all()
    assert not result.ok and result.message == "Sync unsuccessful"
    netsuite.refresh_from_db()
    assert netsuite.state == ConnectionState.CONNECTED


class LapsingPlugin:
    """A provider whose credentials lapse after 60 days unused, as Xero's refresh tokens do."""

    @hookimpl
    def provider_info(self):
        return ProviderInfo(key="lapsing", name="Lapsing", idle_lifetime_days=60)


def test_health_status_names_lapsing_credentials(supplier, netsuite):
    assert connection_health(netsuite) == "unchecked"
    connections_check_all()
    netsuite.refresh_from_db()
    assert connection_health(netsuite) == "ok"

    plugin = LapsingPlugin()
    registry.get_plugin_manager().register(plugin)
    try:
        connection = ConnectionFactory(provider="lapsing", last_checked_at=timezone.now(),
                                       last_refreshed_at=timezone.now() - timedelta(days=55))
        assert connection_health(connection) == "lapsing"
        connection.last_refreshed_at = timezone.now() - timedelta(days=10)
        assert connection_health(connection) == "ok"
        connection.state = ConnectionState.EXPIRED
        assert connection_health(connection) == "expired"
    finally:
        registry.get_plugin_manager().unregister(plugin)
