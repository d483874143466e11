"""Latency: every Accounting API call takes ``api_latency +/- api_latency_jitter`` real seconds, served
concurrently (the server is threaded: a sleeping call blocks nobody else); identity, OAuth and the control
API are not delayed."""

import threading
import time

import pytest
import requests

from xero_plugin.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, TENANT_AU, TENANT_NZ, XeroSandbox
from xero_plugin.sandbox.control import SandboxControlError


def _auth(sandbox, tenants=(TENANT_NZ, TENANT_AU)):
    tokens = sandbox.control.issue_tokens(list(tenants))
    return tokens, {"Authorization": "Bearer " + tokens["access_token"]}


def _timed_get(url, headers):
    started = time.monotonic()
    resp = requests.get(url, headers=headers, timeout=10)
    return resp, time.monotonic() - started


def _at_once(calls):
    """Run each zero-argument callable in its own thread, released together; (results, elapsed seconds)."""
    barrier, results = threading.Barrier(len(calls) + 1), [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()
    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.monotonic()
    for t in threads:
        t.join(timeout=30)
    return results, time.monotonic() - started


def test_a_call_takes_at_least_the_latency(xero_sandbox, sdk_client):
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    client.accounting.get_organisations(TENANT_NZ)  # connection set up, imports warm
    xero_sandbox.control.set_latency(100)
    xero_sandbox.control.clear_request_log()
    started = time.monotonic()
    assert client.accounting.get_organisations(TENANT_NZ).organisations
    assert time.monotonic() - started >= 0.1
    assert xero_sandbox.control.request_log()[-1]["duration_ms"] >= 100
    xero_sandbox.control.set_latency(0)
    started = time.monotonic()
    client.accounting.get_organisations(TENANT_NZ)
    assert time.monotonic() - started < 0.1


def test_concurrent_calls_overlap(xero_sandbox):
    """Ten calls of 200 ms at once (five per organisation: within the concurrent limit) take about 200 ms in
    all, not 2 s: each sleeps in its own thread, holding no lock."""
    _, auth = _auth(xero_sandbox)
    xero_sandbox.control.set_latency(200)
    url = xero_sandbox.accounting_url + "/Organisation"
    calls = [lambda t=t: _timed_get(url, dict(auth, **{"xero-tenant-id": t})) for t in [TENANT_NZ, TENANT_AU] * 5]
    results, elapsed = _at_once(calls)
    assert [r.status_code for r, _ in results] == [200] * 10
    assert all(took >= 0.2 for _, took in results)
    assert elapsed < 0.6, elapsed  # serially: 2.0 s


def test_jitter_stays_within_its_bounds(xero_sandbox):
    xero_sandbox.control.set_latency(100, jitter_ms=50)
    assert xero_sandbox.control.config()["api_latency_jitter"] == 0.05
    samples = [xero_sandbox.app.latency() for _ in range(2000)]
    assert 0.05 <= min(samples) < 0.06 and 0.14 < max(samples) <= 0.15  # uniform over 100 +/- 50 ms
    # Over the wire: ten calls at once, each in [50, 150] ms on the server (plus its own few ms of work).
    _, auth = _auth(xero_sandbox)
    xero_sandbox.control.clear_request_log()
    url = xero_sandbox.accounting_url + "/Organisation"
    calls = [lambda t=t: _timed_get(url, dict(auth, **{"xero-tenant-id": t})) for t in [TENANT_NZ, TENANT_AU] * 5]
    results, _ = _at_once(calls)
    assert [r.status_code for r, _ in results] == [200] * 10
    assert all(took >= 0.05 for _, took in results)
    durations = [r["duration_ms"] for r in xero_sandbox.control.request_log()]
    assert len(durations) == 10 and all(50 <= d <= 175 for d in durations), durations
    assert len(set(round(d) for d in durations)) > 1  # they differ
    # Jitter wider than the latency: never below zero.
    xero_sandbox.control.set_latency(10, jitter_ms=50)
    samples = [xero_sandbox.app.latency() for _ in range(500)]
    assert min(samples) == 0 and max(samples) <= 0.06


def test_identity_oauth_and_control_are_not_delayed(xero_sandbox):
    tokens, auth = _auth(xero_sandbox)
    xero_sandbox.control.set_latency(400)
    url = xero_sandbox.accounting_url + "/Organisation"
    # Five slow Accounting calls in flight do not hold up anything else.
    slow = [threading.Thread(target=_timed_get, args=(url, dict(auth, **{"xero-tenant-id": TENANT_NZ})))
            for _ in range(5)]
    for t in slow:
        t.start()
    time.sleep(0.05)
    started = time.monotonic()
    xero_sandbox.control.now()
    connections = requests.get(xero_sandbox.base_url + "/connections", headers=auth, timeout=10)
    refreshed = requests.post(xero_sandbox.token_url, data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}, timeout=10)
    took = time.monotonic() - started
    for t in slow:
        t.join()
    assert connections.status_code == 200 and refreshed.status_code == 200, refreshed.text
    assert took < 0.3, took


def test_refusals_take_the_latency_too(xero_sandbox):
    """Every Accounting API answer takes it, a 401 or 429 as much as a 200 (a refusal holds no slot)."""
    _, auth = _auth(xero_sandbox)
    xero_sandbox.control.set_latency(150)
    url = xero_sandbox.accounting_url + "/Organisation"
    resp, took = _timed_get(url, {"Authorization": "Bearer nope", "xero-tenant-id": TENANT_NZ})
    assert resp.status_code == 401 and took >= 0.15
    xero_sandbox.control.set_app_minute_limit(1)
    assert _timed_get(url, dict(auth, **{"xero-tenant-id": TENANT_NZ}))[0].status_code == 200
    resp, took = _timed_get(url, dict(auth, **{"xero-tenant-id": TENANT_AU}))
    assert resp.status_code == 429 and resp.headers["X-Rate-Limit-Problem"] == "appminute" and took >= 0.15


def test_started_latency_survives_a_reset_and_bad_values_are_refused(sdk_client):
    sandbox = XeroSandbox(api_latency=0.1, api_latency_jitter=0.02).start()
    try:
        sandbox.control.set_latency(0)
        sandbox.control.reset()
        config = sandbox.control.config()
        assert (config["api_latency"], config["api_latency_jitter"]) == (0.1, 0.02)
        client = sdk_client(sandbox, tenant_ids=[TENANT_NZ])
        started = time.monotonic()
        client.accounting.get_organisations(TENANT_NZ)
        assert time.monotonic() - started >= 0.08
        with pytest.raises(SandboxControlError):
            sandbox.control.set_config(api_latency=-0.1)
        with pytest.raises(SandboxControlError):
            sandbox.control.set_latency(10, jitter_ms=-1)
    finally:
        sandbox.stop()
    with pytest.raises(ValueError):
        XeroSandbox(api_latency=-1)
