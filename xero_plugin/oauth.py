"""Connecting a Xero organisation: the authorize URL (state + PKCE S256), the code exchange (authlib),
the organisations the token may use (GET /connections), disconnecting (revoke + delete the link)."""

from __future__ import annotations

import logging
import secrets

from authlib.common.security import generate_token
from django.conf import settings

from integrations_core.errors import ServiceError
from integrations_core.hookspecs import ConnectStart, RemoteTenant
from integrations_core.models import Connection

from .tokens import oauth_session, sdk_token, store_token

log = logging.getLogger(__name__)


def authorize(redirect_uri: str) -> ConnectStart:
    """Where to send the supplier, and the state and PKCE verifier to keep until the callback."""
    verifier = generate_token(64)
    state = secrets.token_urlsafe(24)
    session = oauth_session(redirect_uri=redirect_uri, code_challenge_method="S256")
    url, _ = session.create_authorization_url(settings.XERO_AUTHORIZE_URL, state=state, code_verifier=verifier)
    return ConnectStart(authorize_url=url, session={"state": state, "code_verifier": verifier,
                                                    "redirect_uri": redirect_uri})


def finish(connection: Connection, redirect_uri: str, params: dict, session: dict) -> list[RemoteTenant]:
    """Check the callback against the session, exchange the code, keep the tokens, list the organisations.

    With exactly one organisation it is chosen; with several the supplier picks.
    :raises ServiceError: denied, state mismatch, or a code Xero refuses.
    """
    if params.get("error"):
        raise ServiceError("Xero did not authorise the connection (access denied). Connect again to retry.",
                           code="oauth_denied")
    if not session.get("state") or params.get("state") != session.get("state"):
        raise ServiceError("The Xero sign-in could not be verified (state mismatch); start connecting again.",
                           code="oauth_state_mismatch")
    oauth = oauth_session(redirect_uri=session.get("redirect_uri", redirect_uri))
    try:
        response = oauth.fetch_token(settings.XERO_TOKEN_URL, grant_type="authorization_code",
                                     code=params.get("code", ""), code_verifier=session.get("code_verifier"))
    except Exception as exc:  # authlib raises OAuthError for Xero's refusals, requests errors for outages
        log.warning("Xero code exchange failed: %s", type(exc).__name__)
        raise ServiceError("Xero refused the sign-in code; start connecting again.", code="oauth_exchange_failed") from None
    store_token(connection, dict(response))
    tenants = list_tenants(sdk_token(dict(response)))
    if len(tenants) == 1:
        connection.tenant_id, connection.tenant_name = tenants[0].id, tenants[0].name
    return tenants


def list_tenants(token: dict) -> list[RemoteTenant]:
    """The organisations this token may use (one identity call)."""
    from .client import client_for_token

    connections = client_for_token(token).identity.get_connections(_request_timeout=(5, 30))
    return [RemoteTenant(id=str(c.tenant_id), name=c.tenant_name or str(c.tenant_id))
            for c in connections if str(getattr(c.tenant_type, "value", c.tenant_type) or "ORGANISATION") == "ORGANISATION"]


def disconnect(connection: Connection) -> None:
    """Delete the organisation link and revoke the refresh token at Xero (best effort)."""
    from .client import client_for_token

    token = connection.credentials.get("token") or {}
    if not token:
        return
    client = client_for_token(token)
    try:
        for link in client.identity.get_connections(_request_timeout=(5, 30)):
            if str(link.tenant_id) == connection.tenant_id:
                client.identity.delete_connection(link.id, _request_timeout=(5, 30))
    except Exception:
        log.warning("could not delete the Xero tenant link of connection %s", connection.pk)
    try:
        oauth_session().revoke_token(settings.XERO_REVOCATION_URL, token.get("refresh_token"),
                                     token_type_hint="refresh_token")
    except Exception:
        log.warning("could not revoke the Xero token of connection %s", connection.pk)
