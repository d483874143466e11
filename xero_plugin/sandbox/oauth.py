"""OAuth 2.0 as Xero's identity server does it: authorize page, token, revocation,
connections, and bearer-token checks for the API (XERO.md section 7)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import uuid
from urllib.parse import urlencode

from . import wire
from .messages import Response, json_response, not_found, problem, text_response

SCOPE_NEEDS = {
    # resource -> (write scopes, read scopes); a write scope also grants reads
    "invoices": (("accounting.transactions", "accounting.invoices"),
                 ("accounting.transactions.read", "accounting.invoices.read")),
    "payments": (("accounting.transactions", "accounting.payments"),
                 ("accounting.transactions.read", "accounting.payments.read")),
    "contacts": (("accounting.contacts",), ("accounting.contacts.read",)),
    "settings": (("accounting.settings",), ("accounting.settings.read",)),
    "attachments": (("accounting.attachments",), ("accounting.attachments.read",)),
}
DEFAULT_SCOPES = ["openid", "profile", "email", "offline_access", "accounting.transactions",
                  "accounting.contacts", "accounting.settings"]
# Scopes Xero knows for what the sandbox serves: the SPEC's OAuth2 scopes (xero_accounting.yaml
# securitySchemes), offline_access, and the granular ones replacing accounting.transactions (XERO.md 7.1).
KNOWN_SCOPES = frozenset({
    "openid", "profile", "email", "offline_access",
    "accounting.transactions", "accounting.transactions.read", "accounting.invoices", "accounting.invoices.read",
    "accounting.payments", "accounting.payments.read", "accounting.contacts", "accounting.contacts.read",
    "accounting.settings", "accounting.settings.read", "accounting.attachments", "accounting.attachments.read",
    "accounting.budgets.read", "accounting.journals.read", "accounting.reports.read",
    "accounting.reports.tenninetynine.read", "paymentservices",
})


def unknown_scopes(scopes) -> list:
    """The requested scopes Xero would not recognise."""
    return [s for s in scopes if s not in KNOWN_SCOPES]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(claims: dict) -> str:
    """An RS256-looking JWT; the signature is random (nobody can verify it anyway)."""
    header = {"alg": "RS256", "kid": "sandbox", "typ": "JWT", "x5t": "sandbox"}
    return ".".join((_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode()),
                     _b64url(secrets.token_bytes(32))))


def _oauth_error(error: str, status: int = 400) -> Response:
    # Compact on purpose: the SDK compares the body to exactly '{"error":"invalid_grant"}'.
    return Response(status, ('{"error":"%s"}' % error).encode(), content_type="application/json")


# -- tokens ------------------------------------------------------------------------------


def issue_tokens(state, user_id: str, client_id: str, scopes: list, auth_event_id: str) -> dict:
    """Mint an access (and refresh / id) token; returns Xero's exact token response."""
    now = state.clock.now()
    ttl = int(state.config["access_token_ttl"])
    user = state.users[user_id]
    access = _jwt({"nbf": int(now), "exp": int(now) + ttl, "iss": "https://identity.xero.com",
                   "aud": "https://identity.xero.com/resources", "client_id": client_id,
                   "sub": user_id.replace("-", ""), "auth_time": int(now), "xero_userid": user_id,
                   "global_session_id": uuid.uuid4().hex, "jti": uuid.uuid4().hex,
                   "authentication_event_id": auth_event_id, "scope": scopes})
    state.access_tokens[access] = {"user_id": user_id, "client_id": client_id, "scopes": list(scopes),
                                   "exp": now + ttl, "revoked": False, "auth_event_id": auth_event_id}
    response = {}
    if "openid" in scopes:
        response["id_token"] = _jwt({"nbf": int(now), "exp": int(now) + 300, "iss": "https://identity.xero.com",
                                     "aud": client_id, "iat": int(now), "auth_time": int(now),
                                     "xero_userid": user_id, "global_session_id": uuid.uuid4().hex,
                                     "sid": uuid.uuid4().hex, "sub": user_id.replace("-", ""),
                                     "email": user["email"], "given_name": user["given_name"],
                                     "family_name": user["family_name"], "preferred_username": user["email"]})
    response.update({"access_token": access, "expires_in": ttl, "token_type": "Bearer"})
    if "offline_access" in scopes:
        refresh = secrets.token_hex(32)
        state.refresh_tokens[refresh] = {"user_id": user_id, "client_id": client_id, "scopes": list(scopes),
                                         "auth_event_id": auth_event_id, "last_used": now,
                                         "rotated_at": None, "successor": None, "revoked": False}
        response["refresh_token"] = refresh
    response["scope"] = " ".join(scopes)
    return response


