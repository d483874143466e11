"""classify_response: every Xero error of XERO.md section 10 lands in its category, with the seed's words."""

import json

import pytest

from integrations_core.errors import ErrorCategory as C
from xero_plugin.errors import classify_exception, classify_response


def _validation(*messages, warnings=()):
    return json.dumps({"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred",
                       "Elements": [{"ValidationErrors": [{"Message": m} for m in messages],
                                     "Warnings": [{"Message": w} for w in warnings]}]})


def _problem(status, title, detail):
    return json.dumps({"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": "x",
                       "Extensions": {}})


CASES = [
    (401, _problem(401, "Unauthorized", "TokenExpired: token expired at 04/09/2023 05:16:59"), {}, C.AUTH_EXPIRED),
    (401, _problem(401, "Unauthorized", "AuthenticationUnsuccessful"), {}, C.AUTH_EXPIRED),
    (401, _problem(401, "Unauthorized", "AuthorizationUnsuccessful"), {}, C.AUTH_EXPIRED),
    (400, '{"error":"invalid_grant"}', {}, C.AUTH_EXPIRED),
    (400, '{"error":"invalid_client"}', {}, C.AUTH_EXPIRED),
    (403, _problem(403, "Forbidden", "AuthenticationUnsuccessful"), {}, C.AUTH_EXPIRED),
    (429, "", {"Retry-After": "37", "X-Rate-Limit-Problem": "minute"}, C.RATE_LIMITED),
    (400, _validation("Invoice not of valid status for modification"), {}, C.INVOICE_LOCKED),
    (400, _validation("This document cannot be edited as it has a payment or credit note allocated to it."), {},
     C.INVOICE_LOCKED),
    (400, _validation("Account code '999' is not a valid code for this document."), {}, C.INVALID_ACCOUNT_OR_TAX),
    (400, _validation("Account code '260' has been archived, or has been deleted. Each line item must reference a valid account."), {},
     C.INVALID_ACCOUNT_OR_TAX),
    (400, _validation("The TaxType code 'BOGUS' does not exist or cannot be used for this type of transaction."), {},
     C.INVALID_ACCOUNT_OR_TAX),
    (400, _validation("The TaxType code 'INPUT2' cannot be used with account code '200'."), {}, C.INVALID_ACCOUNT_OR_TAX),
    (400, _validation("Account code must be specified"), {}, C.MISSING_GL_ACCOUNT),
    (400, _validation(warnings=["Account code '600' has been removed as it does not match a recognised account."]), {},
     C.MISSING_GL_ACCOUNT),
    (404, "The resource you're looking for cannot be found", {}, C.NOT_FOUND),
    (500, _problem(500, "An error occurred", "An error occurred in Xero. Check the API Status page"), {}, C.TRANSIENT),
    (503, "The Xero API is currently offline for maintenance", {}, C.TRANSIENT),
    (502, "", {}, C.TRANSIENT),
    (400, _validation("Idempotency key 'k' is used with a different request"), {}, C.UNKNOWN),
    (400, _validation("Invoice # must be unique."), {}, C.UNKNOWN),
    (400, _validation("A Contact must be specified for this type of transaction"), {}, C.VALIDATION),
    (400, '{"ErrorNumber":16,"Type":"QueryParseException","Message":"Unterminated string literal"}', {}, C.VALIDATION),
    (400, "<html>not json</html>", {}, C.UNKNOWN),
    (412, "", {}, C.UNKNOWN),
]


@pytest.mark.parametrize(("status", "body", "headers", "category"), CASES)
def test_classify_response_lands_each_error_in_its_category(status, body, headers, category):
    error = classify_response(status, body.encode(), headers)
    assert error.category == category and error.message and error.fix


def test_classify_response_uses_the_seed_wording_and_names_the_code():
    error = classify_response(400, _validation("Account code '999' is not a valid code for this document.").encode(), {})
    assert error.message == "Account/Tax Rate must be Valid: Account code '999' is not a valid code for this document"
    assert classify_response(503, b"offline", {}).message == "Sync unsuccessful"
    locked = classify_response(400, _validation("Invoice not of valid status for modification").encode(), {})
    assert locked.message == "Invoice is paid in Xero and locked: manage changes directly in Xero"
    expired = classify_response(403, _problem(403, "Forbidden", "AuthenticationUnsuccessful").encode(), {})
    assert expired.message.startswith("Xero connection expired: reconnect in Settings > Add-ons")


def test_classify_response_takes_retry_after_from_a_429():
    error = classify_response(429, b"", {"retry-after": "37", "X-Rate-Limit-Problem": "day"})
    assert error.retry_after == 37 and error.retryable and "day" in error.message


def test_classify_response_never_raises_on_garbage():
    for status, body, headers in [(None, None, None), (400, b"\xff\xfe", object()), ("x", 5, [])]:
        assert classify_response(status, body, headers).category == C.UNKNOWN


def test_classify_exception_reads_network_and_token_errors():
    from urllib3.exceptions import ProtocolError, ReadTimeoutError

    assert classify_exception(ReadTimeoutError(None, "/", "read timed out")).category == C.TRANSIENT
    assert classify_exception(ProtocolError("Connection aborted.")).category == C.TRANSIENT

    class AccessTokenExpiredError(Exception):
        pass

    assert classify_exception(AccessTokenExpiredError()).category == C.AUTH_EXPIRED
    assert classify_exception(ValueError("bad enum")).category == C.UNKNOWN


def test_classify_response_keeps_no_secret_in_the_raw_body():
    error = classify_response(400, b'{"error":"invalid_grant","refresh_token":"abc123secret"}', {})
    assert "abc123secret" not in error.raw
