"""OAuth 2.0 against the sandbox: the consent page with PKCE and state, auto-approve,
the token endpoint's rules, refresh rotation with its grace period, revocation,
connections, and the 401/403 bodies the API returns."""

import base64
import hashlib
import json
import re
import secrets
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ, TENANT_NZ2

from xero_plugin.sandbox import DEFAULT_REDIRECT_URIS, SandboxControlError, XeroSandbox

REDIRECT = "http://localhost:9999/xero/callback"
SCOPES = "openid profile email offline_access accounting.transactions accounting.contacts accounting.settings"


@pytest.fixture(autouse=True)
def _registered(xero_sandbox):
    """This module's app also registered REDIRECT (a localhost port of its own) in the developer portal."""
    xero_sandbox.control.set_redirect_uris([REDIRECT], add=True)


def _pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize_params(sandbox, challenge, state="st-123"):
    return {"response_type": "code", "client_id": sandbox.client_id, "redirect_uri": REDIRECT, "scope": SCOPES,
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256"}


def _exchange(sandbox, code, verifier, basic=True, **extra):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    form.update(extra)
    auth = (sandbox.client_id, sandbox.client_secret) if basic else None
    if not basic:
        form.update(client_id=sandbox.client_id, client_secret=sandbox.client_secret)
    return requests.post(sandbox.token_url, data=form, auth=auth)


def _code_from(location):
    query = parse_qs(urlparse(location).query)
    return {k: v[0] for k, v in query.items()}


def test_consent_page_flow_with_pkce_and_state(xero_sandbox, sdk_client):
    verifier, challenge = _pkce()
    page = requests.get(xero_sandbox.authorize_url, params=_authorize_params(xero_sandbox, challenge))
    assert page.status_code == 200 and "<form" in page.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    assert hidden["state"] == "st-123" and hidden["code_challenge"] == challenge
    form = list(hidden.items()) + [("tenant", TENANT_NZ), ("tenant", TENANT_NZ2), ("action", "approve")]
    answer = requests.post(xero_sandbox.authorize_url, data=form, allow_redirects=False)
    assert answer.status_code == 302
    params = _code_from(answer.headers["Location"])
    assert answer.headers["Location"].startswith(REDIRECT) and params["state"] == "st-123"

    token = _exchange(xero_sandbox, params["code"], verifier)
    assert token.status_code == 200
    body = token.json()
    assert set(body) == {"id_token", "access_token", "expires_in", "token_type", "refresh_token", "scope"}
    assert body["expires_in"] == 1800 and body["token_type"] == "Bearer"

    client = sdk_client(xero_sandbox, tokens=body)
    tenants = {c.tenant_id for c in client.identity.get_connections()}
    assert tenants == {TENANT_NZ, TENANT_NZ2}
    assert client.accounting.get_organisations(TENANT_NZ2).organisations[0].name == "Kiwi Traders Ltd"
    # The code is single-use.
    assert _exchange(xero_sandbox, params["code"], verifier).json() == {"error": "invalid_grant"}


def test_deny_redirects_with_access_denied(xero_sandbox):
    _, challenge = _pkce()
    page = requests.get(xero_sandbox.authorize_url, params=_authorize_params(xero_sandbox, challenge, "s2"))
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    answer = requests.post(xero_sandbox.authorize_url, data=dict(hidden, action="deny"), allow_redirects=False)
    assert _code_from(answer.headers["Location"]) == {"error": "access_denied", "state": "s2"}


def test_auto_approve_and_token_rules(xero_sandbox):
    xero_sandbox.control.auto_approve([TENANT_AU])
    verifier, challenge = _pkce()
    answer = requests.get(xero_sandbox.authorize_url, params=_authorize_params(xero_sandbox, challenge),
                          allow_redirects=False)
    assert answer.status_code == 302
    code = _code_from(answer.headers["Location"])["code"]
    assert _exchange(xero_sandbox, code, "wrong-verifier" * 4).json() == {"error": "invalid_grant"}
    assert _exchange(xero_sandbox, code, verifier, redirect_uri="http://evil/").json() == {"error": "invalid_grant"}
    bad_secret = requests.post(xero_sandbox.token_url, auth=(xero_sandbox.client_id, "nope"),
                               data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                     "code_verifier": verifier})
    assert bad_secret.status_code == 400 and bad_secret.json() == {"error": "invalid_client"}
    good = _exchange(xero_sandbox, code, verifier, basic=False)  # credentials in the form body
    assert good.status_code == 200
    conns = requests.get(xero_sandbox.base_url + "/connections",
                         headers={"Authorization": "Bearer " + good.json()["access_token"]}).json()
    assert [c["tenantId"] for c in conns] == [TENANT_AU]


