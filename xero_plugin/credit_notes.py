"""An approved credit note -> a Xero ACCRECCREDIT credit note, made once and allocated to its invoice.

Exactly once: a credit note's number is unique per connection, so it is looked up by CreditNoteNumber before it
is made (a push after a lost answer finds the one made before); the create and the allocation carry an
Idempotency-Key; a credit note already allocated to the invoice is not allocated again. The credit uses the
invoice's first line's account and tax rate and its amounts' tax treatment, so Xero works its tax out as it did
the invoice's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from xero_python.accounting import (
    Allocation, Allocations, Contact, CreditNote as XeroCreditNote, CreditNotes, CurrencyCode, Invoice as XeroInvoice,
    LineItem,
)

from integrations_core.errors import ClassifiedError, ErrorCategory, PushError
from integrations_core.hookspecs import PushResult
from integrations_core.models import Connection, ContactLink, CreditNote

from . import settings
from .client import call, client_for
from .mapping import _LINE_AMOUNT_TYPES, idempotency_key, line_account, line_tax, text as _status


def _find(client, connection: Connection, number: str):
    data, _, _ = call(client, connection, "get_credit_notes", where=f'CreditNoteNumber=="{number}"')
    return next((c for c in (data.credit_notes or []) if c.credit_note_number == number
                 and _status(c.status) not in ("VOIDED", "DELETED")), None)


def _body(connection: Connection, note: CreditNote, remote_invoice) -> XeroCreditNote:
    invoice = note.invoice
    chosen = settings.values(connection)
    first = invoice.lines.first()
    link = ContactLink.objects.filter(connection=connection, customer_id=invoice.customer_id).first()
    contact = Contact(contact_id=link.remote_id) if link else Contact(
        contact_id=remote_invoice.contact.contact_id if remote_invoice.contact else None)
    return XeroCreditNote(
        type="ACCRECCREDIT", contact=contact, credit_note_number=note.number, reference=note.reason[:255],
        date=dt.date.today(), status="AUTHORISED", currency_code=CurrencyCode(invoice.currency),
        line_amount_types=_LINE_AMOUNT_TYPES[invoice.line_amount_type],
        line_items=[LineItem(description=note.reason[:4000], quantity=1.0, unit_amount=float(note.amount),
                             account_code=(line_account(first, chosen)[0] if first else "") or None,
                             tax_type=(line_tax(first, chosen)[0] if first else "") or None)])


def push(connection: Connection, note: CreditNote, invoice_remote_id: str) -> PushResult:
    """Make `note` in Xero once and allocate what the invoice still owes there."""
    if not invoice_remote_id:
        raise PushError(ClassifiedError.of(ErrorCategory.NOT_FOUND, "Xero", detail=(
            f"invoice {note.invoice.number} has not reached Xero, so a credit note cannot be allocated to it")))
    client = client_for(connection)
    remote_invoice = call(client, connection, "get_invoice", invoice_remote_id)[0].invoices[0]
    made = _find(client, connection, note.number)
    if made is None:
        data, _, _ = call(client, connection, "create_credit_notes",
                          CreditNotes(credit_notes=[_body(connection, note, remote_invoice)]),
                          idempotency_key=idempotency_key(connection, note.invoice, f"credit-{note.number}"))
        made = data.credit_notes[0]
    credit_id = str(made.credit_note_id)
    allocated = any(str(getattr(a.invoice, "invoice_id", "")) == invoice_remote_id for a in (made.allocations or []))
    due = Decimal(str(remote_invoice.amount_due or 0))
    left = Decimal(str(made.remaining_credit if made.remaining_credit is not None else made.total or 0))
    if not allocated and due > 0 and left > 0:
        amount = min(due, left)
        call(client, connection, "create_credit_note_allocation", credit_id, Allocations(allocations=[
            Allocation(invoice=XeroInvoice(invoice_id=invoice_remote_id), amount=float(amount), date=dt.date.today())]),
             idempotency_key=idempotency_key(connection, note.invoice, f"allocate-{note.number}"))
        allocated = True
    return PushResult(remote_id=credit_id, remote_status=_status(made.status),
                      action="allocated" if allocated else "credit")
