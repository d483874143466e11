"""Xero tokens: kept encrypted on the connection, refreshed shortly before they expire, under a lock
per connection so that two workers never spend the same single-use refresh token."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time

from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError
from django.conf import settings
from django.utils import timezone

from integrations_core.errors import ClassifiedError, ErrorCategory, PushError
from integrations_core.models import Connection, ConnectionState
from integrations_core import plugin_api

SCOPES = ["offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings",
          "accounting.attachments"]
# Refresh this long before expiry: longer than the SDK's own 60 s, so the SDK never refreshes by itself.
REFRESH_MARGIN = 300
SDK_KEYS = ("access_token", "refresh_token", "scope", "expires_in", "token_type", "expires_at", "id_token")
_process_locks: dict[int, threading.Lock] = {}


def sdk_token(response: dict) -> dict:
    """A token response as the SDK's getter must return it: only its keys, scope as a list."""
    token = {k: v for k, v in response.items() if k in SDK_KEYS}
    if isinstance(token.get("scope"), str):
        token["scope"] = token["scope"].split()
    token["expires_at"] = float(response.get("expires_at") or time.time() + int(response.get("expires_in", 1800)))
    return token


def store_token(connection: Connection, response: dict) -> dict:
    """Keep a new token on the connection (encrypted), with its expiry and the refresh time."""
    token = sdk_token(response)
    connection.credentials = {**connection.credentials, "token": token}
    connection.token_expires_at = dt.datetime.fromtimestamp(token["expires_at"], tz=dt.timezone.utc)
    connection.last_refreshed_at = timezone.now()
    return token


@contextlib.contextmanager
def _refresh_lock(connection_id: int):
    if settings.INTEGRATIONS_ASYNC_JOBS:
        with plugin_api.redis().lock(f"xero:refresh:{connection_id}", timeout=60, blocking_timeout=60):
            yield
    else:
        lock = _process_locks.setdefault(connection_id, threading.Lock())
        with lock:
            yield


def _expired(connection: Connection, detail: str) -> PushError:
    # The engine expires the connection on this answer (its policy for auth_expired), with the detail as the cause.
    return PushError(ClassifiedError.of(ErrorCategory.AUTH_EXPIRED, "Xero", detail=detail))


def oauth_session(**kwargs) -> OAuth2Session:
    return OAuth2Session(settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET, scope=" ".join(SCOPES),
                         token_endpoint_auth_method="client_secret_basic", timeout=15, **kwargs)


def fresh_token(connection: Connection, *, force: bool = False) -> dict:
    """The connection's access token, refreshed first if it expires within REFRESH_MARGIN.

    Under the per-connection lock the connection is read again: a worker that waited for another's
    refresh uses the token that one saved. `invalid_grant` is auth_expired with its cause (the engine expires the connection).
    :raises PushError: auth_expired when there is no token or the refresh is refused.
    """
    token = connection.credentials.get("token")
    if not token:
        raise _expired(connection, "no token stored")
    if not force and token.get("expires_at", 0) > time.time() + REFRESH_MARGIN:
        return token
    with _refresh_lock(connection.pk):
        connection.refresh_from_db(fields=["credentials", "state", "token_expires_at", "last_refreshed_at"])
        if connection.state != ConnectionState.CONNECTED:
            raise PushError(ClassifiedError.of(ErrorCategory.AUTH_EXPIRED, "Xero"))
        token = connection.credentials.get("token") or {}
        if not force and token.get("expires_at", 0) > time.time() + REFRESH_MARGIN:
            return token  # another worker refreshed while this one waited
        try:
            response = oauth_session().refresh_token(settings.XERO_TOKEN_URL,
                                                     refresh_token=token.get("refresh_token"))
        except OAuthError as exc:
            raise _expired(connection, f"Xero refused the refresh ({exc.error})") from None
        token = store_token(connection, dict(response))
        connection.save(update_fields=["credentials", "token_expires_at", "last_refreshed_at", "updated_at"])
        return token
