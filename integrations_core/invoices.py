"""Invoice services: generate, update, mark paid, cancel. Each fires its trigger when content that syncs
changes; a no-op update changes nothing and triggers nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from . import triggers
from .currencies import is_iso_4217
from .errors import InvalidInput
from .models import (Customer, Invoice, InvoiceDocument, InvoiceLine, InvoicePayment, InvoiceStatus, Product, Supplier,
                     TriggerKind)
from .models.invoice import LineAmountType, LineKind


@dataclasses.dataclass(frozen=True)
class LineInput:
    """One invoice line as the storefront sends it; blank codes fall back to the product's."""

    description: str
    quantity: Decimal | str | int
    unit_price: Decimal | str | int
    product: Product | None = None
    account_code: str = ""
    tax_type: str = ""
    kind: str = LineKind.PRODUCT  # goods, or freight / surcharge / discount (booked to the settings' accounts)


_SYNCED_FIELDS = ("customer_id", "number", "order_reference", "po_number", "issue_date", "due_date",
                  "delivery_date", "comments", "currency", "currency_rate", "line_amount_type", "status", "attributes")
# The order's own fields a connection may map (tracking): a flat object of short strings.
MAX_ATTRIBUTES = 20
_ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
ATTRIBUTE_VALUE_MAX = 100


def _largest(model, field: str) -> Decimal:
    """The largest value a DecimalField column holds, e.g. 99999999.9999 for max_digits=12, decimal_places=4."""
    column = model._meta.get_field(field)
    return Decimal(10) ** (column.max_digits - column.decimal_places) - Decimal(1).scaleb(-column.decimal_places)


def _max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


# The limits, from the columns (PostgreSQL refuses a value that does not fit; SQLite stores it and every later
# read of the row fails). Each line's amount (quantity x unit price, to the cent) and the invoice's total (the sum
# of the amounts) must fit Invoice.total; tax is worked out by the accounting system, from the amounts, and is
# not stored here.
QUANTITY_MAX = _largest(InvoiceLine, "quantity")  # 99999999.9999; quantities are never negative
UNIT_PRICE_MAX = _largest(InvoiceLine, "unit_price")  # 99999999.9999, either sign (a discount line is negative)
TOTAL_MAX = _largest(Invoice, "total")  # 999999999999.99, either sign: each line's amount and the invoice total
MAX_LINES = 1000
_QUANTUM = Decimal("0.0001")
_CENT = Decimal("0.01")

# Control characters (C0, DEL, C1) and lone surrogates (not text: PostgreSQL cannot store them). The text fields
# are all single-line columns, so tabs and newlines are refused too.
_NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _check_text(value: str, field: str, errors: dict[str, list[str]], *, max_length: int) -> None:
    if _NOT_TEXT.search(value):
        errors.setdefault(field, []).append("Control characters (tabs, newlines, ...) are not allowed here.")
    if len(value) > max_length:
        errors.setdefault(field, []).append(f"At most {max_length} characters.")


