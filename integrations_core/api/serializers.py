"""What the API reads and writes. Reads are plain model serializers; writes validate types only and hand
the values to the services, which own the rules."""

from __future__ import annotations

from rest_framework import serializers

from ..models import Connection, Invoice, InvoiceLine, InvoiceSync, ResyncRun, SyncAttempt
from ..models.invoice import LineAmountType


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A machine-readable code, e.g. invalid_input, not_found, resync_not_supported.")
    message = serializers.CharField(help_text="What went wrong, in plain words.")
    field_errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                         help_text='Per-field messages, e.g. {"lines[0].quantity": ["..."]}.')


class ProviderSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    supports_resync = serializers.BooleanField(help_text="Whether the framework's Resync and Mark as Resolved apply.")
    manual_resync = serializers.CharField(help_text="The provider's own re-sync, where Resync does not apply.")
    concurrency = serializers.IntegerField(allow_null=True)


class ConnectionSerializer(serializers.ModelSerializer):
    provider_name = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField(help_text="ok / unchecked / lapsing / expired / disconnected")
    backlog_count = serializers.IntegerField(read_only=True,
                                             help_text="Invoices that missed the sync and need a re-sync.")

    class Meta:
        model = Connection
        fields = ["id", "supplier", "provider", "provider_name", "state", "health", "tenant_id", "tenant_name",
                  "connected_at", "expired_at", "expiry_reason", "disconnected_at", "token_expires_at",
                  "last_refreshed_at", "last_checked_at", "backlog_count"]
        read_only_fields = fields

    def get_provider_name(self, connection) -> str:
        from .. import registry

        return registry.provider(connection.provider).name

    def get_health(self, connection) -> str:
        from ..health import connection_health

        return connection_health(connection)


class ConnectStartSerializer(serializers.Serializer):
    provider = serializers.SlugField(max_length=50)
    return_url = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                       help_text="Where the supplier's browser returns after connecting, "
                                                 "with ?outcome=connected or the error code.")
    supplier = serializers.IntegerField(required=False, min_value=1,
                                        help_text="Support staff only: the supplier to connect.")


    def validate_return_url(self, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise serializers.ValidationError("Give an absolute http(s) URL.")
        return value


class ConnectStartResultSerializer(serializers.Serializer):
    connection = ConnectionSerializer()
    authorize_url = serializers.CharField(help_text="Send the supplier's browser here; valid for 30 minutes.")


class ResyncRequestSerializer(serializers.Serializer):
    invoice_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**53), required=False,
                                        max_length=10000, allow_empty=False)
    numbers = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=10000,
                                    allow_empty=False)
    since = serializers.DateField(required=False, help_text="Issue date from (inclusive).")
    until = serializers.DateField(required=False, help_text="Issue date to (inclusive).")
    backlog = serializers.BooleanField(required=False, default=False,
                                       help_text="The invoices that missed the sync (see the connection's backlog).")

    def validate(self, data):
        if not (data.get("invoice_ids") or data.get("numbers") or data.get("since") or data.get("until")
                or data.get("backlog")):
            raise serializers.ValidationError({"invoices": ["Choose invoice_ids, numbers, a date window or backlog."]})
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise serializers.ValidationError({"until": ["The window ends before it starts."]})
        return data


class ResyncOutcomeSerializer(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    number = serializers.CharField()
    result = serializers.CharField(help_text="created / updated / paid / queued / skipped_locked / refused / failed")
    message = serializers.CharField(allow_blank=True)


class ResyncRunSerializer(serializers.ModelSerializer):
    outcomes = ResyncOutcomeSerializer(many=True)
    provider = serializers.CharField(source="connection.provider")

    class Meta:
        model = ResyncRun
        fields = ["id", "supplier", "connection", "provider", "state", "total", "done", "outcomes", "error",
                  "created_at", "started_at", "finished_at"]
        read_only_fields = fields


def _code(help_text: str):
    # Blank when unset: a plain string, not an enum (an enum would refuse "").
    return serializers.CharField(read_only=True, help_text=help_text)


class AttemptSerializer(serializers.ModelSerializer):
    trigger = _code("What caused the push: invoice_generated, order_updated, order_paid, resync, manual_resync, ...")
    outcome = _code("succeeded / failed / retrying / ..., blank while running")
    error_category = _code("auth_expired, invoice_locked, invalid_account_or_tax, missing_gl_account, transient, "
                           "rate_limited, validation, not_found, unknown; blank when none")

    class Meta:
        model = SyncAttempt
        fields = ["id", "trigger", "version", "started_at", "finished_at", "outcome", "http_status",
                  "error_category", "error_message"]
        read_only_fields = fields


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


class SyncDetailSerializer(SyncSerializer):
    # Filled by selectors.invoice_detail_queryset (a sliced prefetch: the five newest attempts per sync).
    last_attempts = AttemptSerializer(many=True, source="recent_attempts", read_only=True)

    class Meta(SyncSerializer.Meta):
        fields = SyncSerializer.Meta.fields + ["last_attempts"]
        read_only_fields = fields


class LineSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", allow_null=True, default=None)

    class Meta:
        model = InvoiceLine
        fields = ["position", "description", "quantity", "unit_price", "product_sku", "account_code", "tax_type"]
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


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = LineSerializer(many=True)
    syncs = SyncDetailSerializer(many=True)

    class Meta(InvoiceSerializer.Meta):
        fields = InvoiceSerializer.Meta.fields + ["lines"]
        read_only_fields = fields


class InvoiceUpsertResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(["created", "updated", "unchanged"],
                                      help_text="created fires 'invoice generated'; updated fires 'order updated'.")
    invoice = InvoiceDetailSerializer()


class LineWriteSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=4)
    product_sku = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    account_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    tax_type = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class InvoiceWriteSerializer(serializers.Serializer):
    supplier = serializers.IntegerField(required=False, min_value=1,
                                        help_text="Support staff only: whose invoice this is.")
    number = serializers.CharField(max_length=64)
    customer = serializers.CharField(max_length=200)
    order_reference = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    issue_date = serializers.DateField()
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    currency = serializers.CharField(max_length=3, min_length=3)
    line_amount_type = serializers.ChoiceField(LineAmountType.choices, required=False,
                                               default=LineAmountType.EXCLUSIVE)
    lines = LineWriteSerializer(many=True, allow_empty=False, max_length=1000)


class MarkPaidSerializer(serializers.Serializer):
    paid_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class InvoiceActionResultSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    invoice = InvoiceDetailSerializer()


class FindingSerializer(serializers.Serializer):
    check = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()
    fix = serializers.CharField(allow_blank=True)


class ConnectionDiagnosisSerializer(serializers.Serializer):
    connection_id = serializers.IntegerField()
    provider = serializers.CharField()
    provider_name = serializers.CharField()
    state = serializers.CharField()
    ok = serializers.BooleanField()
    findings = FindingSerializer(many=True)


class DiagnosisSerializer(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    ok = serializers.BooleanField()
    connections = ConnectionDiagnosisSerializer(many=True)
