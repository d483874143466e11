"""Currencies through the real SDK: GET /Currencies, foreign-currency invoices keeping their CurrencyRate,
and a currency the organisation has not added refused with Xero's wording."""

from decimal import Decimal

import pytest
from xero_python.accounting import Account, CurrencyCode, Invoice, Payment, Payments
from xero_python.exceptions import AccountingBadRequestException

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ, TENANT_NZ2
from xero_plugin.sandbox.seed import DAY_RATES

from .helpers import batch, invoice, messages


def _codes(currencies):
    return [c.code.value for c in currencies.currencies]


def test_get_currencies(xero_api):
    acc = xero_api.accounting
    nz = acc.get_currencies(TENANT_NZ)
    assert _codes(nz) == ["NZD", "AUD", "USD", "GBP"]  # the base currency first
    assert nz.currencies[0].description == "New Zealand Dollar"
    assert _codes(acc.get_currencies(TENANT_AU)) == ["AUD", "NZD", "USD"]
    assert _codes(acc.get_currencies(TENANT_NZ2)) == ["NZD", "AUD"]
    assert _codes(acc.get_currencies(TENANT_NZ, where='Code=="USD"')) == ["USD"]
    assert _codes(acc.get_currencies(TENANT_NZ, order="Code ASC")) == ["AUD", "GBP", "NZD", "USD"]


def test_foreign_invoice_keeps_the_given_currency_rate(xero_api):
    acc = xero_api.accounting
    created = acc.create_invoices(TENANT_NZ, batch(invoice("FX-1", currency_code=CurrencyCode.USD,
                                                           currency_rate=0.6123))).invoices[0]
    assert created.currency_code.value == "USD" and Decimal(str(created.currency_rate)) == Decimal("0.6123")
    again = acc.get_invoice(TENANT_NZ, "FX-1").invoices[0]
    assert Decimal(str(again.currency_rate)) == Decimal("0.6123")
    # An edit that does not name a rate keeps it; one that does replaces it.
    edited = acc.update_invoice(TENANT_NZ, created.invoice_id, batch(Invoice(reference="R"))).invoices[0]
    assert Decimal(str(edited.currency_rate)) == Decimal("0.6123")
    changed = acc.update_invoice(TENANT_NZ, created.invoice_id, batch(Invoice(currency_rate=0.61))).invoices[0]
    assert Decimal(str(changed.currency_rate)) == Decimal("0.61")


def test_foreign_invoice_without_a_rate_gets_the_day_rate_and_base_is_one(xero_api):
    acc = xero_api.accounting
    day = acc.create_invoices(TENANT_NZ, batch(invoice("FX-2", currency_code=CurrencyCode.AUD))).invoices[0]
    assert Decimal(str(day.currency_rate)) == Decimal(DAY_RATES["NZD"]["AUD"])
    base = acc.create_invoices(TENANT_NZ, batch(invoice("FX-3", currency_code=CurrencyCode.NZD,
                                                        currency_rate=2))).invoices[0]
    assert base.currency_code.value == "NZD" and Decimal(str(base.currency_rate)) == 1


def test_currency_not_added_is_refused_until_it_is(xero_api, xero_sandbox):
    acc = xero_api.accounting
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoices(TENANT_NZ, batch(invoice("FX-4", currency_code=CurrencyCode.EUR, currency_rate=0.55)))
    assert exc.value.reason == "Organisation is not subscribed to currency EUR"
    element = exc.value.error_data["Elements"][0]
    assert element["CurrencyCode"] == "EUR" and messages(element) == ["Organisation is not subscribed to currency EUR"]
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoices(TENANT_NZ2, batch(invoice("FX-5", currency_code=CurrencyCode.USD)))
    assert exc.value.reason == "Organisation is not subscribed to currency USD"
    assert xero_sandbox.control.invoices(TENANT_NZ) == []

    xero_sandbox.control.add_currency(TENANT_NZ, "EUR", rate="0.5500")
    assert "EUR" in _codes(acc.get_currencies(TENANT_NZ))
    created = acc.create_invoices(TENANT_NZ, batch(invoice("FX-4", currency_code=CurrencyCode.EUR))).invoices[0]
    assert created.currency_code.value == "EUR" and Decimal(str(created.currency_rate)) == Decimal("0.55")


def test_payment_on_a_foreign_invoice(xero_api):
    acc = xero_api.accounting
    inv = acc.create_invoices(TENANT_NZ, batch(invoice("FX-6", currency_code=CurrencyCode.USD,
                                                       currency_rate=0.5))).invoices[0]
    paid = acc.create_payments(TENANT_NZ, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=inv.invoice_id), account=Account(code="090"), amount=10)])).payments[0]
    assert Decimal(str(paid.currency_rate)) == Decimal("0.5")      # the invoice's rate when none is given
    assert paid.amount == 10 and paid.bank_amount == 20           # in the bank account's (base) currency