def test_code_expires(xero_sandbox):
    xero_sandbox.control.auto_approve()
    verifier, challenge = _pkce()
    answer = requests.get(xero_sandbox.authorize_url, params=_authorize_params(xero_sandbox, challenge),
                          allow_redirects=False)
    xero_sandbox.control.advance_clock(301)
    code = _code_from(answer.headers["Location"])["code"]
    assert _exchange(xero_sandbox, code, verifier).json() == {"error": "invalid_grant"}


def _refresh(sandbox, refresh_token):
    return requests.post(sandbox.token_url, data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                                  "client_id": sandbox.client_id,
                                                  "client_secret": sandbox.client_secret})


def test_refresh_rotation_grace_and_invalid_grant(xero_sandbox):
    first = xero_sandbox.control.issue_tokens([TENANT_NZ])
    second = _refresh(xero_sandbox, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert set(second) == {"id_token", "access_token", "expires_in", "token_type", "refresh_token", "scope"}
    xero_sandbox.control.advance_clock(20 * 60)
    # Within the 30-minute grace the old token still works (and yields the same new pair).
    assert _refresh(xero_sandbox, first["refresh_token"]).json() == second
    xero_sandbox.control.advance_clock(11 * 60)
    gone = _refresh(xero_sandbox, first["refresh_token"])
    assert gone.status_code == 400 and gone.text == '{"error":"invalid_grant"}'
    assert _refresh(xero_sandbox, second["refresh_token"]).status_code == 200


def test_refresh_token_idle_expiry(xero_sandbox):
    tokens = xero_sandbox.control.issue_tokens([TENANT_NZ])
    xero_sandbox.control.advance_clock(59 * 86400)
    fresh = _refresh(xero_sandbox, tokens["refresh_token"]).json()
    xero_sandbox.control.advance_clock(61 * 86400)
    assert _refresh(xero_sandbox, fresh["refresh_token"]).json() == {"error": "invalid_grant"}


def test_expired_access_token_401_and_sdk_refresh(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    original_refresh = client.token["refresh_token"]
    xero_sandbox.control.advance_clock(1801)
    with pytest.raises(HTTPStatusException) as exc:
        client.accounting.get_organisations(TENANT_NZ)
    assert exc.value.status == 401
    detail = json.loads(exc.value.body)["Detail"]
    assert re.fullmatch(r"TokenExpired: token expired at \d\d/\d\d/\d{4} \d\d:\d\d:\d\d", detail)
    # The SDK refreshes proactively when its own expires_at says so; the new token works.
    client.token["expires_at"] = time.time() - 1
    assert client.accounting.get_organisations(TENANT_NZ).organisations
    assert client.saved and client.saved[-1]["refresh_token"] != original_refresh


def test_sdk_refresh_failure_raises_invalid_grant(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    xero_sandbox.control.revoke_tokens()
    client.token["expires_at"] = time.time() - 1
    with pytest.raises(AccountingBadRequestException) as exc:
        client.accounting.get_organisations(TENANT_NZ)
    assert exc.value.body == b'{"error":"invalid_grant"}'


def test_revoked_and_unknown_tokens(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    xero_sandbox.control.revoke_tokens()
    with pytest.raises(HTTPStatusException) as exc:
        client.accounting.get_organisations(TENANT_NZ)
    assert exc.value.status == 401 and json.loads(exc.value.body)["Detail"] == "AuthenticationUnsuccessful"
    assert exc.value.headers["WWW-Authenticate"] == "Bearer error=invalid_token"
    raw = requests.get(xero_sandbox.accounting_url + "/Organisation",
                       headers={"Authorization": "Bearer nonsense", "xero-tenant-id": TENANT_NZ})
    assert raw.status_code == 401 and raw.headers["Content-Type"] == "application/json; charset=utf-8"


def test_missing_scope_401(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ], scopes=["offline_access", "accounting.transactions"])
    assert client.accounting.get_invoices(TENANT_NZ).invoices == []
    with pytest.raises(HTTPStatusException) as exc:
        client.accounting.get_accounts(TENANT_NZ)
    assert json.loads(exc.value.body)["Detail"] == "AuthorizationUnsuccessful"


def test_connections_delete_and_disconnect(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU])
    conns = {c.tenant_id: c for c in client.identity.get_connections()}
    client.identity.delete_connection(conns[TENANT_AU].id)
    assert [c.tenant_id for c in client.identity.get_connections()] == [TENANT_NZ]
    with pytest.raises(HTTPStatusException) as exc:
        client.accounting.get_invoices(TENANT_AU)
    assert exc.value.status == 403
    lower = requests.delete(xero_sandbox.base_url + "/connections/" + conns[TENANT_AU].id,
                            headers={"Authorization": "Bearer " + client.token["access_token"]})
    assert lower.status_code == 404
    xero_sandbox.control.disconnect_tenant(TENANT_NZ)
    assert client.identity.get_connections() == []


def test_revocation_endpoint(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    refresh = client.token["refresh_token"]
    client.api_client.revoke_oauth2_token()
    assert _refresh(xero_sandbox, refresh).json() == {"error": "invalid_grant"}
    listing = requests.get(xero_sandbox.base_url + "/connections",
                           headers={"Authorization": "Bearer " + xero_sandbox.control.issue_tokens([TENANT_AU])["access_token"]})
    assert [c["tenantId"] for c in listing.json()] == [TENANT_AU]


def _error_page(answer, text):
    """Xero's authorize error page: no redirect back, so no code."""
    assert answer.status_code == 500 and "Location" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Sorry, something went wrong" in answer.text and "Error code: 500" in answer.text
    assert text in answer.text


@pytest.mark.parametrize("uri", [
    REDIRECT + "/",                                   # a trailing slash more
    "http://localhost:9998/xero/callback",            # another port
    "http://127.0.0.1:9999/xero/callback",            # the same place by another name
    "https://localhost:9999/xero/callback",           # another scheme
    REDIRECT + "?next=/admin/",                       # a query added
    "http://LOCALHOST:9999/xero/callback",            # case
    "",
])
def test_redirect_uri_must_match_a_registered_one_exactly(xero_sandbox, uri):
    xero_sandbox.control.auto_approve()
    _, challenge = _pkce()
    params = dict(_authorize_params(xero_sandbox, challenge), redirect_uri=uri)
    answer = requests.get(xero_sandbox.authorize_url, params=params, allow_redirects=False)
    _error_page(answer, "Error: unauthorized_client : Invalid redirect_uri")
    # Submitting the consent form with it is refused the same way.
    xero_sandbox.control.auto_approve(enabled=False)
    posted = requests.post(xero_sandbox.authorize_url, data=dict(params, tenant=TENANT_NZ, action="approve"),
                           allow_redirects=False)
    _error_page(posted, "Invalid redirect_uri")


def test_unknown_client_and_scopes_get_the_error_page(xero_sandbox):
    xero_sandbox.control.auto_approve()
    _, challenge = _pkce()
    good = _authorize_params(xero_sandbox, challenge)
    unknown_client = requests.get(xero_sandbox.authorize_url, params=dict(good, client_id="NOSUCHCLIENT"),
                                  allow_redirects=False)
    _error_page(unknown_client, "Error: unauthorized_client")
    for scope in (SCOPES + " accounting.everything", "openid offline_access accounting.transaction"):
        answer = requests.get(xero_sandbox.authorize_url, params=dict(good, scope=scope), allow_redirects=False)
        _error_page(answer, "Error: invalid_scope")
    # Read-only and granular scopes are Xero's own: accepted.
    granular = "offline_access accounting.invoices accounting.payments.read accounting.settings.read"
    answer = requests.get(xero_sandbox.authorize_url, params=dict(good, scope=granular), allow_redirects=False)
    assert answer.status_code == 302 and _code_from(answer.headers["Location"])["scope"] == granular
    with pytest.raises(SandboxControlError):
        xero_sandbox.control.issue_tokens([TENANT_NZ], scopes=["offline_access", "accounting.everything"])


def test_registered_redirect_uris_by_default_by_control_and_by_constructor(xero_sandbox):
    control = xero_sandbox.control
    assert control.redirect_uris() == list(DEFAULT_REDIRECT_URIS) + [REDIRECT]
    assert {"http://testserver/xero/callback/", "http://127.0.0.1:8000/xero/callback/",
            "http://localhost:8000/xero/callback/"} <= set(DEFAULT_REDIRECT_URIS)
    assert control.set_redirect_uris(["https://app.example/xero/callback/"]) == ["https://app.example/xero/callback/"]
    control.auto_approve()
    _, challenge = _pkce()
    refused = requests.get(xero_sandbox.authorize_url, params=_authorize_params(xero_sandbox, challenge),
                           allow_redirects=False)
    _error_page(refused, "Invalid redirect_uri")
    accepted = requests.get(xero_sandbox.authorize_url, allow_redirects=False, params=dict(
        _authorize_params(xero_sandbox, challenge), redirect_uri="https://app.example/xero/callback/"))
    assert accepted.headers["Location"].startswith("https://app.example/xero/callback/?code=")
    control.reset()  # back to the URIs the sandbox was started with
    assert control.redirect_uris() == list(DEFAULT_REDIRECT_URIS)

    own = XeroSandbox(redirect_uris=["http://127.0.0.1:8123/xero/callback/"]).start()
    try:
        assert own.control.redirect_uris() == ["http://127.0.0.1:8123/xero/callback/"]
        assert own.describe()["redirect_uris"] == ["http://127.0.0.1:8123/xero/callback/"]
    finally:
        own.stop()
