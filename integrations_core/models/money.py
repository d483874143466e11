"""Money that moves after an invoice is issued: payments in parts, credit notes, and the storefront's PDF of the
invoice; each with what the remote made of it, per connection, so it reaches the remote exactly once."""

from django.db import models

from .connection import Connection
from .invoice import Invoice


class InvoicePayment(models.Model):
    """One part of an order's payment (an order may be paid in several), as the storefront reports it."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    external_id = models.CharField("storefront id", max_length=64)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    paid_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "external_id"], name="payment_unique_external_id")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.paid_on}"


class CreditNoteState(models.TextChoices):
    PROPOSED = "proposed"  # suggested by changes kept on a paid invoice, or a refund: waits for approval
    APPROVED = "approved"  # approved: on its way to the remote
    CREATED = "created"    # the remote holds it, allocated to the invoice
    FAILED = "failed"      # the remote refused it; see error_message
    DISMISSED = "dismissed"


class CreditNote(models.Model):
    """A credit against a paid invoice: proposed, approved by support or the supplier, then made remotely."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="credit_notes")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="credit_notes")
    number = models.CharField(max_length=64)
    reason = models.CharField(max_length=500)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    state = models.CharField(max_length=16, choices=CreditNoteState.choices, default=CreditNoteState.PROPOSED)
    approved_by = models.CharField(max_length=200, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["connection", "number"], name="credit_note_unique_number")]

    def __str__(self) -> str:
        return f"{self.number} ({self.state})"


class PaymentRecord(models.Model):
    """A payment as one connection's remote holds it: recorded once, removed when the remote removed it."""

    payment = models.ForeignKey(InvoicePayment, on_delete=models.CASCADE, related_name="records")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="payment_records")
    remote_id = models.CharField(max_length=100)
    removed_at = models.DateTimeField(null=True, blank=True)  # deleted in the remote
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["payment", "connection"], name="payment_record_once")]

    def __str__(self) -> str:
        return self.remote_id


class InvoiceDocument(models.Model):
    """The storefront's PDF of an invoice, at the invoice version it shows; attached remotely once per version."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="documents")
    version = models.PositiveIntegerField()
    file_name = models.CharField(max_length=200)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # {connection id: remote attachment id}: where this version is attached already.
    attached = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["invoice", "version"], name="document_one_per_version")]

    def __str__(self) -> str:
        return f"{self.file_name} (v{self.version})"
