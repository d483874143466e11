"""Connection health: a failing connection shows expired, with when and why, before any invoice fails."""

import pytest

from integrations_core.health import connections_check_all
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
