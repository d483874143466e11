"""Invoices through the real SDK: create, update, get, pay, Xero's validation messages,
summarizeErrors both ways, and Idempotency-Key replay."""

import json
from decimal import Decimal

import pytest
from xero_python.accounting import Invoice, Payment, Payments, Account
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ, contact_id

from .helpers import batch, invoice, messages


def test_create_get_update(xero_api):
    acc = xero_api.accounting
    created = acc.create_invoices(TENANT_NZ, batch(invoice("INV-1")), summarize_errors=False, unitdp=4).invoices[0]
    assert created.status == "AUTHORISED" and created.status_attribute_string == "OK"
    assert created.sub_total == Decimal("21.00") and created.total_tax == Decimal("3.15")
    assert created.total == Decimal("24.15") and created.amount_due == Decimal("24.15")
    assert created.contact.contact_id == contact_id(TENANT_NZ, "Acme Ltd")
    assert str(created.date) == "2024-05-01"

    by_number = acc.get_invoice(TENANT_NZ, "INV-1").invoices[0]
    by_id = acc.get_invoice(TENANT_NZ, created.invoice_id).invoices[0]
    assert by_number.invoice_id == by_id.invoice_id == created.invoice_id
    assert by_id.line_items[0].account_code == "200"

    updated = acc.update_invoice(TENANT_NZ, created.invoice_id,
                                 batch(Invoice(reference="Changed", line_items=by_id.line_items))).invoices[0]
    assert updated.reference == "Changed" and updated.invoice_id == created.invoice_id
    upserted = acc.update_or_create_invoices(TENANT_NZ, batch(invoice("INV-1", amount=20))).invoices[0]
    assert upserted.invoice_id == created.invoice_id and upserted.total == Decimal("46.00")
    with pytest.raises(NotFoundException):
        acc.get_invoice(TENANT_NZ, "NOPE-1")


def test_new_contact_created_by_name_and_auto_number(xero_api, xero_sandbox):
    acc = xero_api.accounting
    created = acc.create_invoices(TENANT_NZ, batch(invoice(None, contact="Brand New Co"))).invoices[0]
    assert created.invoice_number.startswith("INV-")
    found = acc.get_contacts(TENANT_NZ, where='Name=="brand new co"').contacts
    assert [c.contact_id for c in found] == [created.contact.contact_id]


def test_duplicate_number_on_put(xero_api):
    acc = xero_api.accounting
    acc.create_invoices(TENANT_NZ, batch(invoice("INV-9")))
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoices(TENANT_NZ, batch(invoice("INV-9")))
    assert exc.value.reason == "Invoice # must be unique."


def test_pay_then_edit_fails(xero_api, xero_sandbox):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("INV-P"))).invoices[0]
    pay = Payment(invoice=Invoice(invoice_id=inv.invoice_id), account=Account(code="090"), amount=inv.total,
                  date=inv.date)
    paid = acc.create_payments(TENANT_NZ, Payments(payments=[pay])).payments[0]
    assert paid.amount == inv.total and paid.payment_type == "ACCRECPAYMENT"
    after = acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0]
    assert after.status == "PAID" and after.amount_due == 0 and after.fully_paid_on_date is not None

    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_or_create_invoices(TENANT_NZ, batch(invoice("INV-P", amount=99)))
    assert exc.value.status == 400
    body = exc.value.error_data
    assert body["Type"] == "ValidationException" and body["ErrorNumber"] == 10
    assert messages(body["Elements"][0]) == ["Invoice not of valid status for modification",
                                             "This document cannot be edited as it has a payment or credit "
                                             "note allocated to it."]
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_invoice(TENANT_NZ, inv.invoice_id, batch(Invoice(status="VOIDED")))
    assert "cannot be applied to the invoice because it has payments" in exc.value.reason


def test_payment_rules(xero_api):
    acc = xero_api.accounting
    draft = acc.create_invoices(TENANT_NZ, batch(invoice("INV-D", status="DRAFT"))).invoices[0]
    pay = Payment(invoice=Invoice(invoice_id=draft.invoice_id), account=Account(code="090"), amount=1)
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_payments(TENANT_NZ, Payments(payments=[pay]))
    assert exc.value.reason == "Payments can only be made against authorised documents."
    auth = acc.create_invoices(TENANT_NZ, batch(invoice("INV-A"))).invoices[0]
    for account, amount, msg in (("090", 1000, "The payment amount exceeds the amount outstanding on this document."),
                                 ("200", 1, "Account could not be found.")):
        pay = Payment(invoice=Invoice(invoice_id=auth.invoice_id), account=Account(code=account), amount=amount)
        with pytest.raises(AccountingBadRequestException) as exc:
            acc.create_payments(TENANT_NZ, Payments(payments=[pay]))
        assert exc.value.reason == msg
    part = Payment(invoice=Invoice(invoice_id=auth.invoice_id), account=Account(code="090"), amount=10)
    acc.create_payments(TENANT_NZ, Payments(payments=[part]))
    still = acc.get_invoice(TENANT_NZ, auth.invoice_id).invoices[0]
    assert still.status == "AUTHORISED" and still.amount_paid == 10 and still.amount_due == Decimal("14.15")