def _decimal(value, field: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        number = Decimal(str(value))
        if not number.is_finite():
            raise InvalidOperation
        return number
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(field, []).append(f"{value!r} is not a number.")
        return Decimal(0)


def _bounded(value: Decimal, field: str, errors: dict[str, list[str]], *, largest: Decimal,
             signed: bool) -> Decimal:
    """`value` to 4 decimal places, or 0 with an error when it (or its rounding) is outside the column."""
    if field in errors:
        return Decimal(0)
    if value < 0 and not signed:
        errors.setdefault(field, []).append(f"{field.rsplit('.', 1)[-1].replace('_', ' ').capitalize()} "
                                            "cannot be negative.")
        return Decimal(0)
    # Compared before rounding (rounding a huge number fails), and after (99999999.99999 rounds up past the limit).
    if abs(value) > largest or abs(rounded := value.quantize(_QUANTUM)) > largest:
        least = f"{-largest}" if signed else "0"
        errors.setdefault(field, []).append(f"Must be between {least} and {largest}.")
        return Decimal(0)
    return rounded


def _clean_lines(supplier: Supplier, lines: list[LineInput]) -> list[dict]:
    """The lines as stored, each amount and the total checked to fit Invoice.total.

    :raises InvalidInput: per line field (`lines[0].quantity`), the line (`lines[0]`: its amount does not fit) or
        `total` (the amounts add up to more than fits).
    """
    errors: dict[str, list[str]] = {}
    if not lines:
        raise InvalidInput("An invoice needs at least one line.", field_errors={"lines": ["Add at least one line."]})
    if len(lines) > MAX_LINES:
        raise InvalidInput("The invoice has too many lines.",
                           field_errors={"lines": [f"At most {MAX_LINES} lines."]})
    cleaned = []
    total = Decimal(0)
    for position, line in enumerate(lines, start=1):
        prefix = f"lines[{position - 1}]"
        quantity = _bounded(_decimal(line.quantity, f"{prefix}.quantity", errors), f"{prefix}.quantity", errors,
                            largest=QUANTITY_MAX, signed=False)
        unit_price = _bounded(_decimal(line.unit_price, f"{prefix}.unit_price", errors), f"{prefix}.unit_price",
                              errors, largest=UNIT_PRICE_MAX, signed=True)
        amount = (quantity * unit_price).quantize(_CENT)  # at most 10**16: exact in Decimal's 28 digits
        if abs(amount) > TOTAL_MAX:
            errors.setdefault(prefix, []).append(
                f"Line {position}: quantity x unit price is {amount}, more than the {TOTAL_MAX} an invoice "
                "total can hold.")
        total += amount
        description = (line.description or "").strip()
        if not description:
            errors.setdefault(f"{prefix}.description", []).append("A line needs a description.")
        _check_text(description, f"{prefix}.description", errors,
                    max_length=_max_length(InvoiceLine, "description"))
        account_code, tax_type = (line.account_code or "").strip(), (line.tax_type or "").strip()
        _check_text(account_code, f"{prefix}.account_code", errors,
                    max_length=_max_length(InvoiceLine, "account_code"))
        _check_text(tax_type, f"{prefix}.tax_type", errors, max_length=_max_length(InvoiceLine, "tax_type"))
        kind = line.kind or LineKind.PRODUCT
        if kind not in LineKind.values:
            errors.setdefault(f"{prefix}.kind", []).append(f"Choose one of {', '.join(LineKind.values)}.")
        if line.product is not None and line.product.supplier_id != supplier.id:
            errors.setdefault(f"{prefix}.product", []).append("This product belongs to another supplier.")
        cleaned.append(
            {
                "position": position,
                "kind": kind,
                "product_id": line.product.id if line.product else None,
                "description": description,
                "quantity": quantity,
                "unit_price": unit_price,
                "account_code": account_code,
                "tax_type": tax_type,
            }
        )
    if abs(total) > TOTAL_MAX and not any(key.startswith("lines[") and "." not in key for key in errors):
        errors["total"] = [f"The lines add up to {total}, more than the {TOTAL_MAX} an invoice total can hold."]
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
    for field in ("number", "order_reference", "po_number"):
        if isinstance(fields.get(field), str):
            _check_text(fields[field], field, errors, max_length=_max_length(Invoice, field))
    if isinstance(fields.get("comments"), str):  # several lines allowed: tabs and newlines are kept
        _check_text(fields["comments"].replace("\n", " ").replace("\t", " "), "comments", errors,
                    max_length=_max_length(Invoice, "comments"))
    if fields.get("attributes") is not None:
        _check_attributes(fields["attributes"], errors)
    rate = fields.get("currency_rate")
    if rate is not None:
        value = _decimal(rate, "currency_rate", errors)
        if "currency_rate" not in errors and not (0 < value < Decimal("100000000")):
            errors["currency_rate"] = ["A positive rate (units of the invoice's currency per unit of the "
                                       "organisation's), below 100000000."]
        elif "currency_rate" not in errors:
            fields["currency_rate"] = value.quantize(Decimal("0.0000000001"))
    issue, due = fields.get("issue_date"), fields.get("due_date")
    if issue and due and due < issue:
        errors["due_date"] = ["The due date cannot be before the issue date."]
    if fields.get("line_amount_type") not in (None, *LineAmountType.values):
        errors["line_amount_type"] = [f"Choose one of {', '.join(LineAmountType.values)}."]
    if errors:
        raise InvalidInput("The invoice is not valid.", field_errors=errors)


def _check_attributes(attributes, errors: dict[str, list[str]]) -> None:
    if not isinstance(attributes, dict):
        errors["attributes"] = ["An object of names to short texts, e.g. {\"sales_channel\": \"wholesale\"}."]
        return
    if len(attributes) > MAX_ATTRIBUTES:
        errors["attributes"] = [f"At most {MAX_ATTRIBUTES} attributes."]
    for name, value in attributes.items():
        key = f"attributes.{name}"[:80]
        if not isinstance(name, str) or not _ATTRIBUTE_NAME.match(name):
            errors.setdefault(key, []).append("Names are lowercase letters, digits and _, starting with a letter "
                                              "(at most 40).")
        if not isinstance(value, str):
            errors.setdefault(key, []).append("Values are texts.")
        else:
            _check_text(value, key, errors, max_length=ATTRIBUTE_VALUE_MAX)


def _content_hash(header: dict, lines: list[dict]) -> str:
    payload = {"header": {k: header.get(k) for k in _SYNCED_FIELDS}, "lines": lines}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _header_of(invoice: Invoice) -> dict:
    return {k: getattr(invoice, k) for k in _SYNCED_FIELDS}


def _lines_of(invoice: Invoice) -> list[dict]:
    return [
        {
            "position": line.position,
            "kind": line.kind,
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


def _customer(supplier: Supplier, customer: Customer | str, retailer_id: str | None = None) -> Customer:
    """The supplier's customer: by the storefront's retailer id when given (renamed if its name changed, so it
    keeps its remote contact), else by name; made when new."""
    if isinstance(customer, Customer):
        if customer.supplier_id != supplier.id:
            raise InvalidInput("This customer belongs to another supplier.",
                               field_errors={"customer": ["Unknown customer."]})
        return customer
    name = _customer_name(customer)
    retailer_id = _retailer_id(retailer_id)
    if not retailer_id:
        return Customer.objects.get_or_create(supplier=supplier, name=name)[0]
    named = Customer.objects.filter(supplier=supplier, name=name).first()
    known = Customer.objects.filter(supplier=supplier, external_id=retailer_id).first()
    if known is None:
        if named is not None and named.external_id:
            raise InvalidInput("Another retailer has this name.", field_errors={"customer": [
                f"{name!r} is the name of the retailer with id {named.external_id!r}."]})
        if named is not None:  # known by name until now: it takes the storefront's id
            named.external_id = retailer_id
            named.save(update_fields=["external_id"])
            return named
        return Customer.objects.create(supplier=supplier, name=name, external_id=retailer_id)
    if known.name != name:
        if named is not None:
            raise InvalidInput("Another retailer has this name.", field_errors={"customer": [
                f"{name!r} is already the name of another retailer."]})
        known.name = name
        known.save(update_fields=["name"])
    return known


def _retailer_id(value: str | None) -> str:
    if value is None:
        return ""
    errors: dict[str, list[str]] = {}
    value = str(value).strip()
    _check_text(value, "retailer_id", errors, max_length=_max_length(Customer, "external_id"))
    if errors:
        raise InvalidInput("Not a valid retailer id.", field_errors=errors)
    return value


def _customer_name(customer: Customer | str) -> str:
    """The customer's name as given, checked (nothing is looked up or written)."""
    if isinstance(customer, Customer):
        return customer.name
    name = (customer or "").strip()
    if not name:
        raise InvalidInput("An invoice needs a customer.", field_errors={"customer": ["This field is required."]})
    errors: dict[str, list[str]] = {}
    _check_text(name, "customer", errors, max_length=_max_length(Customer, "name"))
    if errors:
        raise InvalidInput("The customer is not valid.", field_errors=errors)
    return name


def _lock_supplier(supplier_id: int) -> None:
    """Hold the supplier's row until the transaction ends (PostgreSQL; SQLite's IMMEDIATE transactions already
    run one at a time): creating, renumbering and upserting one supplier's invoices take turns, so a number or a
    storefront id is checked and written with no other writer in between. FOR NO KEY UPDATE: rows that only
    refer to the supplier (a new customer, invoice or connection) are not held up."""
    list(Supplier.objects.select_for_update(no_key=True).filter(pk=supplier_id).values_list("pk", flat=True))


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
    po_number: str = "",
    delivery_date: dt.date | None = None,
    comments: str = "",
    currency_rate: Decimal | None = None,
    attributes: dict | None = None,
    retailer_id: str | None = None,
) -> Invoice:
    """Create an invoice (version 1) and fire "invoice generated" for the supplier's connections.

    :raises InvalidInput: bad currency, no lines, a negative quantity, a duplicate number, ...
        Nothing is written then.
    """
    header = {"number": (number or "").strip(), "order_reference": order_reference or "", "issue_date": issue_date,
              "due_date": due_date, "currency": currency, "line_amount_type": line_amount_type,
              "status": InvoiceStatus.ISSUED, "po_number": po_number or "", "delivery_date": delivery_date,
              "comments": comments or "", "currency_rate": currency_rate, "attributes": attributes or {}}
    _clean_header(header)
    cleaned = _clean_lines(supplier, lines)
    _customer_name(customer)
    if external_id is not None:
        errors: dict[str, list[str]] = {}
        _check_text(external_id, "external_id", errors, max_length=_max_length(Invoice, "external_id"))
        if not external_id.strip():
            errors.setdefault("external_id", []).append("A storefront id cannot be blank.")
        if errors:
            raise InvalidInput("Not a valid storefront id.", field_errors=errors)
    with transaction.atomic():
        _lock_supplier(supplier.pk)
        if Invoice.objects.filter(supplier=supplier, number=header["number"]).exists():
            raise InvalidInput(f"Invoice {header['number']} already exists.",
                               field_errors={"number": ["An invoice with this number already exists."]})
        header["customer_id"] = _customer(supplier, customer, retailer_id).id
        invoice = Invoice(supplier=supplier, external_id=external_id, version=1, **header)
        invoice.content_hash = _content_hash(header, cleaned)
        invoice.save()
        _write_lines(invoice, cleaned)
        invoice.save(update_fields=["total"])
        triggers.fire_if_connected(invoice=invoice, kind=TriggerKind.INVOICE_GENERATED)
    return invoice


def invoice_update(*, invoice: Invoice, lines: list[LineInput] | None = None, **fields) -> tuple[Invoice, bool]:
    """Apply changes from the storefront; fire "order updated" only if content that syncs changed.

    `fields` may hold customer (with retailer_id), number, order_reference, po_number, issue_date, due_date,
    delivery_date, comments, currency, line_amount_type, attributes.
    :return: (invoice, changed). A no-op update returns changed=False and writes nothing.
    :raises InvalidInput: as `invoice_generate`; a void invoice cannot change.
    """
    allowed = {"customer", "retailer_id", "number", "order_reference", "po_number", "issue_date", "due_date",
               "delivery_date", "comments", "currency", "currency_rate", "line_amount_type", "attributes"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput("Unknown invoice fields.", field_errors={f: ["Unknown field."] for f in sorted(unknown)})
    with transaction.atomic():
        _lock_supplier(invoice.supplier_id)  # before the invoice: the order invoice_upsert takes them in
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.VOID:
            raise InvalidInput(f"Invoice {invoice.number} is cancelled and cannot change.")
        header = _header_of(invoice)
        retailer_id = fields.pop("retailer_id", None)
        if "customer" in fields:
            header["customer_id"] = _customer(invoice.supplier, fields.pop("customer"), retailer_id).id
        header.update({k: (v.strip() if isinstance(v, str) and k == "number" else v) for k, v in fields.items()})
        header["attributes"] = header.get("attributes") or {}
        header["po_number"] = header.get("po_number") or ""
        header["comments"] = header.get("comments") or ""
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


def invoice_upsert(*, supplier: Supplier, external_id: str, lines: list[LineInput], **fields) -> tuple[Invoice, str]:
    """Create the invoice the storefront knows as `external_id`, or apply its content to the one there is.

    One at a time per supplier (the supplier's row is locked for the read and the write), so requests racing
    with one storefront id make one invoice: the first creates it, the others update it (or find it unchanged).
    `fields` are `invoice_generate`'s: customer, number, issue_date, currency and optionally order_reference,
    due_date, line_amount_type.

    :return: (invoice, outcome), outcome one of "created", "updated", "unchanged".
    :raises InvalidInput: as `invoice_generate` and `invoice_update`. Nothing is written then.
    """
    with transaction.atomic():
        _lock_supplier(supplier.pk)
        existing = Invoice.objects.filter(supplier=supplier, external_id=external_id).first()
        if existing is None:
            return invoice_generate(supplier=supplier, external_id=external_id, lines=lines, **fields), "created"
        invoice, changed = invoice_update(invoice=existing, lines=lines, **fields)
    return invoice, "updated" if changed else "unchanged"


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


PDF_MAX_BYTES = 10 * 1024 * 1024  # Xero takes attachments up to 10 MB


def invoice_attach_pdf(*, invoice: Invoice, content: bytes) -> tuple[InvoiceDocument, bool]:
    """Keep the storefront's PDF of the invoice, as a new version of it: it is attached remotely with that
    version's push, once. The same PDF again changes nothing.

    :return: (document, changed).
    :raises InvalidInput: not a PDF, empty, or over 10 MB; a cancelled invoice.
    """
    if not content or not bytes(content[:5]) == b"%PDF-":
        raise InvalidInput("Not a PDF.", field_errors={"file": ["Send the invoice as a PDF (it starts with %PDF-)."]})
    if len(content) > PDF_MAX_BYTES:
        raise InvalidInput("The PDF is too large.", field_errors={"file": ["At most 10 MB."]})
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status == InvoiceStatus.VOID:
            raise InvalidInput(f"Invoice {invoice.number} is cancelled.")
        latest = InvoiceDocument.objects.filter(invoice=invoice).first()
        if latest is not None and latest.sha256 == digest:
            return latest, False
        # A new PDF is new content: a version of its own, so that it is pushed (and attached) once.
        invoice.version += 1
        invoice.save(update_fields=["version", "updated_at"])
        document = InvoiceDocument.objects.create(
            invoice=invoice, version=invoice.version, file_name=f"{invoice.number} v{invoice.version}.pdf"[:200],
            content=content, sha256=digest)
        triggers.fire_if_connected(invoice=invoice, kind=TriggerKind.ORDER_UPDATED)
    return document, True


BALANCE = "balance"  # the storefront id of the payment `invoice_mark_paid` records for what was still owed


def invoice_mark_paid(*, invoice: Invoice, paid_at: dt.datetime | None = None) -> tuple[Invoice, bool]:
    """Mark the order as paid and fire "order marked as paid": what is still owed (all of it, unless parts were
    paid before) becomes one payment, recorded remotely with the push.

    :return: (invoice, changed); marking a paid invoice paid again changes nothing.
    """
    paid_at = paid_at or timezone.now()
    with transaction.atomic():
        invoice, changed = _set_status(invoice, InvoiceStatus.PAID, TriggerKind.ORDER_PAID, paid_at=paid_at)
        if changed:
            owed = invoice.total - sum((p.amount for p in invoice.payments.all()), Decimal(0))
            if owed > 0:
                InvoicePayment.objects.create(invoice=invoice, external_id=BALANCE, amount=owed,
                                              paid_on=timezone.localdate(paid_at))
    return invoice, changed


def invoice_record_payment(*, invoice: Invoice, external_id: str, amount, paid_on: dt.date) -> tuple[InvoicePayment,
                                                                                                     bool]:
    """Record one part of the order's payment (the storefront's `external_id` for it) and fire "order marked as
    paid"; the part that pays what is left makes the invoice paid. Each part becomes one payment remotely.

    The same part reported again (same id, amount and day) changes nothing.
    :return: (payment, created).
    :raises InvalidInput: not a positive amount in cents, more than is owed, a cancelled invoice, or the id of
        another part. Nothing is written then.
    """
    errors: dict[str, list[str]] = {}
    external_id = (external_id or "").strip()
    _check_text(external_id, "external_id", errors, max_length=_max_length(InvoicePayment, "external_id"))
    if not external_id:
        errors["external_id"] = ["Give the storefront's id of this payment."]
    value = _decimal(amount, "amount", errors)
    if "amount" not in errors and (value <= 0 or value != value.quantize(_CENT)):
        errors["amount"] = ["A positive amount in cents, e.g. 25.50."]
    if errors:
        raise InvalidInput("The payment is not valid.", field_errors=errors)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        known = invoice.payments.filter(external_id=external_id).first()
        if known is not None:
            if (known.amount, known.paid_on) == (value, paid_on):
                return known, False
            raise InvalidInput("Another payment has this id.", field_errors={
                "external_id": [f"Payment {external_id!r} was recorded as {known.amount} on {known.paid_on}."]})
        if invoice.status == InvoiceStatus.VOID:
            raise InvalidInput(f"Invoice {invoice.number} is cancelled.")
        owed = invoice.total - sum((p.amount for p in invoice.payments.all()), Decimal(0))
        if value > owed:
            raise InvalidInput("The payment is more than is owed.", field_errors={
                "amount": [f"{owed} is still owed on invoice {invoice.number}."]})
        payment = InvoicePayment.objects.create(invoice=invoice, external_id=external_id, amount=value,
                                                paid_on=paid_on)
        if value == owed:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = timezone.now()
        invoice.version += 1
        invoice.save()
        triggers.fire_if_connected(invoice=invoice, kind=TriggerKind.ORDER_PAID)
    return payment, True


def invoice_cancel(*, invoice: Invoice) -> tuple[Invoice, bool]:
    """Cancel the order: the invoice becomes void here and is voided remotely ("order cancelled", the
    order update that voids it)."""
    if invoice.status == InvoiceStatus.PAID:
        raise InvalidInput(f"Invoice {invoice.number} is paid; refund it instead of cancelling it.")
    return _set_status(invoice, InvoiceStatus.VOID, TriggerKind.ORDER_CANCELLED)
