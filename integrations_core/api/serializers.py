"""What the API reads and writes. Reads are plain model serializers. Writes hand the values to the services,
which own the rules; the invoice input's fields are as strict as the service, field by field, so the schema
drf-spectacular makes of them is exactly what is accepted (what one field cannot say, such as a line's amount,
is in its description and answered with a 400 naming the field)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..bulk import estimate
from ..currencies import ISO_4217
from ..invoices import ATTRIBUTE_VALUE_MAX, MAX_ATTRIBUTES, MAX_LINES, QUANTITY_MAX, TOTAL_MAX, UNIT_PRICE_MAX
from ..models import (Connection, CreditNote, InvoiceLine, InvoicePayment, ResyncRun, ResyncRunState, SettingsChange,
                      SyncAttempt)
from ..models.invoice import LineAmountType, LineKind
from .listing import InvoiceSerializer, SyncSerializer, _code


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


class ConnectStartResultSerializer(serializers.Serializer):
    connection = ConnectionSerializer()
    authorize_url = serializers.CharField(help_text="Send the supplier's browser here; valid for 30 minutes.")


class ResyncOutcomeSerializer(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    number = serializers.CharField()
    result = serializers.CharField(help_text="created / updated / paid / queued / skipped_locked / refused / failed")
    message = serializers.CharField(allow_blank=True)


class ResyncEstimateSerializer(serializers.Serializer):
    calls = serializers.IntegerField(help_text="Remote calls the invoices left take (the provider's batch size).")
    seconds = serializers.FloatField(help_text="About how long they take, from the budget the remote reports left.")
    minute_remaining = serializers.IntegerField(allow_null=True, help_text="Calls left this minute; null: not known.")
    day_remaining = serializers.IntegerField(allow_null=True, help_text="Calls left today; null: not known.")
    text = serializers.CharField(help_text="The same, in a sentence.")


class ResyncRunSerializer(serializers.ModelSerializer):
    outcomes = ResyncOutcomeSerializer(many=True)
    provider = serializers.CharField(source="connection.provider")
    estimate = serializers.SerializerMethodField(help_text="What is left of a queued or running run, by the "
                                                           "provider's budget; null once it has finished.")

    class Meta:
        model = ResyncRun
        fields = ["id", "supplier", "connection", "provider", "state", "total", "done", "estimate", "outcomes",
                  "error", "created_at", "started_at", "finished_at"]
        read_only_fields = fields

    @extend_schema_field(ResyncEstimateSerializer(allow_null=True))
    def get_estimate(self, run: ResyncRun) -> dict | None:
        if run.state not in (ResyncRunState.QUEUED, ResyncRunState.RUNNING):
            return None
        planned = estimate(run.connection, max(0, run.total - run.done))
        return {"calls": planned.calls, "seconds": planned.seconds, "minute_remaining": planned.minute_remaining,
                "day_remaining": planned.day_remaining, "text": planned.describe()}


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
        fields = ["position", "kind", "description", "quantity", "unit_price", "product_sku", "account_code",
                  "tax_type"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="external_id", help_text="The storefront's id of this part of the payment.")

    class Meta:
        model = InvoicePayment
        fields = ["id", "amount", "paid_on", "created_at"]
        read_only_fields = fields


class CreditNoteSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number")
    provider = serializers.CharField(source="connection.provider")

    class Meta:
        model = CreditNote
        fields = ["id", "invoice", "invoice_number", "connection", "provider", "number", "reason", "amount", "state",
                  "approved_by", "approved_at", "remote_id", "error_message", "created_at", "updated_at"]
        read_only_fields = fields


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = LineSerializer(many=True)
    syncs = SyncDetailSerializer(many=True)
    retailer_id = serializers.CharField(source="customer.external_id", allow_null=True)
    payments = PaymentSerializer(many=True)
    credit_notes = CreditNoteSerializer(many=True)

    class Meta(InvoiceSerializer.Meta):
        fields = InvoiceSerializer.Meta.fields + ["retailer_id", "po_number", "delivery_date", "comments",
                                                  "currency_rate", "attributes", "lines", "payments", "credit_notes"]
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

    def __init__(self, *, largest: Decimal, signed: bool, positive: bool = False, **kwargs):
        places = -largest.as_tuple().exponent
        whole = len(str(int(largest)))
        least = -largest if signed else Decimal(0)
        self.positive = positive  # more than 0 (an amount of money paid or refunded)
        not_zero = r"(?![0.]*$)" if positive else ""
        self.pattern = re.compile(rf"{not_zero}{'-?' if signed else ''}[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{places}}})?")
        kwargs.setdefault("error_messages", {}).setdefault(
            "invalid", f"Give a number {'above' if positive else 'from'} {least} to {largest}, with at most {places} "
                       f'decimal places (e.g. "12.5").')
        super().__init__(max_digits=whole + places, decimal_places=places, min_value=least, max_value=largest,
                         **kwargs)
        number = {"type": "number", "minimum": float(least), "maximum": float(largest),
                  "multipleOf": float(Decimal(1).scaleb(-places))}
        if positive:
            number["exclusiveMinimum"] = True
        extend_schema_field({"oneOf": [
            {"type": "string", "format": "decimal", "pattern": f"^{self.pattern.pattern}$"}, number,
        ]})(self)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("invalid")
        if isinstance(data, str) and not self.pattern.fullmatch(data):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if self.positive and value <= 0:
            self.fail("invalid")
        return value


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


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean: not "true", "yes", 1 or "on" (DRF's BooleanField takes those)."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


# Years 1000-2999 (an offset on year 1 or 9999 would overflow UTC), seconds 00-59 (Python has no leap second).
_RFC3339 = (r"[12][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](?:\.[0-9]{1,6})?"
            r"(?:Z|[+-][0-9]{2}:[0-9]{2})")


@extend_schema_field({"type": "string", "format": "date-time", "pattern": f"^{_RFC3339}$"})
class StrictDateTimeField(serializers.DateTimeField):
    """A moment as RFC 3339 (OpenAPI's `format: date-time`) with its offset, to the microsecond, in the years
    1000-2999: not a naive time, not a bare date, nothing else ISO 8601 allows."""

    def to_internal_value(self, value):
        if not (isinstance(value, str) and re.fullmatch(_RFC3339, value)):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss[.ffffff]Z (or an offset such as +10:00)")
        return super().to_internal_value(value)


_ATTRIBUTE_NAME = r"^[a-z][a-z0-9_]{0,39}$"


@extend_schema_field({"type": "object", "maxProperties": MAX_ATTRIBUTES,
                      "description": f"At most {MAX_ATTRIBUTES}; each name lowercase letters, digits and _, from a "
                                     "letter, at most 40 (`^[a-z][a-z0-9_]{0,39}$`).",
                      "additionalProperties": {"type": "string", "maxLength": ATTRIBUTE_VALUE_MAX,
                                               "pattern": f"^{_TEXT_CHAR}*$"}})
class AttributesField(serializers.DictField):
    """At most 20 names (lowercase letters, digits and _, from a letter) to short texts."""

    def __init__(self, **kwargs):
        super().__init__(child=TextField(blank=True, max_length=ATTRIBUTE_VALUE_MAX), **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > MAX_ATTRIBUTES:
            raise serializers.ValidationError(f"At most {MAX_ATTRIBUTES} attributes.")
        bad = [name for name in value if not re.fullmatch(_ATTRIBUTE_NAME, name)]
        if bad:
            raise serializers.ValidationError(f"{bad[0][:40]!r}: names are lowercase letters, digits and _, from a "
                                              "letter (at most 40).")
        return value


class LineWriteSerializer(serializers.Serializer):
    description = TextField(max_length=500)
    quantity = AmountField(largest=QUANTITY_MAX, signed=False,
                           help_text="Quantity x unit price, to the cent, must be at most "
                                     f"{TOTAL_MAX} either way (the invoice total's limit).")
    unit_price = AmountField(largest=UNIT_PRICE_MAX, signed=True, help_text="Negative for a discount line.")
    product_sku = TextField(blank=True, max_length=64, required=False, allow_null=True)
    account_code = TextField(blank=True, max_length=32, required=False, default="")
    tax_type = TextField(blank=True, max_length=32, required=False, default="")
    kind = serializers.ChoiceField(LineKind.choices, required=False, default=LineKind.PRODUCT,
                                   help_text="Goods, or an extra of the order that the connection's settings book "
                                             "to its own account: freight (delivery fee), surcharge, discount.")


class InvoiceWriteSerializer(serializers.Serializer):
    supplier = StrictIntegerField(required=False, min_value=1, max_value=2**53,
                                  help_text="Support staff only: whose invoice this is.")
    number = TextField(max_length=64)
    customer = TextField(max_length=200)
    retailer_id = TextField(max_length=64, required=False, allow_null=True, default=None,
                            help_text="The storefront's id of the retailer: it keeps its accounting contact when "
                                      "it is renamed.")
    order_reference = TextField(blank=True, max_length=128, required=False, default="")
    po_number = TextField(blank=True, max_length=128, required=False, default="")
    delivery_date = StrictDateField(required=False, allow_null=True, default=None)
    comments = serializers.CharField(
        allow_blank=True, max_length=2000, required=False, default="", trim_whitespace=False,
        validators=[RegexValidator(r"\A[^\x00-\x08\x0B-\x1F\x7F-\x9F]*\Z", "No control characters (newlines and "
                                   "tabs are kept).")],
        help_text="The retailer's comments on the order (several lines allowed).")
    attributes = AttributesField(
        required=False, default=dict,
        help_text="The order's own fields a connection may map to tracking, e.g. {\"sales_channel\": "
                  "\"wholesale\", \"delivery_region\": \"north\"}.")
    issue_date = StrictDateField()
    due_date = StrictDateField(required=False, allow_null=True, default=None, help_text="Not before issue_date.")
    currency = serializers.ChoiceField(sorted(ISO_4217), help_text="An ISO 4217 code in use.",
                                       error_messages={"invalid_choice": '"{input}" is not an ISO 4217 currency '
                                                                         "code (e.g. AUD, NZD, USD)."})
    line_amount_type = serializers.ChoiceField(LineAmountType.choices, required=False,
                                               default=LineAmountType.EXCLUSIVE)
    currency_rate = AmountField(largest=Decimal("99999999.9999999999"), signed=False, positive=True, required=False,
                                allow_null=True,
                                default=None, help_text="Units of the invoice's currency per unit of the "
                                                        "organisation's base currency, when the storefront fixes "
                                                        "it; else the accounting system's rate of the day.")
    lines = serializers.ListField(child=LineWriteSerializer(), allow_empty=False, min_length=1, max_length=MAX_LINES,
                                  help_text=f"1 to {MAX_LINES} lines. Their amounts (quantity x unit price, to "
                                           f"the cent) must add up to at most {TOTAL_MAX} either way; otherwise "
                                           'a 400 names the line ("lines[2]") or "total".')


class PaymentWriteSerializer(serializers.Serializer):
    id = TextField(max_length=64, help_text="The storefront's id of this part of the payment: the same part "
                                            "reported again changes nothing.")
    amount = AmountField(largest=TOTAL_MAX, signed=False, positive=True, help_text="More than 0, in cents.")
    paid_on = StrictDateField()


class PaymentResultSerializer(serializers.Serializer):
    created = serializers.BooleanField()
    payment = PaymentSerializer()
    invoice = InvoiceDetailSerializer()


class RefundSerializer(serializers.Serializer):
    amount = AmountField(largest=TOTAL_MAX, signed=False, positive=True,
                         help_text="More than 0, at most the invoice's total.")
    reason = TextField(max_length=500)


class MarkPaidSerializer(serializers.Serializer):
    paid_at = StrictDateTimeField(required=False, allow_null=True, default=None,
                                  help_text="When it was paid (default: now).")


# --- Connecting and re-syncing -----------------------------------------------------------------------------------

# A character a return URL may hold: not a control character, not whitespace, not a backslash (which browsers
# read as "/"). Spelled out so the schema's ECMA pattern and Python agree.
_URL_CHAR = r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\\]"
_PATTERN_SPECIALS = re.compile(r"([\\^$.|?*+()\[\]{}/])")


def return_url_pattern(hosts: list[str]) -> str:
    """The schema's pattern for a return URL: http(s) on one of `hosts` (any host when none is known, as when the
    schema is made offline), then an optional path, query or fragment. (Blank is the schema's other case.)"""
    host = ("(?:" + "|".join(_PATTERN_SPECIALS.sub(r"\\\1", h) for h in hosts) + ")" if hosts
            else r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\\/?#@]+")
    return rf"^https?://{host}(?:[/?#]{_URL_CHAR}*)?$"


class ReturnUrlField(serializers.CharField):
    """Where the browser comes back to: blank, or an absolute http(s) URL on this app's host or an allowed one
    (INTEGRATIONS_RETURN_HOSTS), with no whitespace or control characters. The schema's pattern names the hosts
    of the request that asked for it (`ReturnUrlScheme`)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=2000, allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not value:
            return value
        from urllib.parse import urlsplit

        from ..connect_views import return_url_allowed

        try:
            parts = urlsplit(value)
        except ValueError:  # e.g. an unclosed "[" of an IPv6 host
            parts = None
        if (parts is None or not value.startswith(("http://", "https://")) or not parts.netloc
                or not re.fullmatch(f"{_URL_CHAR}*", value)):
            raise serializers.ValidationError("Give an absolute http(s) URL, with no spaces or control characters.")
        request = self.context.get("request")
        if not return_url_allowed(value, request.get_host() if request else ""):
            raise serializers.ValidationError(
                f"{parts.hostname} is not an allowed return host (this app's own host, or one listed in "
                "INTEGRATIONS_RETURN_HOSTS).")
        return value


class ReturnUrlScheme(OpenApiSerializerFieldExtension):
    """The return URL's schema: its pattern names this app's host (the schema request's) and the allowed ones."""

    target_class = ReturnUrlField

    def map_serializer_field(self, auto_schema, direction):
        from django.conf import settings

        request = getattr(auto_schema.view, "request", None)
        # The request for the schema, when there is one (drf-spectacular's mock request keeps its Host header).
        own = request.get_host() if request is not None and "HTTP_HOST" in request.META else None
        hosts = [own, *getattr(settings, "INTEGRATIONS_RETURN_HOSTS", [])] if own else []
        return {"type": "string", "maxLength": 2000, "pattern": return_url_pattern(hosts)}


class ConnectStartSerializer(serializers.Serializer):
    provider = serializers.ChoiceField([], help_text="An installed provider's key (see GET /providers/).")
    return_url = ReturnUrlField(required=False,
                                help_text="Where the supplier's browser returns after connecting, with "
                                          "?outcome=connected or the error code: blank, or an http(s) URL on this "
                                          "app's host or one the operator allowed (INTEGRATIONS_RETURN_HOSTS).")
    supplier = StrictIntegerField(required=False, min_value=1, max_value=2**53,
                                  help_text="Support staff only: the supplier to connect.")

    def __init__(self, *args, **kwargs):
        from .. import registry

        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = list(registry.providers())  # the plugins installed now


class ResyncRequestSerializer(serializers.Serializer):
    """Which invoices to re-sync: at least one of `invoice_ids`, `numbers`, `since`, `until` or `backlog: true`;
    `until` not before `since`."""

    invoice_ids = serializers.ListField(child=StrictIntegerField(min_value=1, max_value=2**53), required=False,
                                        min_length=1, max_length=10000)
    numbers = serializers.ListField(child=TextField(max_length=64), required=False, min_length=1, max_length=10000)
    since = StrictDateField(required=False, help_text="Issue date from (inclusive).")
    until = StrictDateField(required=False, help_text="Issue date to (inclusive), not before `since`.")
    backlog = StrictBooleanField(required=False, default=False,
                                 help_text="The invoices that missed the sync (see the connection's backlog).")

    def validate(self, data):
        if not (data.get("invoice_ids") or data.get("numbers") or data.get("since") or data.get("until")
                or data.get("backlog")):
            raise serializers.ValidationError({"invoices": ["Choose invoice_ids, numbers, a date window or backlog."]})
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise serializers.ValidationError({"until": ["The window ends before it starts."]})
        return data


class ResyncRequestScheme(OpenApiSerializerExtension):
    """The "at least one of" rule in the schema, as `anyOf` (the window's order is beyond a schema)."""

    target_class = ResyncRequestSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target_class, direction, bypass_extensions=True)
        schema["anyOf"] = [{"required": ["invoice_ids"]}, {"required": ["numbers"]}, {"required": ["since"]},
                           {"required": ["until"]},
                           {"required": ["backlog"], "properties": {"backlog": {"enum": [True]}}}]
        return schema


# --- Connection settings (`connection_settings`: the plugin's fields, checked against the remote's own lists) -------


class SettingChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(allow_blank=True, help_text="What to send as the setting's value.")
    label = serializers.CharField(allow_blank=True, help_text="What to show, e.g. \"200 Sales\".")


class SettingFieldSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The setting's name in `values` and in a PATCH.")
    label = serializers.CharField()
    help = serializers.CharField(allow_blank=True)
    choices = SettingChoiceSerializer(many=True, allow_null=True,
                                      help_text="The values allowed now, read from the organisation's own lists "
                                                "(accounts, tax rates, ...); null for free text.")
    mapping = serializers.CharField(allow_blank=True,
                                    help_text="Non-empty: the value is an object whose keys are what this names "
                                              "(e.g. \"product category\"), each value one of `choices`.")
    key_choices = SettingChoiceSerializer(many=True, allow_null=True,
                                          help_text="For a mapping: the keys allowed; null for any text.")
    default = serializers.JSONField(allow_null=True, help_text="The value in force while the setting is not set.")


class SettingsChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(read_only=True,
                                       help_text='A staff user\'s name, or "API key <prefix> (<name>)".')
    changes = serializers.DictField(child=serializers.JSONField(), read_only=True,
                                    help_text='Each setting changed: {"from": old, "to": new}.')

    class Meta:
        model = SettingsChange
        fields = ["changed_by", "changed_at", "changes"]
        read_only_fields = fields


class ConnectionSettingsSerializer(serializers.Serializer):
    values = serializers.DictField(child=serializers.JSONField(allow_null=True),
                                   help_text="Each setting's value in force (its default while not set).")
    fields = SettingFieldSerializer(many=True, help_text="The settings the provider offers, in the order to show "
                                                         "them; empty for a provider without settings.")
    changes = SettingsChangeSerializer(many=True, help_text="The last 20 changes, newest first.")


class SettingsUpdateSerializer(serializers.Serializer):
    settings = serializers.DictField(child=serializers.JSONField(allow_null=True),
                                     help_text="The settings to change (at least one): key -> new value, or null "
                                               "to put it back to its default. The others stay as they are.")


class SettingsUpdateScheme(OpenApiSerializerExtension):
    """A PATCH whose body is not partial: `settings` is required (drf-spectacular makes every PATCH body partial)."""

    target_class = SettingsUpdateSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target_class, direction, bypass_extensions=True)
        schema["required"] = ["settings"]
        schema["properties"]["settings"]["minProperties"] = 1
        return schema


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