def connect(state, user_id: str, client_id: str, tenant_ids, auth_event_id: str) -> None:
    """Create (or refresh) the user's connections to these tenants."""
    now = state.clock.now()
    for tid in tenant_ids:
        tid = tid.lower()
        if state.org(tid) is None:
            raise KeyError(tid)
        existing = [c for c in state.connections_for(user_id, client_id) if c["tenant_id"] == tid]
        if existing:
            existing[0].update(auth_event_id=auth_event_id, updated=now)
        else:
            state.connections.append({"id": str(uuid.uuid4()), "tenant_id": tid, "user_id": user_id,
                                      "client_id": client_id, "auth_event_id": auth_event_id,
                                      "created": now, "updated": now})


def revoke_user(state, user_id: str | None = None, client_id: str | None = None, disconnect=False) -> int:
    """Revoke every token of a user (or everyone) for an app (or all apps)."""
    count = 0
    for table in (state.access_tokens, state.refresh_tokens):
        for rec in table.values():
            if (user_id is None or rec["user_id"] == user_id) and (client_id is None or rec["client_id"] == client_id):
                if not rec["revoked"]:
                    rec["revoked"] = True
                    count += 1
    if disconnect:
        state.connections = [c for c in state.connections
                             if not ((user_id is None or c["user_id"] == user_id)
                                     and (client_id is None or c["client_id"] == client_id))]
    return count


# -- bearer checks for API calls -----------------------------------------------------------


def authenticate(state, req, resource: str | None, need_tenant: bool):
    """Check the bearer token (and tenant). Returns (token record, None) or (None, error Response)."""
    auth = req.header("authorization") or ""
    scheme, _, token = auth.partition(" ")
    rec = state.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if rec is None or rec["revoked"]:
        return None, problem(401, "Unauthorized", "AuthenticationUnsuccessful",
                             [("WWW-Authenticate", "Bearer error=invalid_token")])
    if state.clock.now() >= rec["exp"]:
        expired = wire.dt.datetime.fromtimestamp(rec["exp"], wire.dt.timezone.utc)
        return None, problem(401, "Unauthorized",
                             "TokenExpired: token expired at " + expired.strftime("%m/%d/%Y %H:%M:%S"))
    if resource:
        write, read = SCOPE_NEEDS[resource]
        allowed = write + (read if req.method == "GET" else ())
        if not any(s in rec["scopes"] for s in allowed):
            return None, problem(401, "Unauthorized", "AuthorizationUnsuccessful")
    if need_tenant:
        tenant = req.header("xero-tenant-id") or ""
        if not state.is_connected(rec["user_id"], rec["client_id"], tenant):
            return None, problem(403, "Forbidden", "AuthenticationUnsuccessful")
    return rec, None


# -- endpoints -----------------------------------------------------------------------------


def _client_credentials(req, form):
    auth = req.header("authorization") or ""
    if auth.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            return cid, secret
        except ValueError:
            return None, None
    return form.get("client_id"), form.get("client_secret")


