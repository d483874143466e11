"""Payments through the real SDK: several partial payments per invoice (AmountPaid / AmountDue, PAID only at
zero), overpaying refused, deleting a payment (POST /Payments/{id} Status DELETED, and the control call that
does it as if in Xero) returning the invoice to AUTHORISED, and GET /Payments with each payment's Status."""

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import Account, Invoice, Payment, PaymentDelete, Payments
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from xero_plugin.sandbox import TENANT_NZ

from .helpers import batch, invoice
from .test_webhooks import Receiver

OVERPAID = "The payment amount exceeds the amount outstanding on this document."


def _pay(acc, inv, amount, day=dt.date(2024, 5, 10), **kwargs):
    payment = Payment(invoice=Invoice(invoice_id=inv.invoice_id), account=Account(code="090"), amount=amount,
                      date=day, **kwargs)
    return acc.create_payments(TENANT_NZ, Payments(payments=[payment])).payments[0]


def _get(acc, inv):
    return acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0]


def test_several_partial_payments_then_paid(xero_api):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("PAY-1"))).invoices[0]  # total 24.15
    first = _pay(acc, inv, 10, reference="first")
    after = _get(acc, inv)
    assert (after.status, after.amount_paid, after.amount_due) == ("AUTHORISED", Decimal("10"), Decimal("14.15"))
    _pay(acc, inv, Decimal("4.15"), dt.date(2024, 5, 11))
    after = _get(acc, inv)
    assert (after.status, after.amount_paid, after.amount_due) == ("AUTHORISED", Decimal("14.15"), Decimal("10"))
    with pytest.raises(AccountingBadRequestException) as exc:
        _pay(acc, inv, Decimal("10.01"))
    assert exc.value.reason == OVERPAID
    last = _pay(acc, inv, 10, dt.date(2024, 5, 12))
    after = _get(acc, inv)
    assert (after.status, after.amount_paid, after.amount_due) == ("PAID", Decimal("24.15"), Decimal("0"))
    assert after.fully_paid_on_date == dt.date(2024, 5, 12)
    assert [p.amount for p in after.payments] == [Decimal("10"), Decimal("4.15"), Decimal("10")]
    assert first.reference == "first" and last.status == "AUTHORISED"
    with pytest.raises(AccountingBadRequestException) as exc:
        _pay(acc, inv, 1)
    assert exc.value.reason == "Payments can only be made against authorised documents."


def test_delete_payment_restores_amount_due_and_authorised(xero_api, xero_sandbox):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("PAY-2"))).invoices[0]
    part = _pay(acc, inv, 4.15)
    rest = _pay(acc, inv, 20)
    assert _get(acc, inv).status == "PAID"
    deleted = acc.delete_payment(TENANT_NZ, rest.payment_id, PaymentDelete(status="DELETED")).payments[0]
    assert deleted.payment_id == rest.payment_id and deleted.status == "DELETED"
    after = _get(acc, inv)
    assert (after.status, after.amount_paid, after.amount_due) == ("AUTHORISED", Decimal("4.15"), Decimal("20"))
    assert after.fully_paid_on_date is None and [p.payment_id for p in after.payments] == [part.payment_id]
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.delete_payment(TENANT_NZ, rest.payment_id, PaymentDelete(status="DELETED"))
    assert exc.value.reason == "This payment has already been deleted."
    with pytest.raises(NotFoundException):
        acc.delete_payment(TENANT_NZ, "00000000-0000-0000-0000-00000000beef", PaymentDelete(status="DELETED"))
    by_get = {p.payment_id: p.status for p in acc.get_payments(TENANT_NZ).payments}
    assert by_get == {part.payment_id: "AUTHORISED", rest.payment_id: "DELETED"}
    assert [p.payment_id for p in acc.get_payments(TENANT_NZ, where='Status=="AUTHORISED"').payments] == [
        part.payment_id]
    assert acc.get_payment(TENANT_NZ, rest.payment_id).payments[0].status == "DELETED"
    assert [p["Status"] for p in xero_sandbox.control.payments(TENANT_NZ, "PAY-2")] == ["AUTHORISED", "DELETED"]
    # With a payment left it cannot be edited; with none left, it can again.
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_invoice(TENANT_NZ, inv.invoice_id, batch(Invoice(reference="edit")))
    assert exc.value.reason == "Invoice not of valid status for modification"
    acc.delete_payment(TENANT_NZ, part.payment_id, PaymentDelete(status="DELETED"))
    edited = acc.update_invoice(TENANT_NZ, inv.invoice_id, batch(Invoice(reference="edit"))).invoices[0]
    assert (edited.status, edited.reference, edited.amount_due) == ("AUTHORISED", "edit", Decimal("24.15"))


def test_delete_payment_refused_in_a_locked_period(xero_api, xero_sandbox):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("PAY-3", date=dt.date(2024, 6, 1)))).invoices[0]
    pay = _pay(acc, inv, 5, dt.date(2024, 6, 2))
    xero_sandbox.control.set_lock_dates(TENANT_NZ, period="2024-06-30")
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.delete_payment(TENANT_NZ, pay.payment_id, PaymentDelete(status="DELETED"))
    assert exc.value.reason == "The document date cannot be before the period lock date, currently set at 30-Jun-2024"
    # As an adviser in Xero can, the control call deletes it anyway.
    assert xero_sandbox.control.delete_payment(TENANT_NZ, pay.payment_id)["Status"] == "DELETED"


def test_control_delete_payment_fires_the_invoice_webhook(xero_api, xero_sandbox):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("PAY-4"))).invoices[0]
    paid = xero_sandbox.control.mark_invoice(TENANT_NZ, "PAY-4", "PAID")
    assert paid["Status"] == "PAID"
    [payment] = xero_sandbox.control.payments(TENANT_NZ, inv.invoice_id)
    rx = Receiver(xero_sandbox.webhook_key)
    xero_sandbox.control.set_webhook(rx.url)
    try:
        deleted = xero_sandbox.control.delete_payment(TENANT_NZ, payment["PaymentID"])
        events = [e for d in xero_sandbox.control.webhook_deliveries() for e in d["events"]]
    finally:
        xero_sandbox.control.set_webhook(None)
        rx.close()
    assert deleted["Status"] == "DELETED" and deleted["Invoice"]["Status"] == "AUTHORISED"
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events] == [
        ("INVOICE", "UPDATE", inv.invoice_id)]
    assert all(valid for _, valid in rx.received)
    after = _get(acc, inv)
    assert (after.status, after.amount_due, after.payments) == ("AUTHORISED", Decimal("24.15"), [])


def test_payment_delete_is_idempotent_with_a_key(xero_api):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("PAY-5"))).invoices[0]
    pay = _pay(acc, inv, 5)
    for _ in range(2):  # the retry replays the first answer instead of "already deleted"
        again = acc.delete_payment(TENANT_NZ, pay.payment_id, PaymentDelete(status="DELETED"), idempotency_key="d-1")
        assert again.payments[0].status == "DELETED"
    assert _get(acc, inv).amount_paid == 0
