"""The classifier's interfaces: classify_response / classify_messages / classify_exception, through the SDK's own
exception types and the local Xero. The table of every body shape is in test_error_shapes.py."""

import datetime as dt
import json

import pytest
import urllib3
from xero_python.accounting import Account, Invoice, Payment, Payments
from xero_python.exceptions import (AccountingBadRequestException, HTTPStatusException, OAuth2InvalidGrantError,
                                    RateLimitException)
from xero_python.rest import RESTResponse

from integrations_core.errors import ErrorCategory as C, PushError
from xero_plugin.errors import (classify_exception, classify_failure, classify_messages, classify_response,
                                validation_messages)
from xero_plugin.sandbox import TENANT_NZ

from ..sandbox.helpers import batch, invoice
from .test_error_shapes import PAID_ECHO, validation

MODIFICATION = "Invoice not of valid status for modification"


def _sdk_error(cls, status, body: bytes, headers=None):
    """One of the SDK's exceptions around a real urllib3 response, as `rest.py` raises it."""
    raw = urllib3.HTTPResponse(body=body, status=status, headers=headers or {}, preload_content=True,
                               reason="Bad Request" if status == 400 else "Error")
    return cls(http_resp=RESTResponse(raw))


def test_classify_response_uses_the_seed_wording_and_names_the_code():
    error = classify_response(400, validation("Account code '999' is not a valid code for this document.").encode(), {})
    assert error.message == "Account/Tax Rate must be Valid: Account code '999' is not a valid code for this document"
    assert classify_response(503, b"offline", {}).message == "Sync unsuccessful"
    locked = classify_response(400, validation(MODIFICATION, echo=PAID_ECHO).encode(), {})
    assert locked.message == "Invoice is paid in Xero and locked: manage changes directly in Xero"
    expired = classify_response(403, b'{"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful"}', {})
    assert expired.message.startswith("Xero connection expired: reconnect in Settings > Add-ons")


def test_classify_response_takes_retry_after_from_a_429():
    error = classify_response(429, b"", {"retry-after": "37", "X-Rate-Limit-Problem": "day"})
    assert error.retry_after == 37 and error.retryable and "day" in error.message
    assert classify_response(429, b"", {}).retry_after == 60


def test_classify_response_never_raises_on_garbage():
    for status, body, headers in [(None, None, None), (400, b"\xff\xfe", object()), ("x", 5, []),
                                  (400, b"[1, 2]", {}), (400, b'{"Elements": "nope", "Type": 5}', {}),
                                  (400, b"<ApiException><Elements>", {}), (200, b'{"Invoices": [1, null]}', {})]:
        assert classify_response(status, body, headers).category == C.UNKNOWN


def test_classify_response_keeps_no_secret_in_the_raw_body():
    error = classify_response(400, b'{"error":"invalid_grant","refresh_token":"abc123secret"}', {})
    assert "abc123secret" not in error.raw


def test_classify_messages_reads_the_echoed_invoice_and_the_status_read_back():
    assert classify_messages([MODIFICATION]).category == C.VALIDATION
    assert classify_messages([MODIFICATION], element=PAID_ECHO).category == C.INVOICE_LOCKED
    assert classify_messages([MODIFICATION], element=Invoice(amount_paid=5)).category == C.INVOICE_LOCKED
    for remote, category in (("VOIDED", C.VOIDED_REMOTELY), ("deleted", C.DELETED_REMOTELY), ("PAID", C.INVOICE_LOCKED),
                             ("AUTHORISED", C.VALIDATION)):
        assert classify_messages([MODIFICATION], remote_status=remote).category == category
    # A status read back decides only the refused status change, not another complaint.
    assert classify_messages(["Account must be valid."], remote_status="VOIDED").category == C.INVALID_ACCOUNT_OR_TAX
    assert classify_messages([]).category == C.UNKNOWN
    gl = classify_messages([], warnings=["Account code '600' has been removed as it does not match a recognised "
                                         "account."])
    assert gl.category == C.MISSING_GL_ACCOUNT


def test_validation_messages_reads_every_element_and_nested_object():
    body = {"Elements": [{"ValidationErrors": [{"Message": "Contact cannot be empty."}],
                          "Contact": {"ValidationErrors": [{"Message": "Contact cannot be empty."}]}},
                         {"LineItems": [{"ValidationErrors": [{"Message": "Account must be valid."}]}],
                          "Warnings": [{"Message": "W"}]}]}
    assert validation_messages(body) == [(0, "Contact cannot be empty."), (1, "Account must be valid."), (1, "W")]
    assert validation_messages({"Message": "Unterminated string literal"}) == [(None, "Unterminated string literal")]
    assert validation_messages("nope") == []


def test_classify_exception_reads_network_and_token_errors():
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    assert classify_exception(ReadTimeoutError(None, "/", "read timed out")).category == C.TRANSIENT
    assert classify_exception(ProtocolError("Connection aborted.")).category == C.TRANSIENT

    class AccessTokenExpiredError(Exception):
        pass

    assert classify_exception(AccessTokenExpiredError()).category == C.AUTH_EXPIRED
    assert classify_exception(ValueError("bad enum")).category == C.UNKNOWN