def token_endpoint(state, req) -> Response:
    """POST /connect/token: authorization_code and refresh_token grants."""
    form = req.form()
    cid, secret = _client_credentials(req, form)
    app = state.apps.get(cid or "")
    grant = form.get("grant_type")
    if app is None:
        return _oauth_error("invalid_client")
    if secret is not None and secret != app["client_secret"]:
        return _oauth_error("invalid_client")
    if secret is None and not (grant == "authorization_code" and form.get("code_verifier")):
        return _oauth_error("invalid_client")  # only PKCE public clients may omit the secret
    now = state.clock.now()
    if grant == "authorization_code":
        code = state.codes.get(form.get("code", ""))
        if (code is None or code["used"] or now > code["expires"] or code["client_id"] != cid
                or code["redirect_uri"] != form.get("redirect_uri")):
            return _oauth_error("invalid_grant")
        if code["code_challenge"]:
            verifier = form.get("code_verifier") or ""
            if code["code_challenge_method"] == "S256":
                derived = _b64url(hashlib.sha256(verifier.encode()).digest())
            else:
                derived = verifier
            if not verifier or derived != code["code_challenge"]:
                return _oauth_error("invalid_grant")
        code["used"] = True
        body = issue_tokens(state, code["user_id"], cid, code["scopes"], code["auth_event_id"])
        return json_response(200, body)
    if grant == "refresh_token":
        rec = state.refresh_tokens.get(form.get("refresh_token", ""))
        if rec is None or rec["revoked"] or rec["client_id"] != cid:
            return _oauth_error("invalid_grant")
        if now - rec["last_used"] > state.config["refresh_idle"]:
            return _oauth_error("invalid_grant")
        if rec["rotated_at"] is not None:
            # [INFERRED] within the grace period Xero hands back the same new pair again.
            if now - rec["rotated_at"] <= state.config["refresh_grace"] and rec["successor"]:
                return json_response(200, rec["successor"])
            return _oauth_error("invalid_grant")
        body = issue_tokens(state, rec["user_id"], cid, rec["scopes"], rec["auth_event_id"])
        rec.update(rotated_at=now, successor=body, last_used=now)
        return json_response(200, body)
    if grant == "client_credentials":
        return _oauth_error("unauthorized_client")
    return _oauth_error("unsupported_grant_type")


def revocation_endpoint(state, req) -> Response:
    """POST /connect/revocation: kill the refresh token, its access tokens and the connections."""
    form = req.form()
    cid, secret = _client_credentials(req, form)
    app = state.apps.get(cid or "")
    if app is None or secret != app["client_secret"]:
        return _oauth_error("invalid_client")
    token = form.get("token", "")
    rec = state.refresh_tokens.get(token) or state.access_tokens.get(token)
    if rec is not None and rec["client_id"] == cid:
        revoke_user(state, rec["user_id"], cid, disconnect=True)
    return Response(200, b"")


def _connection_json(c, state) -> dict:
    return {"id": c["id"], "authEventId": c["auth_event_id"], "tenantId": c["tenant_id"],
            "tenantType": "ORGANISATION", "tenantName": state.orgs[c["tenant_id"]]["name"],
            "createdDateUtc": wire.iso_no_zone(c["created"]), "updatedDateUtc": wire.iso_no_zone(c["updated"])}


def connections_endpoint(state, req, conn_id: str | None) -> Response:
    """GET /connections and DELETE /connections/{id}."""
    rec, error = authenticate(state, req, None, need_tenant=False)
    if error:
        return error
    mine = state.connections_for(rec["user_id"], rec["client_id"])
    if req.method == "GET" and conn_id is None:
        event = req.query.get("authEventId")
        return json_response(200, [_connection_json(c, state) for c in mine
                                   if not event or c["auth_event_id"] == event])
    if req.method == "DELETE" and conn_id:
        hit = [c for c in mine if c["id"] == conn_id.lower()]
        if not hit:
            return not_found()
        state.connections.remove(hit[0])
        return Response(204)
    return not_found()


# -- authorize page -----------------------------------------------------------------------

_PAGE = """<!doctype html><html><head><title>Xero Sandbox - Allow access</title></head><body>
<h1>{app} wants access to your Xero organisations</h1><p>Scopes: {scopes}</p>
<form method="post" action="/identity/connect/authorize">{hidden}
<fieldset><legend>Organisations</legend>{orgs}</fieldset>
<button type="submit" name="action" value="approve">Allow access</button>
<button type="submit" name="action" value="deny">Cancel</button></form></body></html>"""

_AUTH_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                "code_challenge_method", "user_id")


def _redirect(uri: str, params: dict) -> Response:
    sep = "&" if "?" in uri else "?"
    return Response(302, b"", [("Location", uri + sep + urlencode({k: v for k, v in params.items() if v is not None}))])


