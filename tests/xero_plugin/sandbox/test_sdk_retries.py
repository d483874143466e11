"""What the real SDK does by default (XERO.md 9.3) on a dropped connection and on a 503, counted on the
local Xero's request log: how many requests reach Xero for one SDK call.

The SDK has no retry code, but its urllib3 pool's default ``Retry(total=3)`` applies: a connection dropped
after the request was sent is re-sent for GET and PUT (idempotent methods), never for POST; a 503 (or 429)
is retried only when it carries ``Retry-After``, after sleeping it, and again only for GET and PUT.
``retries=None`` below leaves that default in place; ``retries=False`` turns it off.
"""

import time

import pytest
import urllib3
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException

from xero_plugin.sandbox import TENANT_NZ

from .helpers import batch, invoice

CALLS = {
    "GET": lambda acc: acc.get_invoices(TENANT_NZ),
    "PUT": lambda acc: acc.create_invoices(TENANT_NZ, batch(invoice("R-1"))),
    "POST": lambda acc: acc.update_or_create_invoices(TENANT_NZ, batch(invoice("R-1"))),
}


def _one_call(sandbox, sdk_client, method, retries=None, **fault):
    """Arm ``fault`` for ``method``, make one SDK call; returns (outcome, the requests Xero saw)."""
    client = sdk_client(sandbox, tenant_ids=[TENANT_NZ], retries=retries)
    sandbox.control.clear_request_log()
    sandbox.control.inject_fault(method=method, **fault)
    try:
        outcome = CALLS[method](client.accounting)
    except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
        outcome = exc
    seen = [(r["method"], r["status"], r["fault"]) for r in sandbox.control.request_log()]
    return outcome, seen


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_dropped_connection_is_resent_for_get_and_put(xero_sandbox, sdk_client, method):
    outcome, seen = _one_call(xero_sandbox, sdk_client, method, kind="drop")
    assert not isinstance(outcome, Exception)  # the caller never sees the drop
    assert seen == [(method, None, "drop"), (method, 200, None)]


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_dropped_connection_is_sent_four_times_at_most(xero_sandbox, sdk_client, method):
    outcome, seen = _one_call(xero_sandbox, sdk_client, method, kind="drop", count=10)
    assert isinstance(outcome, urllib3.exceptions.MaxRetryError)
    assert isinstance(outcome.reason, urllib3.exceptions.ProtocolError)
    assert seen == [(method, None, "drop")] * 4  # the call and urllib3's three retries


def test_a_dropped_post_is_not_resent(xero_sandbox, sdk_client):
    outcome, seen = _one_call(xero_sandbox, sdk_client, "POST", kind="drop")
    assert isinstance(outcome, urllib3.exceptions.ProtocolError)
    assert seen == [("POST", None, "drop")]


def test_a_put_dropped_after_its_commit_is_sent_again(xero_sandbox, sdk_client):
    """The re-sent PUT meets the invoice its first copy made: one invoice, and the caller gets Xero's
    duplicate-number error instead of the created invoice."""
    outcome, seen = _one_call(xero_sandbox, sdk_client, "PUT", kind="drop_after_commit")
    assert isinstance(outcome, AccountingBadRequestException) and outcome.reason == "Invoice # must be unique."
    assert seen == [("PUT", None, "drop_after_commit"), ("PUT", 400, None)]
    assert len(xero_sandbox.control.invoices(TENANT_NZ, "R-1")) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "POST"])
def test_a_503_without_retry_after_reaches_the_caller_at_once(xero_sandbox, sdk_client, method):
    outcome, seen = _one_call(xero_sandbox, sdk_client, method, kind="503")
    assert isinstance(outcome, HTTPStatusException) and outcome.status == 503
    assert seen == [(method, 503, "503")]


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_503_with_retry_after_is_slept_through_for_get_and_put(xero_sandbox, sdk_client, method):
    started = time.monotonic()
    outcome, seen = _one_call(xero_sandbox, sdk_client, method, kind="503", retry_after=1)
    assert not isinstance(outcome, Exception)
    assert seen == [(method, 503, "503"), (method, 200, None)]
    assert time.monotonic() - started >= 0.9


def test_a_503_with_retry_after_on_post_reaches_the_caller(xero_sandbox, sdk_client):
    outcome, seen = _one_call(xero_sandbox, sdk_client, "POST", kind="503", retry_after=1)
    assert isinstance(outcome, HTTPStatusException) and outcome.status == 503
    assert seen == [("POST", 503, "503")]


@pytest.mark.parametrize("kind", ["drop", "503"])
def test_with_retries_off_every_call_is_one_request(xero_sandbox, sdk_client, kind):
    outcome, seen = _one_call(xero_sandbox, sdk_client, "GET", retries=False, kind=kind, retry_after=1)
    assert isinstance(outcome, (urllib3.exceptions.ProtocolError, HTTPStatusException))
    assert len(seen) == 1
