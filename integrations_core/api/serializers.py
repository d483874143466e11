"""What the API reads and writes. Reads are plain model serializers. Writes hand the values to the services,
which own the rules; the invoice input's fields are as strict as the service, field by field, so the schema
drf-spectacular makes of them is exactly what is accepted (what one field cannot say, such as a line's amount,
is in its description and answered with a 400 naming the field)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..currencies import ISO_4217
from ..invoices import MAX_LINES, QUANTITY_MAX, TOTAL_MAX, UNIT_PRICE_MAX
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

        from ..connect_views import return_url_allowed

        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise serializers.ValidationError("Give an absolute http(s) URL.")
        request = self.context.get("request")
        if value and not return_url_allowed(value, request.get_host() if request else ""):
            raise serializers.ValidationError(
                f"{parts.hostname} is not an allowed return host (this app's own host, or one listed in "
                "INTEGRATIONS_RETURN_HOSTS).")
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
    trigger = _code("What caused the push: invoice_generated, order_updated, order_cancelled, order_paid, resync, manual_resync, ...")
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


# --- Invoice input: each field as strict as the service, and its schema exactly what is accepted ---------------

# No control characters (C0, DEL, C1): every text column is single-line, so tabs and newlines are refused too.
_TEXT_CHAR = r"[^\x00-\x1F\x7F-\x9F]"
# ... and not whitespace (what str.strip() removes, spelled out so ECMA and Python regexes agree).
_VISIBLE_CHAR = r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"


class TextField(serializers.CharField):
    """A JSON string (not a number turned into one), kept as sent (the service trims it), with no control
    characters; `blank=False`: with at least one character that is not whitespace."""

    def __init__(self, *, blank: bool = False, **kwargs):
        # Blank ("") is taken before the validators; the schema then adds it as its own case (oneOf).
        pattern = rf"\A{_TEXT_CHAR}+\Z" if blank else rf"\A{_TEXT_CHAR}*{_VISIBLE_CHAR}{_TEXT_CHAR}*\Z"
        message = ("No control characters (tabs, newlines, ...)." if blank
                   else "Give some text, with no control characters (tabs, newlines, ...).")
        kwargs.setdefault("validators", []).append(RegexValidator(pattern, message))
        super().__init__(allow_blank=blank, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class AmountField(serializers.DecimalField):
    """A decimal that fits its column: a JSON string such as "12.5" (digits, at most one point, a "-" only where
    negatives are allowed; no exponent, "+" or spaces) or a JSON number, within [min, max] and to at most
    `decimal_places` places."""

    def __init__(self, *, largest: Decimal, signed: bool, **kwargs):
        places = -largest.as_tuple().exponent
        whole = len(str(int(largest)))
        least = -largest if signed else Decimal(0)
        self.pattern = re.compile(rf"{'-?' if signed else ''}[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{places}}})?")
        kwargs.setdefault("error_messages", {}).setdefault(
            "invalid", f"Give a number from {least} to {largest}, with at most {places} decimal places "
                       f'(e.g. "12.5").')
        super().__init__(max_digits=whole + places, decimal_places=places, min_value=least, max_value=largest,
                         **kwargs)
        extend_schema_field({"oneOf": [
            {"type": "string", "format": "decimal", "pattern": f"^{self.pattern.pattern}$"},
            {"type": "number", "minimum": float(least), "maximum": float(largest),
             "multipleOf": float(Decimal(1).scaleb(-places))},
        ]})(self)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        if isinstance(data, str) and not self.pattern.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """A date as YYYY-MM-DD (OpenAPI's `format: date`), nothing else ISO 8601 allows (20261101, 2026-W44-1)."""

    def to_internal_value(self, value):
        if not (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: not a string of digits, not 5.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class LineWriteSerializer(serializers.Serializer):
    description = TextField(max_length=500)
    quantity = AmountField(largest=QUANTITY_MAX, signed=False,
                           help_text="Quantity x unit price, to the cent, must be at most "
                                     f"{TOTAL_MAX} either way (the invoice total's limit).")
    unit_price = AmountField(largest=UNIT_PRICE_MAX, signed=True, help_text="Negative for a discount line.")
    product_sku = TextField(blank=True, max_length=64, required=False, allow_null=True)
    account_code = TextField(blank=True, max_length=32, required=False, default="")
    tax_type = TextField(blank=True, max_length=32, required=False, default="")


class InvoiceWriteSerializer(serializers.Serializer):
    supplier = StrictIntegerField(required=False, min_value=1, max_value=2**53,
                                  help_text="Support staff only: whose invoice this is.")
    number = TextField(max_length=64)
    customer = TextField(max_length=200)
    order_reference = TextField(blank=True, max_length=128, required=False, default="")
    issue_date = StrictDateField()
    due_date = StrictDateField(required=False, allow_null=True, default=None, help_text="Not before issue_date.")
    currency = serializers.ChoiceField(sorted(ISO_4217), help_text="An ISO 4217 code in use.",
                                       error_messages={"invalid_choice": '"{input}" is not an ISO 4217 currency '
                                                                         "code (e.g. AUD, NZD, USD)."})
    line_amount_type = serializers.ChoiceField(LineAmountType.choices, required=False,
                                               default=LineAmountType.EXCLUSIVE)
    lines = serializers.ListField(child=LineWriteSerializer(), allow_empty=False, min_length=1, max_length=MAX_LINES,
                                  help_text=f"1 to {MAX_LINES} lines. Their amounts (quantity x unit price, to "
                                           f"the cent) must add up to at most {TOTAL_MAX} either way; otherwise "
                                           'a 400 names the line ("lines[2]") or "total".')


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
