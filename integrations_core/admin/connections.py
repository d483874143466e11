"""Connections: state, health, tenant, token expiry, backlog, and the integration settings (a page of their own,
linked from the connection's page). Credentials are never a field here: not listed, not shown, not editable, for
anyone."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from .. import registry
from ..connection_settings import connection_settings, connection_settings_update
from ..errors import InvalidInput, ServiceError
from ..health import connection_check, connection_health
from ..hookspecs import SettingField
from ..models import Connection, SettingsChange
from ..selectors import connections_for
from .display import badge

CHANGE_PERMISSION = "integrations_core.change_settings_connection"
EXTRA_ROWS = 3  # empty rows under a mapping setting, to add to it
MAX_ROWS = 500  # rows of one mapping read from a form
HISTORY = 50  # settings changes listed under the form

SHOWN = ["supplier", "provider", "state", "tenant_id", "tenant_name", "connected_at", "expired_at", "expiry_reason",
         "disconnected_at", "token_expires_at", "last_refreshed_at", "last_checked_at", "created_at", "updated_at"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "provider", "state_badge", "health_badge", "tenant_name", "token_expires_at",
                    "last_refreshed_at", "last_checked_at", "backlog", "expired_at"]
    list_filter = ["provider", "state"]
    search_fields = ["supplier__name", "tenant_name", "tenant_id"]
    list_select_related = ["supplier"]
    fields = SHOWN + ["health_badge", "backlog"]
    readonly_fields = fields
    actions = ["check_now"]

    def get_queryset(self, request):
        return connections_for(supplier_id=None).select_related("supplier").defer("credentials")

    def has_add_permission(self, request):
        return False  # connections are made by the connect flow, which stores the credentials

    def has_change_permission(self, request, obj=None):
        return False  # the settings page checks change_settings_connection itself; nothing else here is editable

    def get_urls(self):
        settings = path("<path:object_id>/settings/", self.admin_site.admin_view(self.settings_view),
                        name=f"{self.opts.app_label}_{self.opts.model_name}_settings")
        return [settings, *super().get_urls()]  # before the change page's catch-all

    @admin.display(description="state", ordering="state")
    def state_badge(self, connection):
        return badge(connection.state)

    @admin.display(description="health")
    def health_badge(self, connection):
        health = connection_health(connection)
        if health == "lapsing":
            days = registry.provider(connection.provider).idle_lifetime_days
            last_used = connection.last_refreshed_at or connection.connected_at
            return badge(health, f"about to lapse on {_when(last_used + timedelta(days=days))} "
                                 f"(unused since {_when(last_used)}; lapses after {days} idle days)")
        if health == "expired":
            since = f" {_when(connection.expired_at)}" if connection.expired_at else ""
            return badge(health, f"expired{since}: {connection.expiry_reason or 'reconnect in Settings > Add-ons'}")
        return badge(health)

    @admin.display(description="backlog", ordering="backlog_count")
    def backlog(self, connection):
        count = getattr(connection, "backlog_count", 0)
        if not count:
            return 0
        url = reverse("admin:integrations_core_invoice_changelist")
        return format_html('<a href="{}?provider={}&sync_state=failed&supplier__id__exact={}">{}</a>', url,
                           connection.provider, connection.supplier_id, count)

    @admin.action(description="Check the selected connections now", permissions=["view"])
    def check_now(self, request, queryset):
        for connection in queryset:
            result = connection_check(connection=connection)
            level = messages.SUCCESS if result.ok else messages.WARNING
            self.message_user(request, f"{connection}: {result.message or 'OK'}", level)

    def settings_view(self, request, object_id):
        """The connection's integration settings as a form built from the plugin's fields (choices from the
        organisation's own lists), and the changes made so far. Viewing needs view_connection; saving needs
        change_settings_connection (the Support group has it; connecting and disconnecting are apart)."""
        connection = self.get_object(request, unquote(object_id))
        if connection is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, connection):
            raise PermissionDenied
        may_change = request.user.has_perm(CHANGE_PERMISSION)
        if request.method == "POST" and not may_change:
            raise PermissionDenied
        provider = registry.provider(connection.provider).name
        context = {"unavailable": "", "error": "", "rows": []}
        try:
            view = connection_settings(connection=connection)
        except ServiceError as error:  # not connected, or the remote cannot be read: said on the page
            context["unavailable"] = error.message
            return self._settings_page(request, connection, may_change, context)
        fields, values, errors = view.fields, view.values, {}
        if request.method == "POST":
            shown, changes, errors = _read_form(request.POST, fields, view.values)
            if not errors and not changes:
                messages.info(request, "Nothing changed.")
                return HttpResponseRedirect(request.path)
            if not errors:
                try:
                    connection_settings_update(connection=connection, changes=changes,
                                               changed_by=request.user.get_username())
                except InvalidInput as refused:
                    errors = {key: list(found) for key, found in refused.field_errors.items()}
                    context["error"] = refused.message
                except ServiceError as error:  # the remote stopped answering between reading and saving
                    context["error"] = error.message
                else:
                    labels = {f.key: f.label for f in fields}
                    messages.success(request, f"{provider} settings of {connection.supplier} saved: "
                                              f"{', '.join(labels[key] for key in changes)}.")
                    return HttpResponseRedirect(request.path)
            context["error"] = context["error"] or "Some settings were not changed."
            values = shown
        context["rows"] = [_row(field, values.get(field.key, field.default), errors.pop(field.key, []), provider)
                           for field in fields]
        context["other_errors"] = [f"{key}: {text}" if key != "settings" else text
                                   for key, found in errors.items() for text in found]
        return self._settings_page(request, connection, may_change, context)

    def _settings_page(self, request, connection, may_change, context):
        provider = registry.provider(connection.provider).name
        changes = SettingsChange.objects.filter(connection=connection)[:HISTORY]
        labels = {row["field"].key: row["field"].label for row in context["rows"]}
        history = [{"changed_at": c.changed_at, "changed_by": c.changed_by,
                    "changes": [(labels.get(key, key), _shown(step.get("from")), _shown(step.get("to")))
                                for key, step in (c.changes or {}).items() if isinstance(step, dict)]}
                   for c in changes]
        return TemplateResponse(request, "admin/integrations_core/connection/settings.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts, "original": connection, "connection": connection, "provider": provider,
            "title": f"{provider} settings", "subtitle": str(connection), "may_change": may_change,
            "history": history, **context,
        })


def _options(pairs, value: str, provider: str, *, blank: bool) -> list[tuple[str, str, bool]]:
    """A select's options: the choices, a blank one where asked, and a value held now that is not among them
    (archived or deleted in the remote since) kept, and said, so that leaving it alone does not change it."""
    options = list(pairs)
    known = {v for v, _ in options}
    if blank and "" not in known:
        options.insert(0, ("", "---------"))
        known.add("")
    if value not in known:
        options.insert(0, (value, f"{value} (not in {provider} now)"))
    return [(v, label, v == value) for v, label in options]


def _row(field: SettingField, value, errors: list[str], provider: str) -> dict:
    """One setting as the template shows it: a select, a text input, or the rows of a mapping."""
    row = {"field": field, "errors": errors, "name": f"s-{field.key}"}
    if not field.mapping:
        value = _text(value)
        row.update(kind="select" if field.choices is not None else "text", value=value,
                   options=_options(field.choices, value, provider, blank=False) if field.choices is not None else [])
        return row
    pairs = list(value.items()) if isinstance(value, dict) else list(value) if isinstance(value, list) else []
    pairs += [("", "")] * EXTRA_ROWS
    entries = []
    for index, (key, item) in enumerate(pairs):
        key, item = _text(key), _text(item)
        entries.append({
            "key_name": f"m-{field.key}-k-{index}", "value_name": f"m-{field.key}-v-{index}", "key": key,
            "value": item,
            "key_options": (_options(field.key_choices, key, provider, blank=True)
                            if field.key_choices is not None else None),
            "value_options": _options(field.choices, item, provider, blank=True) if field.choices is not None else None,
        })
    row.update(kind="mapping", entries=entries)
    return row


def _read_form(post, fields: list[SettingField], current: dict) -> tuple[dict, dict, dict]:
    """The form as sent: what to show again, the settings whose value changed (only those are sent, so a value
    held now that the remote no longer offers does not stop the others), and the errors of the form itself."""
    shown, changes, errors = {}, {}, {}
    for field in fields:
        before = current.get(field.key, field.default)
        if not field.mapping:
            value = post.get(f"s-{field.key}")
            if value is None:  # not on the form: left as it is
                shown[field.key] = before
                continue
            value = value.strip() if field.choices is None else value
            shown[field.key] = value
            if value != _text(before):
                changes[field.key] = value
            continue
        rows, mapped, problems = [], {}, []
        for index in range(MAX_ROWS):
            if f"m-{field.key}-k-{index}" not in post and f"m-{field.key}-v-{index}" not in post:
                break
            key = post.get(f"m-{field.key}-k-{index}", "")
            item = post.get(f"m-{field.key}-v-{index}", "")
            key = key.strip() if field.key_choices is None else key
            item = item.strip() if field.choices is None else item
            rows.append((key, item))
            if not key and not item:
                continue
            if not key:
                problems.append(f"Choose the {field.mapping} for {item!r}, or clear the row.")
            elif not item:
                problems.append(f"{key}: choose its value, or clear the row to remove it.")
            elif key in mapped:
                problems.append(f"{key} is given twice.")
            else:
                mapped[key] = item
        shown[field.key] = [row for row in rows if row != ("", "")]
        if problems:
            errors[field.key] = problems
        elif mapped != (before if isinstance(before, dict) else {}):
            changes[field.key] = mapped
    return shown, changes, errors


def _text(value) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def _shown(value) -> str:
    """A setting's value in the history: text as it is, a mapping as "key → value" pairs."""
    if value in (None, "", {}):
        return "(not set)"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {_text(v)}" for k, v in value.items())
    return _text(value)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