_ERROR_PAGE = """<!doctype html><html><head><title>Xero | Error</title></head><body>
<h1>Sorry, something went wrong</h1><p>Go back and try again.</p>
<p>If the issue continues, check out our Status Page.</p>
<p>Error code: 500</p><p><strong>Error: {error} : {description}</strong></p></body></html>"""


def _error_page(error: str, description: str) -> Response:
    """Xero's authorize error page: no redirect back to the app, so no code is issued.

    Xero: "I see a 500 error screen when trying to start the authorization flow ... if the redirect_uri
    doesn't match one of the Redirect URIs saved against your app, you've requested an invalid scope, your
    client_id isn't correct" (developer.xero.com/documentation/oauth2/troubleshooting); the page reads
    "Error code: 500 / Error: unauthorized_client : Invalid redirect_uri" (XeroAPI sample-app issues).
    The descriptions other than "Invalid redirect_uri" are [INFERRED] (Xero's identity server wording).
    """
    page = _ERROR_PAGE.format(error=html.escape(error), description=html.escape(description))
    return text_response(500, page, "text/html; charset=utf-8")


def authorize_endpoint(state, req) -> Response:
    """GET shows the consent form (or redirects at once when auto-approve is on); POST submits it."""
    params = req.query if req.method == "GET" else req.form()
    cid, redirect_uri = params.get("client_id"), params.get("redirect_uri")
    app = state.apps.get(cid or "")
    if app is None:
        return _error_page("unauthorized_client", "Unknown client or client not enabled")
    if not redirect_uri or redirect_uri not in app.get("redirect_uris", ()):
        return _error_page("unauthorized_client", "Invalid redirect_uri")  # exact match, no code issued
    if params.get("response_type", "code") != "code":
        return _error_page("unsupported_response_type", "Invalid response_type")
    if unknown_scopes((params.get("scope") or "").split()):
        return _error_page("invalid_scope", "Invalid scope")
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") not in ("S256", "plain"):
        return _redirect(redirect_uri, {"error": "invalid_request", "state": params.get("state")})
    if req.method == "GET" and state.auto_approve is None:
        hidden = "".join('<input type="hidden" name="%s" value="%s">' % (k, html.escape(params[k], quote=True))
                         for k in _AUTH_PARAMS if params.get(k) is not None)
        orgs = "".join('<label><input type="checkbox" name="tenant" value="%s" checked> %s</label><br>'
                       % (tid, html.escape(o["name"])) for tid, o in state.orgs.items())
        page = _PAGE.format(app=html.escape(cid), scopes=html.escape(params.get("scope", "")), hidden=hidden, orgs=orgs)
        return text_response(200, page, "text/html; charset=utf-8")
    if req.method == "GET":
        approve = not state.auto_approve.get("deny")
        tenants = state.auto_approve.get("tenants") or list(state.orgs)
    else:
        approve = params.get("action", "approve") == "approve"
        tenants = [v for k, v in _multi(req.body) if k == "tenant"]
    if not approve or not tenants:
        return _redirect(redirect_uri, {"error": "access_denied", "state": params.get("state")})
    user_id = params.get("user_id") or next(iter(state.users))
    scopes = (params.get("scope") or " ".join(DEFAULT_SCOPES)).split()
    auth_event_id = str(uuid.uuid4())
    try:
        connect(state, user_id, cid, tenants, auth_event_id)
    except KeyError:
        return _redirect(redirect_uri, {"error": "access_denied", "state": params.get("state")})
    code = secrets.token_urlsafe(32)
    state.codes[code] = {"client_id": cid, "redirect_uri": redirect_uri, "scopes": scopes, "user_id": user_id,
                         "code_challenge": params.get("code_challenge"),
                         "code_challenge_method": params.get("code_challenge_method", "plain"),
                         "auth_event_id": auth_event_id, "used": False,
                         "expires": state.clock.now() + state.config["code_ttl"]}
    return _redirect(redirect_uri, {"code": code, "scope": " ".join(scopes), "state": params.get("state"),
                                    "session_state": secrets.token_urlsafe(16)})


def _multi(body: bytes):
    from urllib.parse import parse_qsl
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
