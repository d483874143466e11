"""The invoice list's shape, twice, side by side so that they change together: `InvoiceSerializer` (the
schema, and every invoice answer but the list) and the list's fast path, rows read as values (no model
instances) and written straight to JSON-ready dicts in exactly the serializer's shape (a test holds the two
equal). A page of 200 invoices with their syncs is two queries and no per-field serializer work."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet
from rest_framework import serializers

from ..models import Invoice, InvoiceSync

def _code(help_text: str):
    # Blank when unset: a plain string, not an enum (an enum would refuse "").
    return serializers.CharField(read_only=True, help_text=help_text)


class SyncSerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="connection.provider")
    connection_state = serializers.CharField(source="connection.state")
    message = serializers.CharField(source="error_message")
    fix = serializers.CharField(source="error_fix")
    error_category = _code("auth_expired, invoice_locked, invalid_account_or_tax, missing_gl_account, transient, "
                           "rate_limited, validation, not_found, unknown; blank when none")
    last_trigger = _code("The last trigger seen for this invoice on this connection; blank if none")
    locked_changes = serializers.JSONField(help_text="What changed here after the invoice was locked remotely, "
                                                     "line by line, with the suggested adjustment.")

    class Meta:
        model = InvoiceSync
        fields = ["id", "connection", "provider", "connection_state", "state", "remote_id", "remote_status",
                  "remote_locked", "synced_version", "synced_at", "error_category", "message", "fix", "attempts",
                  "next_retry_at", "last_trigger", "last_trigger_at", "locked_changes", "drift_detail",
                  "drift_detected_at", "resolved_at"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.name")
    syncs = SyncSerializer(many=True)

    class Meta:
        model = Invoice
        fields = ["id", "supplier", "external_id", "number", "customer", "order_reference", "issue_date", "due_date",
                  "currency", "line_amount_type", "status", "total", "paid_at", "version", "created_at",
                  "updated_at", "syncs"]
        read_only_fields = fields


INVOICE_COLUMNS = ("id", "supplier_id", "external_id", "number", "customer__name", "order_reference", "issue_date",
                   "due_date", "currency", "line_amount_type", "status", "total", "paid_at", "version",
                   "created_at", "updated_at")
SYNC_COLUMNS = ("id", "invoice_id", "connection_id", "connection__provider", "connection__state", "state",
                "remote_id", "remote_status", "remote_locked", "synced_version", "synced_at", "error_category",
                "error_message", "error_fix", "attempts", "next_retry_at", "last_trigger", "last_trigger_at",
                "locked_changes", "drift_detail", "drift_detected_at", "resolved_at")


def _when(value: dt.datetime | None) -> str | None:
    # DRF's DateTimeField output with TIME_ZONE = UTC: ISO 8601 with a Z.
    return None if value is None else value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def _sync(row: dict) -> dict:
    return {
        "id": row["id"], "connection": row["connection_id"], "provider": row["connection__provider"],
        "connection_state": row["connection__state"], "state": row["state"], "remote_id": row["remote_id"],
        "remote_status": row["remote_status"], "remote_locked": row["remote_locked"],
        "synced_version": row["synced_version"], "synced_at": _when(row["synced_at"]),
        "error_category": row["error_category"], "message": row["error_message"], "fix": row["error_fix"],
        "attempts": row["attempts"], "next_retry_at": _when(row["next_retry_at"]), "last_trigger": row["last_trigger"],
        "last_trigger_at": _when(row["last_trigger_at"]), "locked_changes": row["locked_changes"],
        "drift_detail": row["drift_detail"], "drift_detected_at": _when(row["drift_detected_at"]),
        "resolved_at": _when(row["resolved_at"]),
    }


def invoice_rows(invoices: QuerySet) -> QuerySet:
    """The queryset of invoice rows to paginate."""
    return invoices.values(*INVOICE_COLUMNS)


def invoice_page(rows: list[dict]) -> list[dict]:
    """A page of invoice rows with their syncs, as the list endpoint returns them (one more query)."""
    syncs = defaultdict(list)
    for row in (InvoiceSync.objects.filter(invoice_id__in=[r["id"] for r in rows])
                .order_by("connection__provider", "pk").values(*SYNC_COLUMNS)):
        syncs[row["invoice_id"]].append(_sync(row))
    return [{
        "id": r["id"], "supplier": r["supplier_id"], "external_id": r["external_id"], "number": r["number"],
        "customer": r["customer__name"], "order_reference": r["order_reference"], "issue_date": _day(r["issue_date"]),
        "due_date": _day(r["due_date"]), "currency": r["currency"], "line_amount_type": r["line_amount_type"],
        "status": r["status"], "total": _money(r["total"]), "paid_at": _when(r["paid_at"]), "version": r["version"],
        "created_at": _when(r["created_at"]), "updated_at": _when(r["updated_at"]), "syncs": syncs[r["id"]],
    } for r in rows]
