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
