"""The app-wide minute limit: 10,000 calls a minute per app across all its tenants (XERO.md 6.4), on a fixed
window like the per-organisation minute, with ``X-AppMinLimit-Remaining`` on every Accounting API answer and a
429 ``X-Rate-Limit-Problem: appminute`` past it. Configurable so a benchmark can make it bind."""

import json
import os
import time

import pytest
import requests
from xero_python.exceptions import RateLimitException

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ, TENANT_NZ2, XeroSandbox

from .helpers import describe as _describe


def _call(client, tenant):
    """GET /Organisation for a tenant; its headers."""
    _, status, headers = client.accounting.get_organisations(tenant, _return_http_data_only=False)
    assert status == 200
    return headers


def _refused(client, tenant):
    with pytest.raises(RateLimitException) as exc:
        client.accounting.get_organisations(tenant)
    return exc.value


def test_calls_of_two_tenants_together_exhaust_the_app_minute(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU, TENANT_NZ2])
    assert xero_sandbox.control.set_app_minute_limit(5)["app_minute"] == 5
    # One counter for the app, whichever tenant calls; each tenant keeps its own minute and day.
    seen = []
    for tenant in (TENANT_NZ, TENANT_AU, TENANT_NZ, TENANT_AU, TENANT_NZ):
        headers = _call(client, tenant)
        seen.append(headers["X-AppMinLimit-Remaining"])
    assert seen == ["4", "3", "2", "1", "0"]
    assert headers["X-MinLimit-Remaining"] == "57" and headers["X-DayLimit-Remaining"] == "4997"  # NZ: 3 calls

    for tenant in (TENANT_AU, TENANT_NZ, TENANT_NZ2):  # NZ2 has not called at all: the app's limit binds it too
        exc = _refused(client, tenant)
        assert exc.status == 429 and exc.rate_limit == "appminute"
        assert exc.headers["X-Rate-Limit-Problem"] == "appminute"
        assert exc.headers["X-AppMinLimit-Remaining"] == "0"
        # The window opened at the app's first call, a moment ago: about a minute to wait (clock_scale=1).
        assert 50 <= int(exc.headers["Retry-After"]) <= 60
    assert exc.headers["X-MinLimit-Remaining"] == "60" and exc.headers["X-DayLimit-Remaining"] == "5000"  # NZ2

    # A refused call counts against nothing: AU's day counter still shows its 2 admitted calls.
    assert _refused(client, TENANT_AU).headers["X-DayLimit-Remaining"] == "4998"

    # The next minute on the sandbox clock opens a new window for the app.
    xero_sandbox.control.advance_clock(60)
    headers = _call(client, TENANT_AU)
    assert headers["X-AppMinLimit-Remaining"] == "4" and headers["X-DayLimit-Remaining"] == "4997"
    assert _call(client, TENANT_NZ2)["X-AppMinLimit-Remaining"] == "3"


def test_the_app_window_runs_on_the_scaled_clock(xero_fast_sandbox, sdk_client):
    """clock_scale=60: the app's minute lasts one real second, and Retry-After is in real seconds."""
    client = sdk_client(xero_fast_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU])
    xero_fast_sandbox.control.set_app_minute_limit(2)
    _call(client, TENANT_NZ)
    _call(client, TENANT_AU)
    exc = _refused(client, TENANT_AU)
    assert exc.rate_limit == "appminute" and exc.headers["Retry-After"] == "1"
    time.sleep(1.05)
    assert _call(client, TENANT_AU)["X-AppMinLimit-Remaining"] == "1"


def test_the_sdks_default_retries_wait_out_an_appminute_429(xero_fast_sandbox, sdk_client):
    """It carries Retry-After, so urllib3's default Retry sleeps it and re-sends the GET (XERO.md 9.3)."""
    client = sdk_client(xero_fast_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU], retries=None)
    xero_fast_sandbox.control.set_app_minute_limit(1)
    _call(client, TENANT_NZ)
    started = time.monotonic()
    assert _call(client, TENANT_AU)["X-AppMinLimit-Remaining"] == "0"
    assert time.monotonic() - started >= 0.5
    assert [r["status"] for r in xero_fast_sandbox.control.request_log()] == [200, 429, 200]


def test_default_is_xeros_10000_and_the_header_is_on_error_answers(xero_sandbox, sdk_client):
    assert xero_sandbox.control.limits()["app_minute"] == 10000
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    tokens = client.token
    url = xero_sandbox.accounting_url
    auth = {"Authorization": "Bearer " + tokens["access_token"], "xero-tenant-id": TENANT_NZ}
    assert requests.get(url + "/Organisation", headers=auth).headers["X-AppMinLimit-Remaining"] == "9999"
    missing = requests.get(url + "/Invoices/INV-NOPE", headers=auth)  # a 404 of a counted call
    assert missing.status_code == 404 and missing.headers["X-AppMinLimit-Remaining"] == "9998"
    bad = requests.put(url + "/Invoices", headers=dict(auth, **{"Content-Type": "application/json"}),
                       data=json.dumps({"Invoices": [{"Type": "ACCREC"}]}))
    assert bad.status_code == 400 and bad.headers["X-AppMinLimit-Remaining"] == "9997"


def test_a_started_limit_survives_a_reset_and_beats_the_state_file(tmp_path, sdk_client):
    path = str(tmp_path / "xero.json")
    first = XeroSandbox(state_file=path, app_minute_limit=7).start()
    first.stop()  # the file remembers app_minute=7
    sandbox = XeroSandbox(state_file=path, app_minute_limit=3).start()
    try:
        assert sandbox.control.limits()["app_minute"] == 3
        sandbox.control.set_app_minute_limit(50)
        sandbox.control.reset()
        assert sandbox.control.limits()["app_minute"] == 3
        client = sdk_client(sandbox, tenant_ids=[TENANT_NZ, TENANT_AU])
        assert [_call(client, t)["X-AppMinLimit-Remaining"] for t in (TENANT_NZ, TENANT_AU, TENANT_NZ)] == \
            ["2", "1", "0"]
        assert _refused(client, TENANT_AU).rate_limit == "appminute"
        assert sandbox.describe()["app_minute_limit"] == 3
    finally:
        sandbox.stop()
    with pytest.raises(ValueError):
        XeroSandbox(app_minute_limit=0)


def test_process_options_and_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("XERO_SANDBOX_")}
    info = _describe(env=env)
    assert (info["app_minute_limit"], info["latency_ms"], info["latency_jitter_ms"]) == (10000, 0, 0)
    info = _describe("--app-minute-limit", "100", "--latency-ms", "250", "--latency-jitter-ms", "50", env=env)
    assert (info["app_minute_limit"], info["latency_ms"], info["latency_jitter_ms"]) == (100, 250, 50)
    env.update(XERO_SANDBOX_APP_MINUTE_LIMIT="120", XERO_SANDBOX_LATENCY_MS="30", XERO_SANDBOX_LATENCY_JITTER_MS="5")
    info = _describe(env=env)
    assert (info["app_minute_limit"], info["latency_ms"], info["latency_jitter_ms"]) == (120, 30, 5)
    assert _describe("--app-minute-limit", "90", env=env)["app_minute_limit"] == 90  # an option beats the env
