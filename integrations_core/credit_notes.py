"""Credit notes against paid invoices: proposed (from the changes kept on a locked invoice, or by a refund),
approved by support or the supplier, then made in the remote by a job, exactly once, and shown on the invoice."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from . import registry
from .errors import ClassifiedError, ErrorCategory, InvalidInput, PushError, WrongState
from .models import CreditNote, CreditNoteState, Invoice, InvoiceSync
from .queue import PUSHES, enqueue

_CENT = Decimal("0.01")


def _number(invoice: Invoice, connection_id: int) -> str:
    count = CreditNote.objects.filter(invoice=invoice, connection_id=connection_id).count()
    return f"CN-{invoice.number}-{count + 1}"[:64]


def credit_note_propose(*, sync: InvoiceSync) -> CreditNote | None:
    """The credit note the changes kept on a locked invoice suggest (its total went down), proposed once per
    version; None when they suggest none."""
    changes = sync.locked_changes or {}
    try:
        difference = Decimal(changes.get("difference", "0"))
    except InvalidOperation:
        return None
    if difference >= 0:
        return None
    version = changes.get("version")
    reason = f"Changes to invoice {sync.invoice.number} after it was paid (v{version})"
    existing = CreditNote.objects.filter(invoice_id=sync.invoice_id, connection_id=sync.connection_id,
                                         reason=reason).first()
    if existing is not None:
        return existing
    return CreditNote.objects.create(invoice_id=sync.invoice_id, connection_id=sync.connection_id,
                                     number=_number(sync.invoice, sync.connection_id), reason=reason,
                                     amount=-difference)


def credit_note_refund(*, invoice: Invoice, amount, reason: str) -> list[CreditNote]:
    """A refund of a paid order: one proposed credit note per connection the invoice reached.

    :raises InvalidInput: not a positive amount in cents, more than the invoice's total, or no reason.
    :raises WrongState: the invoice is not paid. Nothing is written then.
    """
    errors: dict[str, list[str]] = {}
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        value = Decimal(0)
    if not value.is_finite() or value <= 0 or value != value.quantize(_CENT) or value > invoice.total:
        errors["amount"] = [f"A positive amount in cents, at most the invoice's {invoice.total}."]
    reason = (reason or "").strip()
    if not reason or len(reason) > 500 or any(ord(c) < 32 for c in reason):
        errors["reason"] = ["Say why, in at most 500 characters on one line."]
    if errors:
        raise InvalidInput("The refund is not valid.", field_errors=errors)
    if invoice.status != "paid":
        raise WrongState(f"Invoice {invoice.number} is not paid: change or cancel the order instead.")
    made = []
    with transaction.atomic():
        for sync in InvoiceSync.objects.filter(invoice=invoice).exclude(remote_id=""):
            made.append(CreditNote.objects.create(invoice=invoice, connection_id=sync.connection_id,
                                                  number=_number(invoice, sync.connection_id), reason=reason,
                                                  amount=value))
    return made


def credit_note_approve(*, credit_note: CreditNote, approved_by: str) -> CreditNote:
    """Approve a proposed (or failed) credit note: a job makes it in the remote.

    :raises WrongState: it is made already, on its way, or dismissed.
    """
    with transaction.atomic():
        note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        if note.state not in (CreditNoteState.PROPOSED, CreditNoteState.FAILED):
            raise WrongState(f"Credit note {note.number} is {note.state}: there is nothing to approve.")
        note.state = CreditNoteState.APPROVED
        note.approved_by = approved_by[:200]
        note.approved_at = timezone.now()
        note.error_message = ""
        note.save()
        transaction.on_commit(lambda: enqueue("integrations_core.jobs.push_credit_note", note.pk, queue=PUSHES, retry=(5, 30, 120)))
    return note


def credit_note_push(*, credit_note_id: int) -> str:
    """Make one approved credit note in its remote (see the `push_credit_note` hook); a refusal is shown on it.
    :return: its state after."""
    note = CreditNote.objects.select_related("invoice", "connection").get(pk=credit_note_id)
    if note.state != CreditNoteState.APPROVED:
        return note.state
    sync = InvoiceSync.objects.filter(invoice=note.invoice, connection=note.connection).first()
    provider = registry.provider(note.connection.provider).name
    try:
        result = registry.hook().push_credit_note(connection=note.connection, credit_note=note,
                                                  invoice_remote_id=sync.remote_id if sync else "")
        if result is None:
            raise InvalidInput(f"{provider} takes no credit notes from here: raise it in {provider}.")
    except Exception as exc:  # the remote's refusal or failure, classified and shown on the credit note
        error = _classified(note, exc)
        CreditNote.objects.filter(pk=note.pk).update(state=CreditNoteState.FAILED,
                                                     error_message=error.message[:1000], updated_at=timezone.now())
        return CreditNoteState.FAILED
    CreditNote.objects.filter(pk=note.pk).update(state=CreditNoteState.CREATED, remote_id=result.remote_id,
                                                 error_message="" if result.action == "allocated" else (
                                                     f"Made in {provider} as credit: the invoice owed less than "
                                                     "the credit there, so the rest is to refund or use in "
                                                     f"{provider}."), updated_at=timezone.now())
    return CreditNoteState.CREATED


def _classified(note: CreditNote, exc: Exception) -> ClassifiedError:
    if isinstance(exc, PushError):
        return exc.classified
    if isinstance(exc, InvalidInput):
        return ClassifiedError.of(ErrorCategory.VALIDATION, registry.provider(note.connection.provider).name,
                                  message=str(exc))
    found = registry.hook().classify_error(connection=note.connection, error=exc)
    return found or ClassifiedError.of(ErrorCategory.UNKNOWN, registry.provider(note.connection.provider).name)