@pytest.mark.parametrize("kwargs, message", [
    ({"account": "999"}, "Account code '999' is not a valid code for this document."),
    ({"account": "260"}, "Account code '260' has been archived, or has been deleted. "
                         "Each line item must reference a valid account."),
    ({"account": "090"}, "Account code '090' is not a valid code for this document."),
    ({"tax": "INPUT2"}, "The TaxType code INPUT2 does not exist or cannot be used for this type of transaction."),
    ({"tax": "BOGUS"}, "The TaxType code BOGUS does not exist or cannot be used for this type of transaction."),
    ({"tax": "TAX001"}, "The TaxType code TAX001 does not exist or cannot be used for this type of transaction."),
    ({"account": "400", "tax": "OUTPUT2"}, "The TaxType code 'OUTPUT2' cannot be used with account code '400'."),
    ({"account": None}, "Account code must be specified"),
    ({"status": "PAID"}, "Invoice not of valid status for creation"),
])
def test_validation_messages(xero_api, kwargs, message):
    with pytest.raises(AccountingBadRequestException) as exc:
        xero_api.accounting.create_invoices(TENANT_NZ, batch(invoice("INV-X", **kwargs)))
    assert exc.value.reason == message
    assert exc.value.error_data["Elements"][0]["InvoiceID"] == "00000000-0000-0000-0000-000000000000"
    assert xero_api.accounting.get_invoices(TENANT_NZ).invoices == []


def test_draft_with_unknown_account_is_saved_with_a_warning(xero_api):
    created = xero_api.accounting.create_invoices(
        TENANT_NZ, batch(invoice("INV-W", status="DRAFT", account="999")), summarize_errors=False).invoices[0]
    assert created.status_attribute_string == "WARNING"
    assert created.warnings[0].message == ("Account code '999' has been removed as it does not match a "
                                           "recognised account.")
    assert created.line_items[0].account_code is None


def test_status_transitions(xero_api):
    acc = xero_api.accounting
    draft = acc.create_invoices(TENANT_NZ, batch(invoice("INV-S", status="DRAFT"))).invoices[0]
    assert acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="SUBMITTED"))).invoices[0].status == "SUBMITTED"
    assert acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="AUTHORISED"))).invoices[0].status == "AUTHORISED"
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="DRAFT")))
    assert exc.value.reason == "Invoice not of valid status for modification"
    assert acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="VOIDED"))).invoices[0].status == "VOIDED"
    with pytest.raises(AccountingBadRequestException):
        acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(reference="late edit")))


def _bulk(count=50, bad=(7, 23, 41)):
    items = []
    for i in range(count):
        kwargs = {}
        if i == bad[0]:
            kwargs = {"account": "999"}
        elif i == bad[1]:
            kwargs = {"account": "260"}
        elif i == bad[2]:
            kwargs = {"tax": "INPUT2"}
        items.append(invoice("BULK-%03d" % i, **kwargs))
    return batch(*items)


def test_bulk_put_without_summarize(xero_api, xero_sandbox):
    result = xero_api.accounting.create_invoices(TENANT_NZ, _bulk(), summarize_errors=False).invoices
    assert len(result) == 50
    failed = [i for i, inv in enumerate(result) if inv.has_errors]
    assert failed == [7, 23, 41]
    assert all(result[i].status_attribute_string == "ERROR" for i in failed)
    assert result[7].validation_errors[0].message == "Account code '999' is not a valid code for this document."
    assert result[7].invoice_id == "00000000-0000-0000-0000-000000000000"
    assert sum(1 for inv in result if inv.status_attribute_string == "OK") == 47
    assert len(xero_sandbox.control.invoices(TENANT_NZ)) == 47


