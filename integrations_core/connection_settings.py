"""A connection's integration settings: what the plugin offers (its `settings_fields`, read from the remote),
the values in force, and changes checked against the remote's own data and kept with who made them."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db import transaction

from . import registry
from .errors import InvalidInput, NoConnection, ServiceError
from .hookspecs import SettingField
from .models import Connection, ConnectionState, SettingsChange

_TEXT_MAX = 200


class SettingsUnavailable(ServiceError):
    """The remote could not be read for the settings' choices (it is down, or the connection lapsed)."""

    code = "settings_unavailable"
    status = 503


@dataclasses.dataclass(frozen=True)
class SettingsView:
    fields: list[SettingField]
    values: dict[str, Any]


def settings_fields(connection: Connection) -> list[SettingField]:
    """The connection's settings as its plugin offers them now ([] for a provider without settings).

    :raises NoConnection: the connection is not connected (its remote cannot be read).
    :raises SettingsUnavailable: the remote did not answer.
    """
    if connection.state != ConnectionState.CONNECTED:
        raise NoConnection(f"The {registry.provider(connection.provider).name} connection is {connection.state}: "
                           "connect it to read or change its settings.")
    try:
        fields = registry.hook().settings_fields(connection=connection)
    except ServiceError:
        raise
    except Exception as exc:  # the remote's failure, as one line
        name = registry.provider(connection.provider).name
        raise SettingsUnavailable(f"{name} could not be read for the settings' choices ({type(exc).__name__}); "
                                  "try again in a minute.") from exc
    return list(fields or [])


def settings_values(connection: Connection, fields: list[SettingField]) -> dict[str, Any]:
    """The values in force: each field's stored value, else its default."""
    stored = connection.settings or {}
    return {f.key: stored.get(f.key, f.default) for f in fields}


def connection_settings(*, connection: Connection) -> SettingsView:
    """The connection's settings: the fields with their choices, and the values in force."""
    fields = settings_fields(connection)
    return SettingsView(fields=fields, values=settings_values(connection, fields))


def _check(field: SettingField, value, provider: str) -> list[str]:
    """Why `value` cannot be this field's value ([] if it can)."""
    if field.mapping:
        if not isinstance(value, dict):
            return [f"An object of {field.mapping} -> value."]
        errors = []
        for key, item in value.items():
            if not isinstance(key, str) or not key.strip() or len(key) > _TEXT_MAX:
                errors.append(f"Each {field.mapping} is a text of 1 to {_TEXT_MAX} characters.")
            elif field.key_choices is not None and key not in dict(field.key_choices):
                errors.append(f"{key!r} is not a {field.mapping} in {provider} (or it is archived).")
            errors += [f"{key}: {e}" for e in _check(dataclasses.replace(field, mapping=""), item, provider)]
        return errors
    if not isinstance(value, str) or len(value) > _TEXT_MAX or any(ord(c) < 32 for c in value):
        return [f"A text of at most {_TEXT_MAX} characters."]
    if field.choices is not None and value not in dict(field.choices):
        allowed = ", ".join(f"{v} ({label})" if label != v else v for v, label in field.choices if v)[:300]
        return [f"{value!r} is not one of the organisation's choices in {provider} (it may be archived or deleted)"
                + (f"; choose one of: {allowed}." if allowed else ".")]
    return []


def connection_settings_update(*, connection: Connection, changes: dict[str, Any], changed_by: str) -> SettingsView:
    """Change some of a connection's settings: each value checked against the remote's own data (a code it does not
    have is refused, naming it), all or nothing, and the change kept with `changed_by` and the time.

    A value of None puts a setting back to its default.
    :raises InvalidInput: unknown settings or refused values (field errors per setting); nothing is written.
    """
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("Give the settings to change.", field_errors={"settings": ["Give at least one setting."]})
    fields = {f.key: f for f in settings_fields(connection)}
    provider = registry.provider(connection.provider).name
    errors: dict[str, list[str]] = {}
    for key, value in changes.items():
        if key not in fields:
            errors[str(key)[:80]] = ["Unknown setting." if fields else f"{provider} connections have no settings."]
        elif value is not None:
            problems = _check(fields[key], value, provider)
            if problems:
                errors[key] = problems
    if errors:
        raise InvalidInput("Some settings were not changed.", field_errors=errors)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        stored = dict(locked.settings or {})
        before = settings_values(locked, list(fields.values()))
        for key, value in changes.items():
            if value is None:
                stored.pop(key, None)
            else:
                stored[key] = value
        locked.settings = stored
        after = settings_values(locked, list(fields.values()))
        diff = {k: {"from": before[k], "to": after[k]} for k in changes if before[k] != after[k]}
        if diff:
            locked.save(update_fields=["settings", "updated_at"])
            SettingsChange.objects.create(connection=locked, changed_by=changed_by[:200], changes=diff)
    connection.settings = locked.settings
    return SettingsView(fields=list(fields.values()), values=after)
