"""Fixtures for anything that talks to the local Xero (``xero_plugin.sandbox``).

* ``xero_sandbox_session`` - one sandbox per test session (clock_scale=1), never reset.
* ``xero_sandbox``         - that sandbox, reset to the seed before the test.
* ``xero_fast_sandbox``    - a separate sandbox with clock_scale=60 (a minute lasts 1 s), reset.
* ``sdk_client``           - factory: ``sdk_client(sandbox, tokens=None, tenant_ids=None, retries=False)``
                             -> ``SdkClient`` with ``.accounting`` (AccountingApi), ``.identity``
                             (IdentityApi), ``.api_client``, ``.token`` (the stored token dict).
* ``xero_api``             - an ``SdkClient`` on ``xero_sandbox`` connected to every seeded tenant.

None of these touch the Django database.
"""

from __future__ import annotations

import time

import pytest
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi

from xero_plugin.sandbox import XeroSandbox

SDK_TOKEN_KEYS = ("access_token", "refresh_token", "scope", "expires_in", "token_type", "expires_at", "id_token")


def sdk_token(response: dict) -> dict:
    """A Xero token response -> the dict the SDK's token getter must return (XERO.md 9.2):
    only the allowed keys, ``scope`` as a list, plus ``expires_at``."""
    token = {k: v for k, v in response.items() if k in SDK_TOKEN_KEYS}
    if isinstance(token.get("scope"), str):
        token["scope"] = token["scope"].split()
    token.setdefault("expires_at", time.time() + int(response.get("expires_in", 1800)))
    return token


class SdkClient:
    """The real xero-python SDK pointed at a sandbox, with an in-memory token store."""

    def __init__(self, sandbox, token_response: dict, retries=False):
        # TokenApi URLs are class attributes (process-wide); every client re-points them.
        TokenApi.refresh_token_url = sandbox.token_url
        TokenApi.revoke_token_url = sandbox.revocation_url
        TokenApi.client_credentials_token_url = sandbox.token_url
        self.sandbox = sandbox
        self.token = sdk_token(token_response)
        self.saved = []
        cfg = Configuration()
        # Configuration() ignores its arguments after the first call (TypeWithDefault): assign.
        cfg.oauth2_token = OAuth2Token(client_id=sandbox.client_id, client_secret=sandbox.client_secret)
        self.api_client = ApiClient(cfg, pool_threads=1, oauth2_token_getter=lambda: self.token,
                                    oauth2_token_saver=self._save)
        if retries is not None:
            # urllib3's default Retry(3) silently sleeps Retry-After and re-sends GET/PUT on 429/503;
            # retries=False makes the SDK raise at once, as an app that owns its retry policy wants.
            self.api_client.rest_client.pool_manager.connection_pool_kw["retries"] = retries
        self.accounting = AccountingApi(self.api_client, base_url=sandbox.accounting_url)
        self.identity = IdentityApi(self.api_client, base_url=sandbox.identity_url)

    def _save(self, token):
        self.token = dict(token)
        self.saved.append(dict(token))


@pytest.fixture(scope="session")
def xero_sandbox_session():
    sandbox = XeroSandbox(clock_scale=1.0).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def xero_sandbox(xero_sandbox_session):
    xero_sandbox_session.control.reset()
    return xero_sandbox_session


@pytest.fixture(scope="session")
def _fast_sandbox_session():
    sandbox = XeroSandbox(clock_scale=60.0).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def xero_fast_sandbox(_fast_sandbox_session):
    _fast_sandbox_session.control.reset()
    return _fast_sandbox_session


@pytest.fixture
def sdk_client():
    def make(sandbox, tokens=None, tenant_ids=None, retries=False, scopes=None):
        if tokens is None:
            tokens = sandbox.control.issue_tokens(tenant_ids, scopes=scopes)
        return SdkClient(sandbox, tokens, retries=retries)
    return make


@pytest.fixture
def xero_api(xero_sandbox, sdk_client):
    return sdk_client(xero_sandbox)
