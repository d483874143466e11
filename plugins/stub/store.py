"""The stub remote's store: what it holds, and the faults to inject (for tests, demos, new plugins)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import StubFault, StubRemoteInvoice

FAULT_KINDS = ("timeout", "rate_limited", "auth_expired", "not_found", "validation", "unknown", "locked",
               "crash", "hang", "slow")

# The stub remote's chart: codes it knows, and tax types it accepts.
ACCOUNT_CODES = frozenset({"200", "400", "410", "500"})
TAX_TYPES = frozenset({"", "GST", "NONE", "EXEMPT"})


def inject_fault(connection, kind: str, count: int = 1, **params) -> StubFault:
    """Make the next `count` pushes to this connection fail with `kind` (see FAULT_KINDS)."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
    return StubFault.objects.create(
        provider=connection.provider, connection_id=connection.pk, kind=kind, remaining=count, params=params
    )


def take_fault(connection) -> StubFault | None:
    """The fault for this push, if one is pending (it is used up by this call)."""
    with transaction.atomic():
        fault = (
            StubFault.objects.select_for_update()
            .filter(provider=connection.provider, connection_id=connection.pk, remaining__gt=0)
            .first()
        )
        if fault is None:
            return None
        StubFault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
    return fault


def remote_invoices(connection) -> list[StubRemoteInvoice]:
    """Everything the remote holds for this connection, by number."""
    return list(
        StubRemoteInvoice.objects.filter(provider=connection.provider, connection_id=connection.pk).order_by("number")
    )


def payload_total(payload: dict) -> Decimal:
    """The total of an invoice as the stub remote holds it."""
    return sum((Decimal(x["quantity"]) * Decimal(x["unit_price"]) for x in payload.get("lines", [])),
               Decimal(0)).quantize(Decimal("0.01"))


def mark_remote_paid(connection, number: str) -> None:
    """Pay an invoice in the remote, as if done there: it is locked from then on."""
    mark_remote(connection, number, status="PAID")


def mark_remote(connection, number: str, status: str | None = None, unit_price: str | None = None) -> None:
    """Change an invoice in the remote as if a person did it there (status, or every line's price)."""
    remote = StubRemoteInvoice.objects.get(provider=connection.provider, connection_id=connection.pk, number=number)
    if status:
        remote.status = status
    if unit_price is not None:
        for line in remote.payload["lines"]:
            line["unit_price"] = unit_price
    remote.updated_at = timezone.now()
    remote.save()


def delete_remote(connection, number: str) -> None:
    """Delete an invoice in the remote, as if done there."""
    StubRemoteInvoice.objects.filter(provider=connection.provider, connection_id=connection.pk, number=number).delete()