def test_classify_exception_reads_the_sdk_exceptions_without_their_json_properties():
    not_json = _sdk_error(AccountingBadRequestException, 400, b"<html>Bad Request</html>")
    with pytest.raises(json.JSONDecodeError):
        not_json.status  # noqa: B018 - XERO.md 9.3: the SDK's own property raises on a non-JSON 400
    assert classify_exception(not_json).category == C.UNKNOWN
    body = validation("The document date cannot be before the period lock date, currently set at 31/10/2026.")
    locked = classify_exception(_sdk_error(AccountingBadRequestException, 400, body.encode(),
                                           {"Xero-Correlation-Id": "c0ffee"}))
    assert (locked.category, locked.detail, locked.request_id) == (
        C.PERIOD_LOCKED, "the period lock date is currently set at 31/10/2026", "c0ffee")
    voided = classify_exception(_sdk_error(AccountingBadRequestException, 400, validation(MODIFICATION).encode()),
                                remote_status="VOIDED")
    assert voided.category == C.VOIDED_REMOTELY
    limited = classify_exception(_sdk_error(RateLimitException, 429, b"", {"Retry-After": "5",
                                                                            "X-Rate-Limit-Problem": "minute"}))
    assert (limited.category, limited.retry_after) == (C.RATE_LIMITED, 5)
    assert classify_exception(_sdk_error(OAuth2InvalidGrantError, 400, b'{"error":"invalid_grant"}')).category == \
        C.AUTH_EXPIRED
    assert classify_exception(_sdk_error(HTTPStatusException, 503, b"The Xero API is temporarily unavailable")) \
        .category == C.TRANSIENT


def test_classify_failure_keeps_a_push_errors_own_classification():
    own = classify_messages(["Account must be valid."])
    assert classify_failure(PushError(own)) is own
    assert classify_failure(TimeoutError("timed out")).category == C.TRANSIENT


# --- through the real SDK against the local Xero ------------------------------------------------------------


def _refusal(call):
    with pytest.raises(AccountingBadRequestException) as exc:
        call()
    return exc.value


def test_the_local_xeros_refusals_land_in_their_categories(xero_api):
    acc = xero_api.accounting
    bad = _refusal(lambda: acc.create_invoices(TENANT_NZ, batch(invoice("E-1", account="999"))))
    assert classify_exception(bad).message == ("Account/Tax Rate must be Valid: Account code '999' is not a valid "
                                               "code for this document")
    made = acc.create_invoices(TENANT_NZ, batch(invoice("E-2"))).invoices[0]
    acc.create_payments(TENANT_NZ, Payments(payments=[Payment(invoice=Invoice(invoice_id=made.invoice_id),
                                                              account=Account(code="090"), amount=made.total,
                                                              date=made.date)]))
    edit = _refusal(lambda: acc.update_or_create_invoices(TENANT_NZ, batch(invoice("E-2", amount=99))))
    void = _refusal(lambda: acc.update_invoice(TENANT_NZ, made.invoice_id, batch(Invoice(status="VOIDED"))))
    assert classify_exception(edit).category == classify_exception(void).category == C.INVOICE_LOCKED


def test_an_invoice_voided_in_xero_never_reads_as_paid(xero_api):
    acc = xero_api.accounting
    made = acc.create_invoices(TENANT_NZ, batch(invoice("E-3"))).invoices[0]
    acc.update_invoice(TENANT_NZ, made.invoice_id, batch(Invoice(status="VOIDED")))
    refused = _refusal(lambda: acc.update_or_create_invoices(TENANT_NZ, batch(invoice("E-3", amount=99))))
    assert classify_exception(refused).category == C.VALIDATION  # Xero's words alone do not say which status
    assert classify_exception(refused, remote_status="VOIDED").message == ("Invoice is voided in Xero: it takes no "
                                                                           "more changes")
    # summarizeErrors=false: the element is the SDK's model, as push.py sees it.
    [element] = acc.update_or_create_invoices(TENANT_NZ, batch(invoice("E-3", amount=99)),
                                              summarize_errors=False).invoices
    messages = [e.message for e in element.validation_errors]
    assert classify_messages(messages, element=element).category == C.VALIDATION
    assert classify_messages(messages, element=element, remote_status="VOIDED").category == C.VOIDED_REMOTELY


def test_a_lock_date_reads_as_period_locked_with_the_dates(xero_api, xero_sandbox):
    xero_sandbox.control.set_lock_dates(TENANT_NZ, period=dt.date(2024, 5, 31), end_of_year=dt.date(2024, 3, 31))
    refused = _refusal(lambda: xero_api.accounting.create_invoices(
        TENANT_NZ, batch(invoice("E-4", date=dt.date(2024, 3, 1)))))
    error = classify_exception(refused)
    assert error.category == C.PERIOD_LOCKED and not error.retryable
    assert error.detail == ("the period lock date is currently set at 31-May-2024; "
                            "the end of year lock date is currently set at 31-Mar-2024")
