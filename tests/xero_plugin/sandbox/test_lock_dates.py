"""Lock dates through the real SDK: Organisation.PeriodLockDate / EndOfYearLockDate, set through the control
API, and Xero's refusal of posted invoices, voids and payments dated on or before them."""

import datetime as dt

import pytest
from xero_python.accounting import Account, Invoice, Payment, Payments
from xero_python.exceptions import AccountingBadRequestException

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ

from .helpers import batch, invoice, messages

ZERO = "00000000-0000-0000-0000-000000000000"
PERIOD = "The document date cannot be before the period lock date, currently set at 31-May-2024"
YEAR = "The document date cannot be before the end of year lock date, currently set at 31-Mar-2024"


@pytest.fixture
def locked(xero_sandbox):
    return xero_sandbox.control.set_lock_dates(TENANT_NZ, period=dt.date(2024, 5, 31), end_of_year="2024-03-31")


def _refused(call):
    with pytest.raises(AccountingBadRequestException) as exc:
        call()
    body = exc.value.error_data
    assert exc.value.status == 400
    assert (body["ErrorNumber"], body["Type"], body["Message"]) == (10, "ValidationException",
                                                                    "A validation exception occurred")
    return body["Elements"]


def test_organisation_shows_its_lock_dates(xero_api, xero_sandbox, locked):
    assert locked == {"period": "2024-05-31", "end_of_year": "2024-03-31"}
    org = xero_api.accounting.get_organisations(TENANT_NZ).organisations[0]
    assert (org.period_lock_date, org.end_of_year_lock_date) == (dt.date(2024, 5, 31), dt.date(2024, 3, 31))
    other = xero_api.accounting.get_organisations(TENANT_AU).organisations[0]
    assert other.period_lock_date is None and other.end_of_year_lock_date is None  # "shown if set"
    xero_sandbox.control.set_lock_dates(TENANT_NZ, period=None, end_of_year=None)
    assert xero_api.accounting.get_organisations(TENANT_NZ).organisations[0].period_lock_date is None


@pytest.mark.parametrize("day, expected", [
    (dt.date(2024, 5, 1), [PERIOD]),
    (dt.date(2024, 5, 31), [PERIOD]),         # on the lock date is locked too
    (dt.date(2024, 3, 1), [PERIOD, YEAR]),
])
def test_authorised_invoice_dated_in_a_locked_period_is_refused(xero_api, xero_sandbox, locked, day, expected):
    elements = _refused(lambda: xero_api.accounting.create_invoices(TENANT_NZ, batch(invoice("L-1", date=day))))
    assert [e["InvoiceNumber"] for e in elements] == ["L-1"] and elements[0]["InvoiceID"] == ZERO
    assert messages(elements[0]) == expected and elements[0]["HasErrors"] is True
    assert xero_sandbox.control.invoices(TENANT_NZ) == []
    # The day after the lock date is open.
    created = xero_api.accounting.create_invoices(TENANT_NZ, batch(invoice("L-1", date=dt.date(2024, 6, 1))))
    assert created.invoices[0].status == "AUTHORISED"


def test_without_summarize_errors_the_element_carries_the_refusal(xero_api, locked):
    result = xero_api.accounting.create_invoices(
        TENANT_NZ, batch(invoice("L-2"), invoice("L-3", date=dt.date(2024, 6, 2))), summarize_errors=False)
    first, second = result.invoices
    assert first.has_errors and first.status_attribute_string == "ERROR"
    assert [e.message for e in first.validation_errors] == [PERIOD]
    assert second.status_attribute_string == "OK"


def test_a_draft_may_be_dated_in_a_locked_period_but_not_approved(xero_api, locked):
    acc = xero_api.accounting
    draft = acc.create_invoices(TENANT_NZ, batch(invoice("L-4", status="DRAFT"))).invoices[0]
    assert draft.status == "DRAFT"
    assert acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="SUBMITTED"))).invoices[0].status \
        == "SUBMITTED"
    elements = _refused(lambda: acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="AUTHORISED"))))
    assert messages(elements[0]) == [PERIOD] and elements[0]["InvoiceID"] == draft.invoice_id
    # Moved out of the locked period it can be approved.
    moved = acc.update_invoice(TENANT_NZ, draft.invoice_id,
                               batch(Invoice(status="AUTHORISED", date=dt.date(2024, 6, 3)))).invoices[0]
    assert moved.status == "AUTHORISED" and str(moved.date) == "2024-06-03"


def test_posted_invoice_in_a_locked_period_cannot_be_edited_moved_or_voided(xero_api, xero_sandbox):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("L-5"))).invoices[0]
    xero_sandbox.control.set_lock_dates(TENANT_NZ, period="2024-05-31")
    for change in (Invoice(reference="late edit"), Invoice(date=dt.date(2024, 6, 5)), Invoice(status="VOIDED")):
        elements = _refused(lambda: acc.update_invoice(TENANT_NZ, inv.invoice_id, batch(change)))
        assert messages(elements[0]) == [PERIOD]
    # POST /Invoices (upsert by number) is refused the same way.
    elements = _refused(lambda: acc.update_or_create_invoices(TENANT_NZ, batch(invoice("L-5", amount=11))))
    assert messages(elements[0]) == [PERIOD]
    stored = acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0]
    assert (stored.status, stored.reference, stored.total) == ("AUTHORISED", "", inv.total)
    # Once the lock is removed it can be voided.
    xero_sandbox.control.set_lock_dates(TENANT_NZ)
    assert acc.update_invoice(TENANT_NZ, inv.invoice_id, batch(Invoice(status="VOIDED"))).invoices[0].status == "VOIDED"


def test_payment_dated_in_a_locked_period_is_refused_in_the_payments_shape(xero_api, xero_sandbox):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("L-6", date=dt.date(2024, 6, 10)))).invoices[0]
    xero_sandbox.control.set_lock_dates(TENANT_NZ, period="2024-05-31", end_of_year="2024-03-31")

    def pay(day):
        return acc.create_payments(TENANT_NZ, Payments(payments=[Payment(
            invoice=Invoice(invoice_id=inv.invoice_id), account=Account(code="090"), amount=5, date=day)]))

    elements = _refused(lambda: pay(dt.date(2024, 5, 15)))
    assert elements[0]["PaymentID"] == ZERO and elements[0]["StatusAttributeString"] == "ERROR"
    assert elements[0]["Invoice"]["InvoiceID"] == inv.invoice_id
    assert messages(elements[0]) == [PERIOD]
    assert messages(_refused(lambda: pay(dt.date(2024, 3, 31)))[0]) == [PERIOD, YEAR]
    assert acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0].amount_paid == 0
    paid = pay(dt.date(2024, 6, 15)).payments[0]
    assert paid.amount == 5 and str(paid.date) == "2024-06-15"


def test_lock_dates_are_per_organisation_and_reset(xero_api, xero_sandbox, locked):
    assert xero_api.accounting.create_invoices(TENANT_AU, batch(invoice("L-7", tax="OUTPUT"))).invoices[0].invoice_id
    assert xero_sandbox.control.lock_dates(TENANT_AU) == {"period": None, "end_of_year": None}
    xero_sandbox.control.reset()
    assert xero_sandbox.control.lock_dates(TENANT_NZ) == {"period": None, "end_of_year": None}
