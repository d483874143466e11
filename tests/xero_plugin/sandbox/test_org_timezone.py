"""The default Date of an invoice (and of a payment) is today in the organisation's timezone
(Organisation.Timezone), not in UTC [SPEC Invoice.Date]."""

import datetime as dt
from zoneinfo import ZoneInfo

from xero_python.accounting import Account, Invoice, Payment, Payments

from xero_plugin.sandbox import TENANT_AU, TENANT_NZ

from .helpers import batch, invoice


def _at_next_utc_noon(sandbox):
    """Move the sandbox clock to the next 12:00 UTC: already tomorrow in Auckland, still today in Sydney."""
    now = dt.datetime.fromtimestamp(sandbox.control.now(), dt.timezone.utc)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon <= now:
        noon += dt.timedelta(days=1)
    sandbox.control.advance_clock((noon - now).total_seconds() + 60)
    return dt.datetime.fromtimestamp(sandbox.control.now(), dt.timezone.utc)


def test_default_invoice_and_payment_dates_are_today_in_the_organisation(xero_sandbox, sdk_client):
    moment = _at_next_utc_noon(xero_sandbox)
    client = sdk_client(xero_sandbox, tenant_ids=[TENANT_NZ, TENANT_AU])  # tokens minted after the jump
    acc = client.accounting
    orgs = {t: acc.get_organisations(t).organisations[0].timezone.value for t in (TENANT_NZ, TENANT_AU)}
    assert orgs == {TENANT_NZ: "NEWZEALANDSTANDARDTIME", TENANT_AU: "AUSEASTERNSTANDARDTIME"}
    auckland = moment.astimezone(ZoneInfo("Pacific/Auckland")).date()
    sydney = moment.astimezone(ZoneInfo("Australia/Sydney")).date()
    assert auckland == moment.date() + dt.timedelta(days=1) and sydney == moment.date()

    nz = acc.create_invoices(TENANT_NZ, batch(invoice("TZ-1", date=None, due_date=None))).invoices[0]
    au = acc.create_invoices(TENANT_AU, batch(invoice("TZ-1", tax="OUTPUT", date=None, due_date=None))).invoices[0]
    assert nz.date == auckland and au.date == sydney

    paid = acc.create_payments(TENANT_NZ, Payments(payments=[Payment(
        invoice=Invoice(invoice_id=nz.invoice_id), account=Account(code="090"), amount=nz.total)])).payments[0]
    assert paid.date == auckland
    assert acc.get_invoice(TENANT_NZ, nz.invoice_id).invoices[0].fully_paid_on_date == auckland
