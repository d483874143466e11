"""Fault injection: timeouts with and without a commit, dropped connections, 500/503/429."""

import json

import pytest
import urllib3
from xero_python.exceptions import HTTPStatusException, RateLimitException

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ

from .helpers import batch, invoice

TIMEOUT = (2.0, 0.3)


@pytest.fixture
def client(xero_sandbox, sdk_client):
    return sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU])


def _create(client, number, tenant=TENANT_NZ):
    return client.accounting.create_invoices(tenant, batch(invoice(number)), _request_timeout=TIMEOUT)


def _stored(sandbox, number):
    return len(sandbox.control.invoices(TENANT_NZ, number))


def test_timeout_commits_nothing(xero_sandbox, client):
    xero_sandbox.control.inject_fault("timeout", path="/Invoices", delay=0.8)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        _create(client, "T-1")
    assert _stored(xero_sandbox, "T-1") == 0
    _create(client, "T-1")
    assert _stored(xero_sandbox, "T-1") == 1


def test_timeout_after_commit(xero_sandbox, client):
    xero_sandbox.control.inject_fault("timeout_after_commit", method="PUT", delay=0.8)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        _create(client, "T-2")
    assert _stored(xero_sandbox, "T-2") == 1
    log = xero_sandbox.control.request_log()
    assert log[-1]["fault"] == "timeout_after_commit" and log[-1]["status"] == 200


def test_drop_after_commit(xero_sandbox, client):
    xero_sandbox.control.inject_fault("drop_after_commit", path="/invoices")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        _create(client, "T-3")
    assert _stored(xero_sandbox, "T-3") == 1
    # A retry with the same key replays the committed answer instead of failing on the number.
    xero_sandbox.control.inject_fault("drop_after_commit", path="/invoices")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        client.accounting.create_invoices(TENANT_NZ, batch(invoice("T-4")), idempotency_key="k-4")
    again = client.accounting.create_invoices(TENANT_NZ, batch(invoice("T-4")), idempotency_key="k-4")
    assert again.invoices[0].invoice_number == "T-4" and _stored(xero_sandbox, "T-4") == 1


def test_500_and_503(xero_sandbox, client):
    xero_sandbox.control.inject_fault("500", count=2)
    for _ in range(2):
        with pytest.raises(HTTPStatusException) as exc:
            _create(client, "T-5")
        assert exc.value.status == 500
        assert json.loads(exc.value.body)["Detail"].startswith("An error occurred in Xero.")
    xero_sandbox.control.inject_fault("503")
    with pytest.raises(HTTPStatusException) as exc:
        _create(client, "T-5")
    assert exc.value.status == 503 and exc.value.body == b"The Xero API is temporarily unavailable"
    assert _stored(xero_sandbox, "T-5") == 0
    _create(client, "T-5")
    assert _stored(xero_sandbox, "T-5") == 1


def test_429_fault_and_filters(xero_sandbox, client):
    xero_sandbox.control.inject_fault("429", tenant_id=TENANT_AU)
    _create(client, "T-6")  # other tenant: unaffected
    with pytest.raises(RateLimitException) as exc:
        _create(client, "T-6", tenant=TENANT_AU)
    assert exc.value.rate_limit == "minute" and exc.value.headers["Retry-After"] == "1"
    xero_sandbox.control.inject_fault("500", method="GET")
    _create(client, "T-7")
    with pytest.raises(HTTPStatusException):
        client.accounting.get_invoices(TENANT_NZ)
    assert xero_sandbox.control.faults() == []


def test_unknown_fault_kind_is_refused(xero_sandbox):
    from xero_plugin.sandbox import SandboxControlError
    with pytest.raises(SandboxControlError):
        xero_sandbox.control.inject_fault("meteor")


def test_sdk_default_retries_resend_a_put_after_a_read_timeout(xero_sandbox, sdk_client):
    """urllib3's default Retry(3) re-sends PUT (an 'idempotent' method) after a read timeout, so a
    commit-then-timeout surfaces as Xero's duplicate-number error unless an Idempotency-Key is sent."""
    from xero_python.exceptions import AccountingBadRequestException
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ], retries=None)
    xero_sandbox.control.inject_fault("timeout_after_commit", method="PUT", delay=0.8)
    with pytest.raises(AccountingBadRequestException) as exc:
        _create(client, "T-8")
    assert exc.value.reason == "Invoice # must be unique."
    xero_sandbox.control.inject_fault("timeout_after_commit", method="PUT", delay=0.8)
    replayed = client.accounting.create_invoices(TENANT_NZ, batch(invoice("T-9")), idempotency_key="k-9",
                                                 _request_timeout=TIMEOUT)
    assert replayed.invoices[0].invoice_number == "T-9" and _stored(xero_sandbox, "T-9") == 1
