"""The stub remote: how it classifies what it raises."""

import pytest

from integrations_core.errors import ErrorCategory
from plugins.stub.plugin import StubRemoteError, classify


@pytest.mark.parametrize(
    ("error", "category", "retryable"),
    [
        (TimeoutError("slow"), ErrorCategory.TRANSIENT, True),
        (StubRemoteError("rate_limited", 429, {}, retry_after=7), ErrorCategory.RATE_LIMITED, True),
        (StubRemoteError("auth_expired", 401, {}), ErrorCategory.AUTH_EXPIRED, False),
        (StubRemoteError("locked", 400, {}), ErrorCategory.INVOICE_LOCKED, False),
        (StubRemoteError("not_found", 404, {}), ErrorCategory.NOT_FOUND, False),
        (StubRemoteError("validation", 400, {"message": "Date is bad"}), ErrorCategory.VALIDATION, False),
        (StubRemoteError("teapot", 418, {}), ErrorCategory.UNKNOWN, False),
        (ZeroDivisionError(), ErrorCategory.UNKNOWN, False),
    ],
)
def test_stub_classify_maps_each_failure(error, category, retryable):
    classified = classify("NetSuite", error)
    assert classified.category == category and classified.retryable == retryable
    if category == ErrorCategory.RATE_LIMITED:
        assert classified.retry_after == 7
    if category == ErrorCategory.VALIDATION:
        assert classified.message == "NetSuite rejected the invoice: Date is bad"
