"""An order's payments -> Xero payments, each part exactly once.

Each part the storefront reported (`InvoicePayment`) that this connection has not recorded (`PaymentRecord`)
becomes one Xero payment on the invoice, all parts of a push in one call. A part whose answer was lost is not
paid twice: Xero's Idempotency-Key replays the first answer for minutes, and after that a payment Xero already
shows on the invoice with the part's amount and day (and no record of ours) is taken as that part. The part
`invoice_mark_paid` records for what was still owed pays what Xero says is due.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import prefetch_related_objects
from xero_python.accounting import Account, Invoice as XeroInvoice, Payment, Payments

from integrations_core.errors import ClassifiedError
from integrations_core.plugin_api import BALANCE
from integrations_core.models import Connection, Invoice, InvoicePayment, PaymentRecord

from .client import call
from .errors import classify_messages
from .mapping import idempotency_key, text


@dataclasses.dataclass
class Paying:
    """The parts of one invoice to pay now, and what came of them."""

    invoice: Invoice
    remote: XeroInvoice
    parts: list[InvoicePayment]
    refused: ClassifiedError | None = None
    due: Decimal = Decimal(0)  # what Xero says is still due once these are paid


def unrecorded(connection: Connection, invoices: list[Invoice]) -> dict[int, list[InvoicePayment]]:
    """The payment parts this connection has not recorded yet, by invoice id: a query for the parts of the invoices
    not read with theirs (a claimed invoice comes with its parts when it has none), and one for their records when
    there are any."""
    found: dict[int, list[InvoicePayment]] = {invoice.pk: [] for invoice in invoices}
    # Most invoices have no parts: a plain read of them first, the records only for those there are (an exclude
    # across the relation costs more to build than the push's own statements).
    prefetch_related_objects(invoices, "payments")
    parts = [part for invoice in invoices for part in invoice.payments.all()]
    if not parts:
        return found
    recorded = set(PaymentRecord.objects.filter(connection=connection, payment_id__in=[p.pk for p in parts])
                   .values_list("payment_id", flat=True))
    for part in parts:
        if part.pk not in recorded:
            found[part.invoice_id].append(part)
    return found


def recorded_in_xero(connection: Connection, invoice: Invoice) -> bool:
    """Whether a payment of ours is on the invoice in Xero now (Xero takes no edits of it then)."""
    return PaymentRecord.objects.filter(connection=connection, payment__invoice=invoice, removed_at__isnull=True) \
        .exclude(remote_id="").exists()


def _day(value) -> dt.date | None:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else (
        value.date() if isinstance(value, dt.datetime) else None)


def _already_in_xero(connection: Connection, paying: Paying) -> list[InvoicePayment]:
    """Record the parts Xero already shows (a payment whose answer was lost); return the others."""
    ours = set(PaymentRecord.objects.filter(connection=connection, payment__invoice=paying.invoice)
               .values_list("remote_id", flat=True))
    shown = [p for p in (paying.remote.payments or []) if str(p.payment_id) not in ours]
    left = []
    for part in paying.parts:
        match = next((p for p in shown if part.external_id != BALANCE and Decimal(str(p.amount)) == part.amount
                      and _day(p.date) == part.paid_on), None)
        if match is None:
            left.append(part)
        else:
            shown.remove(match)
            PaymentRecord.objects.get_or_create(payment=part, connection=connection,
                                                defaults={"remote_id": str(match.payment_id)})
    return left


def pay(client, connection: Connection, paying: list[Paying], account: str, generation: str) -> None:
    """Pay every part of `paying` in one call; each part recorded once made. A refused part sets `refused` on its
    invoice (the invoice stays in Xero unpaid by it); `due` is what is left to pay in Xero. `generation` is the
    push's (its syncs' answered failures among it): a push after a refusal asks Xero anew."""
    sent: list[tuple[Paying, InvoicePayment]] = []
    payments = []
    for item in paying:
        due = Decimal(str(item.remote.amount_due or 0))
        for part in _already_in_xero(connection, item):
            amount = due if part.external_id == BALANCE else min(part.amount, due)
            if amount <= 0:
                continue
            due -= amount
            sent.append((item, part))
            payments.append(Payment(invoice=XeroInvoice(invoice_id=item.remote.invoice_id),
                                    account=Account(code=account), amount=float(amount), date=part.paid_on,
                                    reference=(item.invoice.order_reference or item.invoice.number)[:255]))
        item.due = due
    if not payments:
        return
    key = idempotency_key(connection, sent[0][0].invoice,
                          f"pay-{generation}-" + ",".join(str(part.pk) for _, part in sent))
    data, _, _ = call(client, connection, "create_payments", Payments(payments=payments), summarize_errors=False,
                      idempotency_key=key)
    for (item, part), answer in zip(sent, data.payments or []):
        if getattr(answer, "has_validation_errors", False) or text(answer.status_attribute_string) == "ERROR":
            messages = [e.message for e in (answer.validation_errors or []) if getattr(e, "message", None)]
            item.refused = item.refused or classify_messages(messages, element=item.remote)
            item.due += Decimal(str(answer.amount or 0))
        else:
            PaymentRecord.objects.get_or_create(payment=part, connection=connection,
                                                defaults={"remote_id": str(answer.payment_id)})