def test_bulk_put_with_summarize(xero_api, xero_sandbox):
    with pytest.raises(AccountingBadRequestException) as exc:
        xero_api.accounting.create_invoices(TENANT_NZ, _bulk(), summarize_errors=True)
    elements = exc.value.error_data["Elements"]
    assert [e["InvoiceNumber"] for e in elements] == ["BULK-007", "BULK-023", "BULK-041"]
    assert exc.value.reason == "Account code '999' is not a valid code for this document."
    # The valid ones were still created.
    stored = xero_sandbox.control.invoices(TENANT_NZ)
    assert len(stored) == 47 and "BULK-007" not in {i["InvoiceNumber"] for i in stored}


def test_idempotency_replay_and_changed_request(xero_api, xero_sandbox):
    acc = xero_api.accounting
    first = acc.create_invoices(TENANT_NZ, batch(invoice("INV-I")), idempotency_key="order-1").invoices[0]
    again = acc.create_invoices(TENANT_NZ, batch(invoice("INV-I")), idempotency_key="order-1").invoices[0]
    assert again.invoice_id == first.invoice_id
    assert len(xero_sandbox.control.invoices(TENANT_NZ, "INV-I")) == 1
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoices(TENANT_NZ, batch(invoice("INV-I", amount=99)), idempotency_key="order-1")
    assert exc.value.error_data["Message"] == "Idempotency Key: order-1 is used with a different request."
    # A failed first call is replayed as the same failure.
    for _ in range(2):
        with pytest.raises(AccountingBadRequestException) as exc:
            acc.create_invoices(TENANT_NZ, batch(invoice("INV-I")), idempotency_key="order-2")
        assert exc.value.reason == "Invoice # must be unique."
    # After 6 minutes the key is forgotten.
    xero_sandbox.control.advance_clock(361)
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoices(TENANT_NZ, batch(invoice("INV-I", amount=99)), idempotency_key="order-1")
    assert exc.value.reason == "Invoice # must be unique."


def test_get_filters_and_paging(xero_api):
    acc = xero_api.accounting
    acc.create_invoices(TENANT_NZ, batch(*[invoice("F-%d" % i, status="DRAFT" if i % 2 else "AUTHORISED")
                                          for i in range(6)]))
    assert len(acc.get_invoices(TENANT_NZ, where='Status=="AUTHORISED"').invoices) == 3
    assert len(acc.get_invoices(TENANT_NZ, statuses=["DRAFT"]).invoices) == 3
    got = acc.get_invoices(TENANT_NZ, invoice_numbers=["F-1", "F-2"]).invoices
    assert sorted(i.invoice_number for i in got) == ["F-1", "F-2"]
    assert got[0].line_items in (None, [])  # un-paged lists omit lines, as Xero does
    page = acc.get_invoices(TENANT_NZ, page=2, page_size=4, order="InvoiceNumber ASC")
    assert [i.invoice_number for i in page.invoices] == ["F-4", "F-5"]
    assert page.pagination.page_count == 2 and page.invoices[0].line_items
    ids = [i.invoice_id for i in acc.get_invoices(TENANT_NZ).invoices[:2]]
    assert len(acc.get_invoices(TENANT_NZ, i_ds=ids).invoices) == 2
    import datetime as dt
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    assert acc.get_invoices(TENANT_NZ, if_modified_since=future).invoices == []
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.get_invoices(TENANT_NZ, where='Status=="AUTH')
    assert exc.value.error_data["Type"] == "QueryParseException"


def test_cross_tenant_isolation(xero_sandbox, sdk_client):
    nz_only = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ])
    nz_only.accounting.create_invoices(TENANT_NZ, batch(invoice("INV-T")))
    from xero_python.exceptions import HTTPStatusException
    with pytest.raises(HTTPStatusException) as exc:
        nz_only.accounting.get_invoices(TENANT_AU)
    assert exc.value.status == 403
    assert json.loads(exc.value.body)["Detail"] == "AuthenticationUnsuccessful"
    both = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU])
    assert both.accounting.get_invoices(TENANT_AU).invoices == []


def test_settings_endpoints(xero_api):
    acc = xero_api.accounting
    codes = {a.code: a.status for a in acc.get_accounts(TENANT_NZ).accounts}
    assert codes["200"] == "ACTIVE" and codes["260"] == "ARCHIVED"
    assert [a.code for a in acc.get_accounts(TENANT_NZ, where='Code=="090"').accounts] == ["090"]
    rates = {t.tax_type: t for t in acc.get_tax_rates(TENANT_NZ).tax_rates}
    assert rates["OUTPUT2"].can_apply_to_revenue and not rates["INPUT2"].can_apply_to_revenue
    assert acc.get_organisations(TENANT_AU).organisations[0].base_currency.value == "AUD"
