"""Connection health: each connected connection is checked with one cheap remote call (its plugin
refreshes ageing credentials on the way), so a revoked or failing connection shows `expired` with
the time and the cause before any invoice fails."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from . import registry
from .errors import ClassifiedError, ErrorCategory
from .models import Connection, ConnectionState
from .sync import connection_expire

log = logging.getLogger(__name__)

# A connection is "about to lapse" when its provider's credentials would expire this soon unused.
LAPSE_WARNING = timedelta(days=7)


@dataclasses.dataclass(frozen=True)
class HealthResult:
    connection_id: int
    provider: str
    ok: bool
    message: str = ""


def connection_health(connection: Connection, now=None) -> str:
    """How a connection stands: "expired" / "disconnected", "lapsing" (credentials unused for long enough
    that they would lapse within LAPSE_WARNING), "unchecked" (never checked) or "ok"."""
    if connection.state != ConnectionState.CONNECTED:
        return connection.state
    lifetime = registry.provider(connection.provider).idle_lifetime_days
    if lifetime:
        last_used = connection.last_refreshed_at or connection.connected_at
        if last_used and (now or timezone.now()) >= last_used + timedelta(days=lifetime) - LAPSE_WARNING:
            return "lapsing"
    return "ok" if connection.last_checked_at else "unchecked"


def connection_health_expression(now) -> Case:
    """`connection_health` as one SQL expression, to count connections by health in one query (/metrics).
    Kept beside it: a change to one is a change to the other (a test holds them equal)."""
    last_used = Coalesce("last_refreshed_at", "connected_at")
    lapsing = [
        When(LessThanOrEqual(last_used, Value(now - timedelta(days=info.idle_lifetime_days) + LAPSE_WARNING)),
             provider=key, then=Value("lapsing"))
        for key, info in registry.providers().items() if info.idle_lifetime_days
    ]
    return Case(
        When(~Q(state=ConnectionState.CONNECTED), then=F("state")),
        *lapsing,
        When(last_checked_at__isnull=False, then=Value("ok")),
        default=Value("unchecked"),
        output_field=CharField(),
    )


def connection_check(*, connection: Connection) -> HealthResult:
    """Check one connection now. An `auth_expired` answer expires it at once, with the cause; any
    other failure is reported but leaves it connected (a remote outage is not the supplier's to fix)."""
    try:
        answer = registry.hook().check_connection(connection=connection)
    except Exception as exc:  # a plugin bug must not stop the health run
        log.exception("check_connection raised for connection %s", connection.pk)
        answer = ClassifiedError.of(ErrorCategory.UNKNOWN, registry.provider(connection.provider).name, raw=repr(exc))
    Connection.objects.filter(pk=connection.pk).update(last_checked_at=timezone.now())
    if answer is None or answer is True:
        return HealthResult(connection.pk, connection.provider, True)
    error = answer if isinstance(answer, ClassifiedError) else ClassifiedError.of(
        ErrorCategory.AUTH_EXPIRED, registry.provider(connection.provider).name)
    if error.category == ErrorCategory.AUTH_EXPIRED:
        reason = error.detail or error.message
        connection_expire(connection=connection, reason=reason)
    return HealthResult(connection.pk, connection.provider, False, error.message)


def connections_check_all() -> list[HealthResult]:
    """Check every connected connection (the cron job); returns one result per connection."""
    results = []
    for connection in Connection.objects.filter(state=ConnectionState.CONNECTED).order_by("pk"):
        results.append(connection_check(connection=connection))
    return results
