"""An Invoice here -> a Xero ACCREC invoice (the SDK's models)."""

from __future__ import annotations

import hashlib

from xero_python.accounting import Contact, CurrencyCode, Invoice as XeroInvoice, LineAmountTypes, LineItem

from integrations_core.models import Connection, Invoice

_LINE_AMOUNT_TYPES = {"exclusive": LineAmountTypes.EXCLUSIVE, "inclusive": LineAmountTypes.INCLUSIVE,
                      "no_tax": LineAmountTypes.NOTAX}


def to_xero(invoice: Invoice, *, status: str = "AUTHORISED", remote_id: str = "") -> XeroInvoice:
    """The invoice as Xero's ACCREC invoice: contact by name (Xero finds it or creates it), each line's
    sales account code, tax type and item code, number, reference (the order reference), dates, currency.
    `remote_id`: Xero's InvoiceID once known, so that Xero updates that invoice even if its number changed."""
    return XeroInvoice(
        invoice_id=remote_id or None,
        type="ACCREC",
        contact=Contact(name=invoice.customer.name),
        invoice_number=invoice.number,
        reference=invoice.order_reference or None,
        date=invoice.issue_date,
        due_date=invoice.due_date or invoice.issue_date,
        currency_code=CurrencyCode(invoice.currency),
        line_amount_types=_LINE_AMOUNT_TYPES[invoice.line_amount_type],
        status=status,
        line_items=[
            LineItem(description=line.description, quantity=float(line.quantity), unit_amount=float(line.unit_price),
                     account_code=line.sales_account_code or None, tax_type=line.effective_tax_type or None,
                     item_code=line.item_code or None)
            for line in invoice.lines.all()
        ],
    )


def idempotency_key(connection: Connection, invoice: Invoice, action: str = "push") -> str:
    """Stable per (connection, invoice, version, action): a retry replays the first answer."""
    raw = f"{connection.pk}:{invoice.pk}:{invoice.version}:{action}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]
