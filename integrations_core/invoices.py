"""Invoice services: generate, update, mark paid, cancel. Each fires its trigger when content that syncs
changes; a no-op update changes nothing and triggers nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from . import triggers
from .currencies import is_iso_4217
from .errors import InvalidInput
from .models import Customer, Invoice, InvoiceLine, InvoiceStatus, Product, Supplier, TriggerKind
from .models.invoice import LineAmountType


@dataclasses.dataclass(frozen=True)
class LineInput:
    """One invoice line as the storefront sends it; blank codes fall back to the product's."""

    description: str
    quantity: Decimal | str | int
    unit_price: Decimal | str | int
    product: Product | None = None
    account_code: str = ""
    tax_type: str = ""


_SYNCED_FIELDS = ("customer_id", "number", "order_reference", "issue_date", "due_date", "currency",
                  "line_amount_type", "status")


def _decimal(value, field: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        number = Decimal(str(value))
        if not number.is_finite():
            raise InvalidOperation
        return number
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(field, []).append(f"{value!r} is not a number.")
        return Decimal(0)


def _clean_lines(supplier: Supplier, lines: list[LineInput]) -> list[dict]:
    errors: dict[str, list[str]] = {}
    if not lines:
        raise InvalidInput("An invoice needs at least one line.", field_errors={"lines": ["Add at least one line."]})
    cleaned = []
    for position, line in enumerate(lines, start=1):
        prefix = f"lines[{position - 1}]"
        quantity = _decimal(line.quantity, f"{prefix}.quantity", errors)
        unit_price = _decimal(line.unit_price, f"{prefix}.unit_price", errors)
        if quantity < 0:
            errors.setdefault(f"{prefix}.quantity", []).append("Quantity cannot be negative.")
        if not (line.description or "").strip():
            errors.setdefault(f"{prefix}.description", []).append("A line needs a description.")
        if line.product is not None and line.product.supplier_id != supplier.id:
            errors.setdefault(f"{prefix}.product", []).append("This product belongs to another supplier.")
        cleaned.append(
            {
                "position": position,
                "product_id": line.product.id if line.product else None,
                "description": (line.description or "").strip(),
                "quantity": quantity.quantize(Decimal("0.0001")),
                "unit_price": unit_price.quantize(Decimal("0.0001")),
                "account_code": (line.account_code or "").strip(),
                "tax_type": (line.tax_type or "").strip(),
            }
        )
    if errors:
        raise InvalidInput("The invoice lines are not valid.", field_errors=errors)
    return cleaned


def _clean_header(fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    currency = fields.get("currency")
    if currency is not None and not is_iso_4217(currency):
        errors["currency"] = [f"{currency!r} is not an ISO 4217 currency code (e.g. AUD, NZD, USD)."]
    if not str(fields.get("number", "x")).strip():
        errors["number"] = ["An invoice needs a number."]
    issue, due = fields.get("issue_date"), fields.get("due_date")
    if issue and due and due < issue:
        errors["due_date"] = ["The due date cannot be before the issue date."]
    if fields.get("line_amount_type") not in (None, *LineAmountType.values):
        errors["line_amount_type"] = [f"Choose one of {', '.join(LineAmountType.values)}."]
    if errors:
        raise InvalidInput("The invoice is not valid.", field_errors=errors)


def _content_hash(header: dict, lines: list[dict]) -> str:
    payload = {"header": {k: header.get(k) for k in _SYNCED_FIELDS}, "lines": lines}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _header_of(invoice: Invoice) -> dict:
    return {k: getattr(invoice, k) for k in _SYNCED_FIELDS}


def _lines_of(invoice: Invoice) -> list[dict]:
    return [
        {
            "position": line.position,
            "product_id": line.product_id,
            "description": line.description,
            "quantity": line.quantity.quantize(Decimal("0.0001")),
            "unit_price": line.unit_price.quantize(Decimal("0.0001")),
            "account_code": line.account_code,
            "tax_type": line.tax_type,
        }
        for line in invoice.lines.all()
    ]


def _write_lines(invoice: Invoice, lines: list[dict]) -> None:
    invoice.lines.all().delete()
    InvoiceLine.objects.bulk_create([InvoiceLine(invoice=invoice, **line) for line in lines])
    invoice.total = sum(((line["quantity"] * line["unit_price"]).quantize(Decimal("0.01")) for line in lines),
                        Decimal("0"))


def _customer(supplier: Supplier, customer: Customer | str) -> Customer:
    if isinstance(customer, Customer):
        if customer.supplier_id != supplier.id:
            raise InvalidInput("This customer belongs to another supplier.",
                               field_errors={"customer": ["Unknown customer."]})
        return customer
    name = (customer or "").strip()
    if not name:
        raise InvalidInput("An invoice needs a customer.", field_errors={"customer": ["This field is required."]})
    return Customer.objects.get_or_create(supplier=supplier, name=name)[0]


def invoice_generate(
    *,
    supplier: Supplier,
    customer: Customer | str,
    number: str,
    issue_date: dt.date,
    currency: str,
    lines: list[LineInput],
    order_reference: str = "",
    due_date: dt.date | None = None,
    external_id: str | None = None,
    line_amount_type: str = LineAmountType.EXCLUSIVE,
) -> Invoice:
    """Create an invoice (version 1) and fire "invoice generated" for the supplier's connections.

    :raises InvalidInput: bad currency, no lines, a negative quantity, a duplicate number, ...
        Nothing is written then.
    """
    header = {"number": (number or "").strip(), "order_reference": order_reference or "", "issue_date": issue_date,
              "due_date": due_date, "currency": currency, "line_amount_type": line_amount_type,
              "status": InvoiceStatus.ISSUED}
    _clean_header(header)
    cleaned = _clean_lines(supplier, lines)
    with transaction.atomic():
        if Invoice.objects.filter(supplier=supplier, number=header["number"]).exists():
            raise InvalidInput(f"Invoice {header['number']} already exists.",
                               field_errors={"number": ["An invoice with this number already exists."]})
        header["customer_id"] = _customer(supplier, customer).id
        invoice = Invoice(supplier=supplier, external_id=external_id, version=1, **header)
        invoice.content_hash = _content_hash(header, cleaned)
        invoice.save()
        _write_lines(invoice, cleaned)
        invoice.save(update_fields=["total"])
        triggers.fire_if_connected(invoice=invoice, kind=TriggerKind.INVOICE_GENERATED)
    return invoice


def invoice_update(*, invoice: Invoice, lines: list[LineInput] | None = None, **fields) -> tuple[Invoice, bool]:
    """Apply changes from the storefront; fire "order updated" only if content that syncs changed.

    `fields` may hold customer, number, order_reference, issue_date, due_date, currency, line_amount_type.
    :return: (invoice, changed). A no-op update returns changed=False and writes nothing.
    :raises InvalidInput: as `invoice_generate`; a void invoice cannot change.
    """
    allowed = {"customer", "number", "order_reference", "issue_date", "due_date", "currency", "line_amount_type"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput("Unknown invoice fields.", field_errors={f: ["Unknown field."] for f in sorted(unknown)})
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.VOID:
            raise InvalidInput(f"Invoice {invoice.number} is cancelled and cannot change.")
        header = _header_of(invoice)
        if "customer" in fields:
            header["customer_id"] = _customer(invoice.supplier, fields.pop("customer")).id
        header.update({k: (v.strip() if isinstance(v, str) and k == "number" else v) for k, v in fields.items()})
        _clean_header(header)
        cleaned = _clean_lines(invoice.supplier, lines) if lines is not None else _lines_of(invoice)
        new_hash = _content_hash(header, cleaned)
        if new_hash == invoice.content_hash:
            return invoice, False
        if header["number"] != invoice.number and Invoice.objects.filter(
            supplier_id=invoice.supplier_id, number=header["number"]
        ).exists():
            raise InvalidInput("Another invoice has this number.", field_errors={"number": ["Already in use."]})
        if header["number"] != invoice.number and invoice.number not in invoice.previous_numbers:
            invoice.previous_numbers = [*invoice.previous_numbers, invoice.number]
        for key, value in header.items():
            setattr(invoice, key, value)
        if lines is not None:
            _write_lines(invoice, cleaned)
        invoice.content_hash = new_hash
        invoice.version += 1
        invoice.save()
        triggers.fire_if_connected(invoice=invoice, kind=TriggerKind.ORDER_UPDATED)
    return invoice, True


def _set_status(invoice: Invoice, status: str, kind: str, **extra) -> tuple[Invoice, bool]:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == status:
            return invoice, False
        if invoice.status == InvoiceStatus.VOID:
            raise InvalidInput(f"Invoice {invoice.number} is cancelled.")
        invoice.status = status
        for key, value in extra.items():
            setattr(invoice, key, value)
        header = _header_of(invoice)
        invoice.content_hash = _content_hash(header, _lines_of(invoice))
        invoice.version += 1
        invoice.save()
        triggers.fire_if_connected(invoice=invoice, kind=kind)
    return invoice, True


def invoice_mark_paid(*, invoice: Invoice, paid_at: dt.datetime | None = None) -> tuple[Invoice, bool]:
    """Mark the order as paid and fire "order marked as paid" (the payment is recorded remotely).

    :return: (invoice, changed); marking a paid invoice paid again changes nothing.
    """
    return _set_status(invoice, InvoiceStatus.PAID, TriggerKind.ORDER_PAID, paid_at=paid_at or timezone.now())


def invoice_cancel(*, invoice: Invoice) -> tuple[Invoice, bool]:
    """Cancel the order: the invoice becomes void here and is voided remotely ("order updated")."""
    if invoice.status == InvoiceStatus.PAID:
        raise InvalidInput(f"Invoice {invoice.number} is paid; refund it instead of cancelling it.")
    return _set_status(invoice, InvoiceStatus.VOID, TriggerKind.ORDER_UPDATED)
