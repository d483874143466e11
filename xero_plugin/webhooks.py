"""Xero webhooks in: verified over the raw body, answered at once, acted on once in a job.

Xero signs each delivery with HMAC-SHA256 of the raw body under the app's webhook key (base64, header
`x-xero-signature`), wants a 200 with no body within 5 seconds, and a 401 for a bad signature — which
is also how its intent-to-receive check (a series of well and badly signed empty deliveries) is passed.
Invoice events carry no status, so the job reads the invoices back from Xero in one call.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations_core import queue, registry
from integrations_core.models import Connection, ConnectionState, RemoteEvent

log = logging.getLogger(__name__)
PROVIDER = "xero"


def signature_is_valid(body: bytes, signature: str, key: str) -> bool:
    """True when `signature` is base64(HMAC-SHA256(key, body)); compared in constant time."""
    if not key or not signature:
        return False
    expected = base64.b64encode(hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


def _event_key(event: dict) -> str:
    parts = [str(event.get(k, "")) for k in ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc")]
    return hashlib.sha256("|".join(parts).upper().encode()).hexdigest()


def _empty(status: int) -> HttpResponse:
    response = HttpResponse(status=status)
    del response["Content-Type"]
    return response


@csrf_exempt
@require_POST
def receive(request):
    """The webhook endpoint. 401 and nothing recorded unless the signature verifies."""
    body = request.body
    if not signature_is_valid(body, request.headers.get("x-xero-signature", ""), settings.XERO_WEBHOOK_KEY):
        return _empty(401)
    try:
        events = json.loads(body).get("events", [])
    except (ValueError, AttributeError):
        return _empty(200)  # signed but not JSON: nothing we can act on, and Xero must not retry it
    new_ids = record_events(events)
    if new_ids:
        transaction.on_commit(lambda: queue.enqueue(process_events, new_ids, queue=queue.MAINTENANCE))
    return _empty(200)


def record_events(events: list[dict]) -> list[int]:
    """Store the invoice events not seen before; a redelivered event is ignored. Returns the new ids."""
    new_ids = []
    for event in events:
        if str(event.get("eventCategory", "")).upper() != "INVOICE" or not event.get("resourceId"):
            continue
        occurred = parse_datetime(str(event.get("eventDateUtc", ""))) if event.get("eventDateUtc") else None
        if occurred is not None and timezone.is_naive(occurred):
            occurred = timezone.make_aware(occurred, dt.timezone.utc)
        try:
            with transaction.atomic():
                row = RemoteEvent.objects.create(
                    provider=PROVIDER, key=_event_key(event), tenant_id=str(event.get("tenantId", "")),
                    category="INVOICE", event_type=str(event.get("eventType", "")).upper(),
                    resource_id=str(event["resourceId"]), occurred_at=occurred,
                )
        except IntegrityError:
            continue  # a replay: already recorded, acted on once
        new_ids.append(row.pk)
    return new_ids


def process_events(event_ids: list[int]) -> int:
    """The job: read the events' invoices back from Xero (one call per organisation) and apply what
    changed there. Returns how many events were processed."""
    from integrations_core.remote import remote_invoice_apply

    events = list(RemoteEvent.objects.filter(pk__in=event_ids, processed_at__isnull=True))
    by_tenant: dict[str, list[RemoteEvent]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, []).append(event)
    for tenant_id, tenant_events in by_tenant.items():
        connection = Connection.objects.filter(provider=PROVIDER, tenant_id=tenant_id,
                                               state=ConnectionState.CONNECTED).first()
        outcomes: dict[str, str] = {}
        if connection is not None:
            ids = sorted({e.resource_id for e in tenant_events})
            remotes = registry.hook().fetch_invoices(connection=connection, remote_ids=ids, modified_since=None) or []
            for remote in remotes:
                outcomes[remote.remote_id] = remote_invoice_apply(connection=connection, remote=remote)
        for event in tenant_events:
            event.outcome = outcomes.get(event.resource_id, "no connected organisation" if connection is None
                                         else "not found in Xero")
            event.processed_at = timezone.now()
            event.save(update_fields=["outcome", "processed_at"])
    return len(events)
