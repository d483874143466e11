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
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from integrations_core import plugin_api
from integrations_core.models import RemoteEvent

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


class NotXeroShape(ValueError):
    """A signed body that is not Xero's webhook payload (XERO.md section 8)."""


# Each event's fields, checked before anything is stored: (required, longest), the lengths RemoteEvent holds.
EVENT_FIELDS = {"resourceId": (True, 64), "tenantId": (True, 64), "eventCategory": (True, 32),
                "eventType": (True, 32), "eventDateUtc": (False, 64), "resourceUrl": (False, 2048),
                "tenantType": (False, 32)}
PAYLOAD_MAX_DEPTH = 5  # {"events": [{"data": {...}}]}: Xero's deepest is 3


def parse_payload(body: bytes) -> list[dict]:
    """The events of a signed body, or `NotXeroShape` (with what is wrong) for anything else: not JSON, not
    an object, `events` missing or not a list, an event not an object or missing a field Xero always sends,
    a field of the wrong type, too long, or a date that is not one."""
    try:
        payload = plugin_api.loads(body, depth=PAYLOAD_MAX_DEPTH)
    except ValueError as exc:
        raise NotXeroShape(f"The body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise NotXeroShape("The body must be a JSON object.")
    events = payload.get("events")
    if not isinstance(events, list):
        raise NotXeroShape("`events` must be a list.")
    for name in ("firstEventSequence", "lastEventSequence"):
        if name in payload and (not isinstance(payload[name], int) or isinstance(payload[name], bool)):
            raise NotXeroShape(f"`{name}` must be a whole number.")
    if "entropy" in payload and not isinstance(payload["entropy"], str):
        raise NotXeroShape("`entropy` must be a string.")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise NotXeroShape(f"events[{index}] must be an object.")
        for name, (required, longest) in EVENT_FIELDS.items():
            value = event.get(name)
            if value is None and not required:
                continue
            if not isinstance(value, str) or (required and not value.strip()):
                raise NotXeroShape(f"events[{index}].{name} must be a non-empty string.")
            if len(value) > longest:
                raise NotXeroShape(f"events[{index}].{name} is longer than {longest} characters.")
            if not (value.isascii() and value.isprintable()):  # ids, words, a URL: no NUL for the database
                raise NotXeroShape(f"events[{index}].{name} must be printable ASCII.")
        if event.get("eventDateUtc"):
            try:
                parsed = parse_datetime(event["eventDateUtc"])
            except ValueError:
                parsed = None
            if parsed is None:
                raise NotXeroShape(f"events[{index}].eventDateUtc is not a date and time.")
        if "data" in event and not isinstance(event["data"], dict):
            raise NotXeroShape(f"events[{index}].data must be an object.")
    return events


def _refused(status: int, code: str, message: str) -> JsonResponse:
    """Not Xero's 200-with-no-body: the API's error shape, so that the sender sees what was wrong."""
    return JsonResponse(plugin_api.error_body(code, message), status=status)


@csrf_exempt
@require_POST
def receive(request):
    """The webhook endpoint. 401 and nothing recorded unless the signature verifies; a signed body that is
    not Xero's payload is a 400 and nothing recorded; a body over DATA_UPLOAD_MAX_MEMORY_SIZE a 413."""
    try:
        body = request.body
    except RequestDataTooBig:
        return _refused(413, "request_too_large", f"The request body is larger than the limit of "
                                                  f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    if not signature_is_valid(body, request.headers.get("x-xero-signature", ""), settings.XERO_WEBHOOK_KEY):
        return _empty(401)
    try:
        events = parse_payload(body)
    except NotXeroShape as exc:
        log.warning("a signed Xero webhook that is not Xero's payload was refused: %s", exc)
        return _refused(400, "invalid_input", str(exc))
    new_ids = record_events(events)
    if new_ids:
        transaction.on_commit(lambda: _enqueue(new_ids))
    return _empty(200)


# A read-back that failed (Xero down, a 5xx, a timeout) is tried again after these waits, then by events_retry.
READ_BACK_RETRIES = (10, 30, 60, 300, 900)
RETRY_BATCH = 50  # events per job queued again: one organisation's read-back stays one call
RETRY_AT_MOST = 5000


def _enqueue(event_ids: list[int]) -> None:
    plugin_api.enqueue(process_events, event_ids, queue=plugin_api.MAINTENANCE, retry=READ_BACK_RETRIES)


class ReadBackFailed(Exception):
    """Xero could not be asked about some events' invoices: the job raises so that RQ runs it again."""


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
    changed there to every connected connection of that organisation. An organisation whose read-back
    failed (Xero down, a 5xx, a timeout) keeps its events unprocessed and the job raises once the others
    are applied, so RQ tries them again. Returns how many events were processed."""
    events = list(RemoteEvent.objects.filter(pk__in=event_ids, processed_at__isnull=True))
    by_tenant: dict[str, list[RemoteEvent]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, []).append(event)
    processed, failed = 0, 0
    for tenant_id, tenant_events in by_tenant.items():
        try:
            _process_tenant(tenant_id, tenant_events)
        except Exception:
            log.warning("applying %d invoice events of tenant %s failed", len(tenant_events), tenant_id,
                        exc_info=True)
            failed += len(tenant_events)
        else:
            processed += len(tenant_events)
    if failed:
        raise ReadBackFailed(f"{failed} webhook events could not be read back from Xero and applied; "
                             "they will be retried.")
    return processed


def _process_tenant(tenant_id: str, events: list[RemoteEvent]) -> None:
    """One organisation's events: handed to the engine (one read-back, applied to each of its connections), then
    marked processed. Raises (nothing marked) when the read-back fails; applying again is harmless."""
    outcomes = plugin_api.remote_news(provider=PROVIDER, tenant_id=tenant_id,
                                      remote_ids=sorted({e.resource_id for e in events}))
    now = timezone.now()
    for event in events:
        event.outcome, event.processed_at = outcomes[event.resource_id], now
    RemoteEvent.objects.bulk_update(events, ["outcome", "processed_at"])


def events_retry(older_than_seconds: float = 300) -> int:
    """Queue again the invoice events left unprocessed longer than the bound (their job's retries ran out,
    or the job was lost with Redis), except those a waiting job (queued, running or due to retry) will
    process anyway. The periodic job. :return: how many were queued."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    waiting = _events_of_waiting_jobs()
    ids = [pk for pk in RemoteEvent.objects.filter(provider=PROVIDER, processed_at__isnull=True,
                                                   received_at__lte=cutoff)
           .order_by("received_at").values_list("pk", flat=True)[:RETRY_AT_MOST] if pk not in waiting]
    for start in range(0, len(ids), RETRY_BATCH):
        _enqueue(ids[start:start + RETRY_BATCH])
    return len(ids)


def _events_of_waiting_jobs() -> set[int]:
    name = f"{process_events.__module__}.{process_events.__name__}"
    return {pk for job in plugin_api.waiting_jobs(plugin_api.MAINTENANCE) if job.func_name == name
            for pk in job.args[0]}
