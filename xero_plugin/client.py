"""The one module that builds xero-python clients (XERO.md 9.1, 9.4).

One ApiClient per connection per process, shared by a worker's threads (integrations_core.worker_threads): the
token it sends is the calling thread's own (set by `client_for`), and the Authorization header is built from it
without the SDK's habit of copying it onto the shared Configuration's OAuth2Token on every call (one thread's
token could go out with another's call). Every client of the process sends through one urllib3 PoolManager
(thread-safe), which keeps the HTTP connections alive between pushes, a few per host whatever the number of
clients. The SDK's urllib3 retries are switched off: left on, they sleep through a 429's Retry-After and
re-send a PUT after a read timeout. Our engine owns the retry policy.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi

from integrations_core import plugin_api
from integrations_core.models import Connection

from . import limits
from .tokens import fresh_token

log = logging.getLogger(__name__)
_clients: dict[tuple, XeroClient] = {}  # by (connection, Xero's URL, app)
_lock = threading.Lock()
_pool = None  # the process's urllib3 PoolManager, shared by every client
_pool_lock = threading.Lock()  # not _lock: a client is built under that one
POOL_MAXSIZE = 64  # kept-alive connections per host: more than a process's threads, so none is dropped


class _ThreadToken(OAuth2Token):
    """The SDK's OAuth2Token, but the header is the calling thread's token and nothing is written to this shared
    object. No refresh by the SDK either: `tokens.fresh_token` refreshes, under its lock (a 401 TokenExpired
    makes `call` do so)."""

    def create_auth_settings(self, api_client):
        token = api_client.get_oauth2_token()
        return {"type": "oauth2", "in": "header", "key": "Authorization",
                "value": f"{token.get('token_type') or 'Bearer'} {token.get('access_token')}"}


class XeroClient:
    """The SDK's APIs for one connection; `token` (the calling thread's) is what the SDK's getter returns."""

    def __init__(self):
        TokenApi.refresh_token_url = settings.XERO_TOKEN_URL
        TokenApi.revoke_token_url = settings.XERO_REVOCATION_URL
        TokenApi.client_credentials_token_url = settings.XERO_TOKEN_URL
        self._local = threading.local()
        config = Configuration()
        # Configuration() returns a copy of the first one ever made: set our own token object.
        config.oauth2_token = _ThreadToken(client_id=settings.XERO_CLIENT_ID, client_secret=settings.XERO_CLIENT_SECRET)
        self.api_client = ApiClient(config, pool_threads=1, oauth2_token_getter=lambda: self.token,
                                    oauth2_token_saver=self._save)
        self.api_client.rest_client.pool_manager = _shared_pool(self.api_client.rest_client.pool_manager)
        self.accounting = AccountingApi(self.api_client, base_url=settings.XERO_ACCOUNTING_URL)
        self.identity = IdentityApi(self.api_client, base_url=settings.XERO_IDENTITY_URL)

    @property
    def token(self) -> dict:
        return getattr(self._local, "token", {})

    @token.setter
    def token(self, value: dict) -> None:
        self._local.token = value

    def _save(self, token):
        self.token = dict(token)


def _shared_pool(built):
    """The process's one PoolManager (the first client's, with its TLS settings), retries off."""
    global _pool
    with _pool_lock:
        if _pool is None:
            built.connection_pool_kw.update(retries=False, maxsize=POOL_MAXSIZE)
            _pool = built
        return _pool


def timeout() -> tuple[float, float]:
    """(connect, read) seconds for a Xero call."""
    return (5.0, settings.XERO_READ_TIMEOUT)


def client_for(connection: Connection) -> XeroClient:
    """A client for the connection, with a fresh access token set for this thread (refreshed first if near expiry)."""
    key = (connection.pk, settings.XERO_ACCOUNTING_URL, settings.XERO_CLIENT_ID)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = XeroClient()
    client.token = dict(fresh_token(connection))
    return client


def client_for_token(token: dict) -> XeroClient:
    """A client for a token that is not stored yet (the connect flow's tenant list)."""
    client = XeroClient()
    client.token = dict(token)
    return client


def call(client: XeroClient, connection: Connection, method: str, *args, **kwargs):
    """One Accounting API call within the organisation's budget; a TokenExpired 401 refreshes and retries once."""
    limits.spend(connection.tenant_id)
    api = getattr(client.accounting, method)
    started = time.monotonic()
    try:
        data, status, headers = api(connection.tenant_id, *args, _return_http_data_only=False,
                                    _request_timeout=timeout(), **kwargs)
    except Exception as exc:
        if getattr(getattr(exc, "http_resp", None), "status", None) == 401 and b"TokenExpired" in (
                getattr(exc, "body", b"") or b""):
            client.token = dict(fresh_token(connection, force=True))
            limits.spend(connection.tenant_id)
            try:
                data, status, headers = api(connection.tenant_id, *args, _return_http_data_only=False,
                                            _request_timeout=timeout(), **kwargs)
            except Exception as again:
                _answered(method, again, started)
                raise
        else:
            _answered(method, exc, started)
            raise
    limits.record_remaining(connection.tenant_id, headers)
    _answered(method, None, started, status, headers)
    return data, status, headers


def _answered(method: str, error: BaseException | None, started: float, status=None, headers=None) -> None:
    """Xero's correlation id of this call onto the lines logged after it (the push's outcome line among them),
    and one debug line per call."""
    if error is not None:
        response = getattr(error, "http_resp", None)
        status = getattr(response, "status", None)
        headers = getattr(error, "headers", None) or getattr(response, "headers", None)
    try:
        correlation_id = headers.get("Xero-Correlation-Id") if headers else None
    except Exception:  # headers of an unexpected shape: the id is a help, never a failure
        correlation_id = None
    plugin_api.log_update(xero_correlation_id=correlation_id)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("xero call %s", method, extra={
            "http_status": status, "xero_correlation_id": correlation_id,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "error": type(error).__name__ if error is not None else None})
