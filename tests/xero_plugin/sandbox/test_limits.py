"""Rate limits per (app, organisation): 60 per fixed minute, 5 at once, 5,000 a day,
with Retry-After, X-Rate-Limit-Problem and the X-*-Remaining headers."""

import threading
import time

import pytest
import requests
from xero_python.exceptions import AccountingBadRequestException, RateLimitException

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ

from .helpers import batch, invoice


def _headers(client):
    _, status, headers = client.accounting.get_organisations(TENANT_NZ, _return_http_data_only=False)
    assert status == 200
    return headers


def test_minute_limit_in_a_scaled_minute(xero_fast_sandbox, sdk_client):
    client = sdk_client(xero_fast_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU])
    first = _headers(client)
    assert first["X-MinLimit-Remaining"] == "59" and first["X-DayLimit-Remaining"] == "4999"
    assert first["X-AppMinLimit-Remaining"] == "9999"
    for _ in range(59):
        last = _headers(client)
    assert last["X-MinLimit-Remaining"] == "0"
    with pytest.raises(RateLimitException) as exc:
        client.accounting.get_organisations(TENANT_NZ)
    assert exc.value.status == 429 and exc.value.rate_limit == "minute"
    assert int(exc.value.headers["Retry-After"]) >= 1
    assert exc.value.headers["X-MinLimit-Remaining"] == "0"
    # Another organisation has its own window.
    assert client.accounting.get_organisations(TENANT_AU).organisations
    # A new minute (60 sandbox seconds) opens the window again.
    xero_fast_sandbox.control.advance_clock(60)
    assert _headers(client)["X-MinLimit-Remaining"] == "59"


def test_sdk_default_retries_sleep_through_a_429(xero_fast_sandbox, sdk_client):
    """The SDK's urllib3 Retry(3) honours Retry-After on GET/PUT: the caller never sees the 429."""
    client = sdk_client(xero_fast_sandbox, tenant_ids=[TENANT_NZ], retries=None)
    xero_fast_sandbox.control.set_limits(minute=2)
    client.accounting.get_organisations(TENANT_NZ)
    client.accounting.get_organisations(TENANT_NZ)
    started = time.monotonic()
    assert client.accounting.get_organisations(TENANT_NZ).organisations
    assert time.monotonic() - started >= 0.9  # slept Retry-After (real seconds) once


def test_day_limit(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    xero_sandbox.control.set_limits(day=3)
    for _ in range(3):
        client.accounting.get_organisations(TENANT_NZ)
    with pytest.raises(RateLimitException) as exc:
        client.accounting.get_organisations(TENANT_NZ)
    assert exc.value.rate_limit == "day" and int(exc.value.headers["Retry-After"]) > 80000
    xero_sandbox.control.advance_clock(86400)
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])  # the old access token expired meanwhile
    assert client.accounting.get_organisations(TENANT_NZ).organisations


def test_five_concurrent_calls(xero_sandbox):
    tokens = xero_sandbox.control.issue_tokens([TENANT_NZ])
    headers = {"Authorization": "Bearer " + tokens["access_token"], "xero-tenant-id": TENANT_NZ}
    xero_sandbox.control.inject_fault("slow", count=5, path="/Organisation", delay=0.6)
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(
        requests.get(xero_sandbox.accounting_url + "/Organisation", headers=headers).status_code)) for _ in range(5)]
    for t in threads:
        t.start()
    time.sleep(0.25)
    sixth = requests.get(xero_sandbox.accounting_url + "/Organisation", headers=headers)
    for t in threads:
        t.join()
    assert statuses == [200] * 5
    assert sixth.status_code == 429 and sixth.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert "Retry-After" not in sixth.headers
    assert requests.get(xero_sandbox.accounting_url + "/Organisation", headers=headers).status_code == 200


def test_headers_on_errors_and_relaxed_limits(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    with pytest.raises(AccountingBadRequestException) as exc:
        client.accounting.create_invoices(TENANT_NZ, batch(invoice("X", account="999")))
    assert exc.value.headers["X-DayLimit-Remaining"] == "4999"
    assert exc.value.headers["Xero-Correlation-Id"]
    xero_sandbox.control.relax_limits()
    for _ in range(70):
        client.accounting.get_organisations(TENANT_NZ)


def _at_once(n, call):
    """Run ``call`` in ``n`` threads released together; returns their outcomes."""
    barrier, outcomes, lock = threading.Barrier(n), [], threading.Lock()

    def run():
        barrier.wait()
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            result = exc
        with lock:
            outcomes.append(result)
    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("slow", ["latency", "slow_fault"])
def test_twelve_sdk_calls_at_once_five_run_seven_get_concurrent_429s(xero_sandbox, sdk_client, slow):
    """Each call takes a while (as Xero's do); only 5 per organisation may be in progress. The 429s say
    ``X-Rate-Limit-Problem: concurrent`` with no Retry-After (XERO.md 6.4), so even the SDK's default
    urllib3 retries (which only sleep on a Retry-After) hand them straight to the caller."""
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU], retries=None)
    if slow == "latency":
        xero_sandbox.control.set_config(api_latency=0.5)
    else:
        xero_sandbox.control.inject_fault("slow", count=12, path="/Organisation", delay=0.5)
    xero_sandbox.control.clear_request_log()

    outcomes = _at_once(12, lambda: client.accounting.get_organisations(TENANT_NZ))

    ok = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, RateLimitException)]
    assert len(ok) == 5 and len(refused) == 7, outcomes
    for exc in refused:
        assert exc.status == 429 and exc.rate_limit == "concurrent"
        assert exc.headers["X-Rate-Limit-Problem"] == "concurrent"
        assert exc.headers.get("Retry-After") is None
        assert exc.headers["X-MinLimit-Remaining"] and exc.headers["X-DayLimit-Remaining"]
    log = xero_sandbox.control.request_log()
    assert sorted(r["status"] for r in log) == [200] * 5 + [429] * 7  # one request per call: no retries
    # Another organisation has its own five; once the calls are over, there is room again.
    assert client.accounting.get_organisations(TENANT_AU).organisations
    assert client.accounting.get_organisations(TENANT_NZ).organisations


def test_a_held_back_answer_still_holds_its_slot(xero_sandbox):
    """A call is in progress until it has answered: committed, then held back (timeout_after_commit)."""
    tokens = xero_sandbox.control.issue_tokens([TENANT_NZ])
    headers = {"Authorization": "Bearer " + tokens["access_token"], "xero-tenant-id": TENANT_NZ}
    xero_sandbox.control.inject_fault("timeout_after_commit", count=5, path="/Organisation", delay=0.8)
    url = xero_sandbox.accounting_url + "/Organisation"
    held = []
    threads = [threading.Thread(target=lambda: held.append(requests.get(url, headers=headers, timeout=5).status_code))
               for _ in range(5)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    sixth = requests.get(url, headers=headers, timeout=5)
    for t in threads:
        t.join()
    assert held == [200] * 5
    assert sixth.status_code == 429 and sixth.headers["X-Rate-Limit-Problem"] == "concurrent"
    assert requests.get(url, headers=headers, timeout=5).status_code == 200
