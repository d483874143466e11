"""Payments, credit notes and retailers' remote contacts as support sees them: credit notes approved here are made
in the remote by a job; a retailer can be linked to another remote contact on purpose."""

from __future__ import annotations

from django.contrib import admin, messages

from .. import registry
from ..credit_notes import credit_note_approve
from ..errors import ServiceError
from ..models import ContactLink, CreditNote, CreditNoteState, InvoicePayment
from .display import badge
from .readonly import RecordAdmin


@admin.action(description="Approve and create in the accounting system", permissions=["change"])
def approve(modeladmin, request, queryset):
    for note in queryset.select_related("connection"):
        provider = registry.provider(note.connection.provider).name
        try:
            credit_note_approve(credit_note=note, approved_by=request.user.get_username())
        except ServiceError as error:
            modeladmin.message_user(request, f"{note.number}: {error.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{note.number} approved: it is being created in {provider}.",
                                    messages.SUCCESS)


@admin.register(CreditNote)
class CreditNoteAdmin(RecordAdmin):
    list_display = ["number", "invoice", "connection", "amount", "state_badge", "approved_by", "approved_at",
                    "error_message"]
    list_filter = ["state", "connection__provider"]
    search_fields = ["number", "invoice__number", "invoice__supplier__name"]
    list_select_related = ["invoice", "connection__supplier"]
    fields = ["number", "invoice", "connection", "reason", "amount", "state", "approved_by", "approved_at",
              "remote_id", "error_message", "created_at"]
    readonly_fields = fields
    actions = [approve]

    def has_change_permission(self, request, obj=None):
        # No field is edited here; the permission is what the approve action asks for.
        return request.user.has_perm("integrations_core.change_creditnote") and obj is None

    @admin.display(description="state")
    def state_badge(self, note):
        tone = {CreditNoteState.CREATED: "synced", CreditNoteState.FAILED: "failed"}.get(note.state, "queued")
        return badge(tone, note.state)


class CreditNoteInline(admin.TabularInline):
    model = CreditNote
    fields = ["number", "connection", "reason", "amount", "state", "approved_by", "remote_id", "error_message"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = InvoicePayment
    fields = ["external_id", "amount", "paid_on", "recorded_in"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="recorded in")
    def recorded_in(self, payment):
        return ", ".join(f"{r.connection.provider}{' (removed there)' if r.removed_at else ''}"
                         for r in payment.records.select_related("connection")) or "-"


class ContactLinkInline(admin.TabularInline):
    """A retailer's contact per connection. Support may link it to another remote contact (by its id) on purpose,
    e.g. two retailers that are one customer in the books."""

    model = ContactLink
    fields = ["connection", "remote_id", "remote_name", "linked_by", "linked_at"]
    readonly_fields = ["linked_by", "linked_at"]
    extra = 0
