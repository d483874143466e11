"""Invoices and their lines: what the storefront generated, at a `version` that syncs."""

from decimal import Decimal

from django.db import models

from .catalog import Customer, Product, Supplier


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"


class LineKind(models.TextChoices):
    """What a line charges for: goods, or one of the order's extras that accounting books to its own account."""

    PRODUCT = "product"
    FREIGHT = "freight"
    SURCHARGE = "surcharge"
    DISCOUNT = "discount"


class LineAmountType(models.TextChoices):
    EXCLUSIVE = "exclusive"
    INCLUSIVE = "inclusive"
    NO_TAX = "no_tax"


class Invoice(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    external_id = models.CharField("storefront id", max_length=64, blank=True, null=True)
    number = models.CharField(max_length=64)
    # The numbers it had before, oldest first: an accounting system sent one of them may hold it under it
    # without our knowing its id there (a push whose answer was lost).
    previous_numbers = models.JSONField(default=list, blank=True, editable=False)
    order_reference = models.CharField(max_length=128, blank=True)
    po_number = models.CharField("PO number", max_length=128, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    comments = models.CharField("retailer's comments", max_length=2000, blank=True)
    # The order's own fields a connection's settings may map to the remote (sales channel, delivery region):
    # a flat object of short strings, checked by `invoices._clean_attributes`.
    attributes = models.JSONField(default=dict, blank=True)
    issue_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="AUD")
    # Units of `currency` per unit of the organisation's base currency, when the storefront fixes it (else the
    # accounting system uses its own rate of the day).
    currency_rate = models.DecimalField(max_digits=18, decimal_places=10, null=True, blank=True)
    line_amount_type = models.CharField(max_length=16, choices=LineAmountType.choices, default=LineAmountType.EXCLUSIVE)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    paid_at = models.DateTimeField(null=True, blank=True)
    # Rises only when content that syncs changes; `content_hash` is how a no-op update is told apart.
    version = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "number"], name="invoice_unique_number"),
            models.UniqueConstraint(
                fields=["supplier", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="invoice_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["supplier", "-created_at", "-id"], name="invoice_supplier_recent"),
            models.Index(fields=["supplier", "issue_date"], name="invoice_supplier_issued"),
            models.Index(fields=["supplier", "status"], name="invoice_supplier_status"),
            models.Index(fields=["-created_at", "-id"], name="invoice_recent"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_paid(self) -> bool:
        return self.status == InvoiceStatus.PAID


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=LineKind.choices, default=LineKind.PRODUCT)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    # Blank means "the product's own code"; set to override it for this line.
    account_code = models.CharField(max_length=32, blank=True)
    tax_type = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="line_unique_position")]

    def __str__(self) -> str:
        return f"line {self.position}: {self.description}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))

    @property
    def sales_account_code(self) -> str:
        return self.account_code or (self.product.sales_account_code if self.product else "")

    @property
    def effective_tax_type(self) -> str:
        return self.tax_type or (self.product.tax_type if self.product else "")

    @property
    def item_code(self) -> str:
        return self.product.sku if self.product else ""

    @property
    def gl_account_code(self) -> str:
        return self.product.expense_account_code if self.product else ""
