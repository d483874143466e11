"""An Invoice here -> a Xero ACCREC invoice (the SDK's models), under the connection's integration settings."""

from __future__ import annotations

import hashlib

from xero_python.accounting import (
    Contact, CurrencyCode, Invoice as XeroInvoice, LineAmountTypes, LineItem, LineItemTracking,
)

from integrations_core.models import Connection, Invoice, InvoiceLine, InvoiceStatus, LineKind

_LINE_AMOUNT_TYPES = {"exclusive": LineAmountTypes.EXCLUSIVE, "inclusive": LineAmountTypes.INCLUSIVE,
                      "no_tax": LineAmountTypes.NOTAX}
_KIND_SETTING = {LineKind.FREIGHT: "freight_account_code", LineKind.SURCHARGE: "surcharge_account_code",
                 LineKind.DISCOUNT: "discount_account_code"}


def text(value) -> str:
    """An SDK enum (Status, Type, CurrencyCode, ...) or plain value as its text; "" for None."""
    return str(getattr(value, "value", value) or "")


def line_account(line: InvoiceLine, settings: dict) -> tuple[str, str]:
    """(account code, where it comes from) for a line: the line's own code, else the account the settings give its
    kind (freight, surcharge, discount), else its product's, else its product category's, else the default.
    Where it comes from names the setting to fix when the code is refused."""
    if line.account_code:
        return line.account_code, f"line {line.position}"
    kind_setting = _KIND_SETTING.get(line.kind)
    if kind_setting and settings.get(kind_setting):
        return settings[kind_setting], f"the {kind_setting} setting"
    if line.product is not None and line.product.sales_account_code:
        return line.product.sales_account_code, f"product {line.product.sku}"
    category = line.product.category if line.product is not None else ""
    by_category = settings.get("category_accounts") or {}
    if category and by_category.get(category):
        return by_category[category], f"the category_accounts setting ({category})"
    if settings.get("sales_account_code"):
        return settings["sales_account_code"], "the sales_account_code setting"
    return "", f"line {line.position}"


def line_tax(line: InvoiceLine, settings: dict) -> tuple[str, str]:
    """(tax type, where it comes from): the line's or product's, else the default tax rate setting."""
    if line.effective_tax_type:
        return line.effective_tax_type, f"line {line.position}"
    if settings.get("tax_type"):
        return settings["tax_type"], "the tax_type setting"
    return "", f"line {line.position}"


def tracking(invoice: Invoice, settings: dict) -> list[tuple[str, str, str]]:
    """(tracking category, option, order field) for each tracking setting whose order field the invoice has."""
    attributes = invoice.attributes or {}
    return [(category, attributes[field], field) for category, field in sorted((settings.get("tracking") or {}).items())
            if attributes.get(field)]


def order_note(invoice: Invoice) -> str:
    """The order's extras Xero has no field for (delivery date, the retailer's comments), as the text of a
    description-only line at the end of the invoice, where Xero and the invoice it sends show them."""
    parts = []
    if invoice.delivery_date:
        parts.append(f"Delivery date: {invoice.delivery_date:%d %b %Y}")
    if invoice.comments:
        parts.append(f"Retailer's comments: {' '.join(invoice.comments.split())}")
    return ". ".join(parts)[:4000]


def status_for(invoice: Invoice, settings: dict, remote_status: str = "") -> str:
    """DRAFT or AUTHORISED as the settings say; a paid invoice is approved (Xero pays approved invoices only), and
    one Xero already holds approved stays so (Xero does not take an approved invoice back to draft)."""
    if invoice.status == InvoiceStatus.PAID or remote_status in ("AUTHORISED", "PAID"):
        return "AUTHORISED"
    return settings.get("invoice_status") or "AUTHORISED"


def to_xero(invoice: Invoice, *, settings: dict | None = None, remote_id: str = "", contact: Contact | None = None,
            remote_status: str = "") -> XeroInvoice:
    """The invoice as Xero's ACCREC invoice. `contact`: the retailer's Xero contact (by ContactID once linked);
    without it, the contact by name. `remote_id`: Xero's InvoiceID once known, so that Xero updates that invoice
    even if its number changed."""
    settings = settings or {}
    reference = invoice.po_number if settings.get("reference") == "po_number" else invoice.order_reference
    tracked = [LineItemTracking(name=category, option=option) for category, option, _ in tracking(invoice, settings)]
    return XeroInvoice(
        invoice_id=remote_id or None,
        type="ACCREC",
        contact=contact or Contact(name=invoice.customer.name),
        invoice_number=invoice.number,
        reference=reference or None,
        date=invoice.issue_date,
        due_date=invoice.due_date or invoice.issue_date,
        currency_code=CurrencyCode(invoice.currency),
        currency_rate=float(invoice.currency_rate) if invoice.currency_rate else None,
        line_amount_types=_LINE_AMOUNT_TYPES[invoice.line_amount_type],
        status=status_for(invoice, settings, remote_status),
        branding_theme_id=settings.get("branding_theme_id") or None,
        line_items=[
            LineItem(description=line.description, quantity=float(line.quantity), unit_amount=float(line.unit_price),
                     account_code=line_account(line, settings)[0] or None, tax_type=line_tax(line, settings)[0] or None,
                     item_code=line.item_code or None, tracking=tracked or None)
            for line in invoice.lines.all()
        ] + ([LineItem(description=note)] if (note := order_note(invoice)) else []),
    )


def idempotency_key(connection: Connection, invoice: Invoice, action: str = "push") -> str:
    """Stable per (connection, invoice, version, action): a retry replays the first answer."""
    raw = f"{connection.pk}:{invoice.pk}:{invoice.version}:{action}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]
