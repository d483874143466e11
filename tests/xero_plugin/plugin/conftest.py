"""The app pointed at the local Xero, and connected Xero connections for tests."""

import pytest


@pytest.fixture
def xero(xero_sandbox, settings):
    """The local Xero, reset, with the app's settings pointing at it, and nothing the plugin kept in this process
    of an earlier test's Xero (on SQLite a rolled-back test's connection ids come round again)."""
    from xero_plugin import client, limits, preflight
    from xero_plugin import settings as xero_settings

    from django.core.cache import cache

    for kept in (preflight._cache, preflight._tax_cache, preflight._currency_cache, xero_settings._cache, client._clients,
                 limits._recorded_at, limits._memory_budget, cache):
        kept.clear()
    point_settings_at(settings, xero_sandbox)
    return xero_sandbox


def point_settings_at(settings, sandbox):
    settings.XERO_CLIENT_ID = sandbox.client_id
    settings.XERO_CLIENT_SECRET = sandbox.client_secret
    settings.XERO_WEBHOOK_KEY = sandbox.webhook_key
    settings.XERO_AUTHORIZE_URL = sandbox.authorize_url
    settings.XERO_TOKEN_URL = sandbox.token_url
    settings.XERO_REVOCATION_URL = sandbox.revocation_url
    settings.XERO_IDENTITY_URL = sandbox.identity_url
    settings.XERO_ACCOUNTING_URL = sandbox.accounting_url


@pytest.fixture
def xero_conn(xero, supplier):
    """A connected Xero connection of `supplier` to Demo Company (NZ)."""
    from tests.xero_plugin.connecting import xero_connection

    return xero_connection(xero, supplier)
