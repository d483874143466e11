"""The sync engine: one push through the plugin, its attempt record, its state transition, and the
retry policy (the one table from error category to what happens)."""

from __future__ import annotations

import dataclasses
import logging
import random
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection as db, transaction
from django.db.models import Q
from rq import get_current_job

from . import clock, live_batch, log_context, push_statements, queue, registry
from .changes import invoice_snapshot, locked_difference
from .credit_notes import credit_note_propose
from .errors import ClassifiedError, ErrorCategory, PushError
from .hookspecs import PushResult
from .models import (Connection, ConnectionState, Invoice, InvoiceSync, SyncAttempt, SyncState,
                     TriggerKind)
from .scrub import scrub

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Policy:
    state: str
    retry: str | None = None  # "backoff" | "retry_after"
    counts: bool = True  # counts as a failed attempt
    expire_connection: bool = False
    lock: bool = False  # the remote copy is locked: later triggers send nothing


POLICY: dict[ErrorCategory, Policy] = {
    ErrorCategory.AUTH_EXPIRED: Policy(SyncState.FAILED, expire_connection=True),
    ErrorCategory.NOT_CONNECTED: Policy(SyncState.FAILED),
    ErrorCategory.INVOICE_LOCKED: Policy(SyncState.LOCKED, lock=True),
    # The organisation's lock date, not the invoice: fixable in Xero, so never remote-locked.
    ErrorCategory.PERIOD_LOCKED: Policy(SyncState.FAILED),
    ErrorCategory.VOIDED_REMOTELY: Policy(SyncState.FAILED),
    ErrorCategory.DELETED_REMOTELY: Policy(SyncState.FAILED),
    ErrorCategory.TRANSIENT: Policy(SyncState.RETRYING, retry="backoff"),
    ErrorCategory.RATE_LIMITED: Policy(SyncState.RETRYING, retry="retry_after", counts=False),
    ErrorCategory.INVALID_ACCOUNT_OR_TAX: Policy(SyncState.FAILED),
    ErrorCategory.MISSING_GL_ACCOUNT: Policy(SyncState.FAILED),
    ErrorCategory.CONTACT_ARCHIVED: Policy(SyncState.FAILED),
    ErrorCategory.CURRENCY_NOT_ENABLED: Policy(SyncState.FAILED),
    ErrorCategory.VALIDATION: Policy(SyncState.FAILED),
    ErrorCategory.NOT_FOUND: Policy(SyncState.FAILED),
    ErrorCategory.UNKNOWN: Policy(SyncState.FAILED),
}


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with equal jitter: half the step fixed, half random, capped."""
    step = min(settings.INTEGRATIONS_RETRY_MAX_SECONDS, settings.INTEGRATIONS_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return step / 2 + random.uniform(0, step / 2)


def coalesce_delay(kind: str) -> float:
    """How long a push asked for by `kind` waits for more of the same (order updates come in bursts)."""
    if kind == TriggerKind.ORDER_UPDATED and settings.INTEGRATIONS_ASYNC_JOBS:
        return settings.INTEGRATIONS_COALESCE_SECONDS
    return 0.0


# A push job that raised (its database or Redis gone before the push's own handling) runs again after these.
PUSH_JOB_RETRIES = (5, 30, 120)


def connection_limit(connection: Connection) -> dict:
    """`queue.enqueue`'s options that hold a connection's jobs that call the remote (its pushes and its re-sync's
    turns) at the provider's concurrency, across every worker and machine (RQ's RateLimit); none without one."""
    info = registry.provider(connection.provider)
    if not info.concurrency:
        return {}
    return {"concurrency_key": f"connection-{connection.pk}", "concurrency": info.concurrency}


def enqueue_push(sync_id: int, connection: Connection, delay: float = 0) -> None:
    """Queue the push job of a sync, within the provider's concurrency limit per connection."""
    queue.enqueue(
        "integrations_core.jobs.push_sync",
        sync_id,
        queue=queue.PUSHES,
        delay=delay,
        **connection_limit(connection),
        keep_result=False,  # the push's outcome is its attempt row; RQ's copy would cost a write per push
        job_id=f"push-{sync_id}-{uuid.uuid4().hex[:16]}",  # the sweep tells from the id which syncs have a job
        retry=PUSH_JOB_RETRIES,
    )


def _syncs_with_jobs() -> set[int]:
    """The syncs that have a push job waiting, scheduled or running."""
    ids = set()
    for job_id in queue.waiting_job_ids(queue.PUSHES):
        parts = job_id.split("-")
        if len(parts) == 3 and parts[0] == "push" and parts[1].isdigit():
            ids.add(int(parts[1]))
    return ids


def sync_push(*, sync_id: int) -> str | None:
    """Run one push of a sync: claim it, push the invoice's current version, record the outcome.

    A job for a sync that is no longer queued or retrying (coalesced, resolved, already done) does
    nothing. A dropped database connection before the push or while recording its outcome is tried
    again on a new connection; the outcome is recorded only under the push's own claim.
    :return: the sync's new state, or None if there was nothing to do.
    """
    job = get_current_job()  # None in-process (`make run`)
    with log_context.bind(sync_id=sync_id, job_id=job.id if job is not None else None):
        return _push(sync_id)


def _push(sync_id: int) -> str | None:
    claimed = with_database_retry(lambda: _claim(sync_id))
    if claimed is None:
        log.info("push not claimed: the sync is not pushable now (coalesced, done, or its connection is not "
                 "connected)")
        return None
    sync, invoice, connection = claimed
    log_context.update(invoice_id=invoice.pk, connection_id=connection.pk, provider=connection.provider)
    log.info("push claimed", extra={"version": invoice.version, "trigger": sync.last_trigger, "claim": sync.claim,
                                    "attempts": sync.attempts})
    # Written once, with its outcome; a push cut short by a dead worker is recorded by the sweep.
    attempt = SyncAttempt(sync=sync, trigger=sync.last_trigger, version=invoice.version, started_at=sync.syncing_since)
    waiting = with_database_retry(lambda: live_batch.claim_waiting(
        sync=sync, invoice=invoice, connection=connection, coalescing=coalesce_delay(TriggerKind.ORDER_UPDATED)))
    if waiting:
        return _push_together(connection, sync, attempt, waiting)
    try:
        result = registry.hook().push_invoice(connection=connection, invoice=invoice, sync=sync)
        if result is None:
            raise RuntimeError(f"No plugin answered push_invoice for provider {connection.provider!r}.")
    except Exception as exc:  # every failure is classified and recorded; none escapes to the worker
        result = exc
    return _record_outcome(connection, sync, invoice, attempt, result)


def _push_together(connection: Connection, sync: InvoiceSync, attempt: SyncAttempt, waiting: dict[int, int]) -> str:
    """The job's push with the connection's waiting pushes it claimed (`waiting`: sync id -> claim), in one batch
    call (`live_batch`); each outcome recorded as a single push's. :return: the state of the job's own sync."""
    syncs = [sync, *with_database_retry(lambda: live_batch.load(waiting, connection))]
    attempts = [attempt, *(SyncAttempt(sync=s, trigger=s.last_trigger, version=s.invoice.version,
                                       started_at=s.syncing_since) for s in syncs[1:])]
    results = live_batch.push_together(connection=connection, syncs=syncs)
    states = [_record_outcome(connection, s, s.invoice, a, r) for s, a, r in zip(syncs, attempts, results)]
    return states[0]


def _record_outcome(connection: Connection, sync: InvoiceSync, invoice: Invoice, attempt: SyncAttempt,
                    result) -> str:
    """Record one push under its claim: `result` is its `PushResult`, the `ClassifiedError` a batch answered for
    it, or the exception it raised (classified by the plugin)."""
    if isinstance(result, PushResult):
        snapshot = invoice_snapshot(invoice)
        return with_database_retry(
            lambda: record_success(sync.id, attempt, result, invoice.version, snapshot=snapshot, claim=sync.claim))
    if isinstance(result, (OperationalError, InterfaceError)):
        # Our database went away under the plugin (it reads links, records parts): a retry is safe, as every push
        # is idempotent; it is not the remote's refusal.
        db.close()
        error = ClassifiedError.of(ErrorCategory.TRANSIENT, registry.provider(connection.provider).name,
                                   detail=f"the database connection was lost during the push ({type(result).__name__})")
    elif isinstance(result, ClassifiedError):
        error = result
    else:
        error = classify(connection, result if isinstance(result, BaseException) else RuntimeError(
            f"push_invoices of {connection.provider!r} answered {result!r}"))
    return with_database_retry(lambda: record_failure(sync.id, attempt, error, invoice.version, claim=sync.claim))


def with_database_retry(step, tries: int = 5):
    """Run `step`, again on a new database connection when the one it had was dropped (a failover, a
    restart, an idle timeout), backing off up to about 8 s in all; then let the error go to the job's retry."""
    for attempt in range(tries):
        try:
            return step()
        except (OperationalError, InterfaceError):
            if attempt == tries - 1 or db.in_atomic_block:
                raise
            log.warning("database connection lost; trying again on a new one", exc_info=True)
            db.close()
            time.sleep(0.5 * 2 ** attempt)


def _claim(sync_id: int):
    now = clock.now()
    claimed = push_statements.claim(sync_id, now)
    if claimed is None:
        _record_unpushable(sync_id)
        return None
    sync, invoice, connection = claimed
    if sync.requested_version and sync.requested_version > invoice.version:
        # The claim waited for a trigger's transaction to free the row, and read the invoice as it was
        # before that transaction: read it again, as now committed.
        invoice = push_statements.load_invoice(invoice.pk)
        sync.invoice = invoice
    return sync, invoice, connection


def _record_unpushable(sync_id: int) -> None:
    """A job found its sync not pushable: say why on the sync if a person needs to know, and put a retry
    that came before its time (the scheduler's clock ahead of the database's) back until it is due."""
    if not InvoiceSync.objects.filter(pk=sync_id, state__in=(SyncState.QUEUED, SyncState.RETRYING)).exists():
        return  # most often taken along by a live batch of its connection: nothing to say, nothing to lock
    with transaction.atomic():
        sync = InvoiceSync.objects.select_for_update(of=("self",)).select_related("connection").filter(pk=sync_id).first()
        if sync is None or sync.state not in (SyncState.QUEUED, SyncState.RETRYING):
            return  # coalesced into another push, resolved, or already done
        connection = sync.connection
        if connection.state != ConnectionState.CONNECTED:
            record_missed(connection=connection, sync_ids=[sync.id])  # it waits in the backlog
        elif sync.remote_locked:
            record_locked(sync, sync.last_trigger)
        elif sync.state == SyncState.RETRYING and sync.next_retry_at is not None:
            delay = max(0.0, (sync.next_retry_at - clock.now()).total_seconds())
            transaction.on_commit(lambda: enqueue_push(sync_id, connection, delay=delay))


def classify(connection: Connection, exc: BaseException) -> ClassifiedError:
    """The plugin's reading of a failure; `unknown` if the plugin has none or its classifier fails."""
    if isinstance(exc, PushError):
        return exc.classified
    name = registry.provider(connection.provider).name
    try:
        error = registry.hook().classify_error(connection=connection, error=exc)
    except Exception:  # a classifier must never raise; if it does, keep the original failure
        log.exception("classify_error raised for provider %s", connection.provider)
        error = None
    return error or ClassifiedError.of(ErrorCategory.UNKNOWN, name, raw=scrub(repr(exc)))


def _apply_error(sync: InvoiceSync, error: ClassifiedError, state: str) -> None:
    sync.state = state
    sync.error_category = error.category.value
    sync.error_message = error.message[:1000]
    sync.error_fix = error.fix[:1000]
    sync.syncing_since = None


def _close_attempt(attempt: SyncAttempt, **fields) -> None:
    for key, value in fields.items():
        setattr(attempt, key, value)
    attempt.finished_at = max(clock.now(), attempt.started_at)


def _finish_attempt(attempt: SyncAttempt, **fields) -> None:
    """Record the attempt (unsaved until now: every push writes its attempt once, with its outcome)."""
    _close_attempt(attempt, **fields)
    attempt.save(force_insert=True)


def record_success(
    sync_id: int, attempt: SyncAttempt, result: PushResult, version: int, snapshot: dict | None = None, *,
    claim: int,
) -> str:
    """Record a successful push of `version`, made under `claim` (the sync's claim count when it was taken).

    The attempt is always written. The sync becomes `synced` only if it is still `syncing` under that claim,
    no trigger asked for another push meanwhile and it was not locked remotely meanwhile; otherwise what the
    remote now holds (its id, this version) is kept and the sync's state is left to whoever changed it.
    `snapshot` (from `changes.invoice_snapshot`) is what the remote now holds. :return: the sync's state.
    """
    outcome = dict(outcome=SyncAttempt.Outcome.SUCCEEDED, http_status=result.http_status,
                   remote_request_id=result.request_id[:100])
    fields = _success_fields(result, version, snapshot)
    # The common success: the attempt written and the sync synced if still ours and unchanged, at once.
    _close_attempt(attempt, **outcome)
    if push_statements.record_success(sync_id, attempt, fields, version, claim):
        _log_outcome(sync_id, attempt, SyncState.SYNCED)
        return SyncState.SYNCED
    with transaction.atomic():
        state = _record_success_locked(sync_id, result, version, snapshot, claim)
    _log_outcome(sync_id, attempt, state)
    return state


@dataclasses.dataclass(frozen=True)
class Success:
    """One push of a batch that succeeded, for `record_successes`: as `record_success`'s arguments."""

    sync_id: int
    attempt: SyncAttempt  # unsaved: written with its outcome
    result: PushResult
    version: int
    snapshot: dict
    claim: int


def record_successes(successes: list[Success]) -> list[str]:
    """`record_success` for many pushes (a re-sync's chunk), in a few statements whatever their number: the syncs
    still `syncing` under their claims (locked meanwhile, and checked as `record_success` checks one) are set synced
    in one batch of updates and their attempts written in one insert; any other goes through `record_success` on its
    own. :return: each sync's state, in order."""
    if not successes:
        return []
    with transaction.atomic():
        rows = {row["pk"]: row for row in InvoiceSync.objects.select_for_update().filter(
            pk__in=[s.sync_id for s in successes]).values("pk", "claim", "state", "repush", "remote_locked",
                                                          "synced_version", "remote_id")}
        together, alone = [], []
        for success in successes:
            row = rows.get(success.sync_id)
            ours = (row is not None and row["claim"] == success.claim and row["state"] == SyncState.SYNCING
                    and not row["repush"] and not row["remote_locked"]
                    and (row["synced_version"] or 0) <= success.version)
            (together if ours else alone).append(success)
        synced, written = [], []
        for success in together:
            fields = _success_fields(success.result, success.version, success.snapshot or {})
            fields.setdefault("remote_id", rows[success.sync_id]["remote_id"])  # one list of fields for them all
            synced.append((success.sync_id, fields))
            outcome = dict(outcome=SyncAttempt.Outcome.SUCCEEDED, http_status=success.result.http_status,
                           remote_request_id=success.result.request_id[:100])
            _close_attempt(success.attempt, **outcome)
            written.append(success.attempt)
        push_statements.update_each(InvoiceSync, synced)
        SyncAttempt.objects.bulk_create(written)
        states = {s.sync_id: SyncState.SYNCED for s in together}
        for success in alone:
            states[success.sync_id] = record_success(success.sync_id, success.attempt, success.result,
                                                     success.version, snapshot=success.snapshot, claim=success.claim)
    for success in together:
        _log_outcome(success.sync_id, success.attempt, SyncState.SYNCED)
    return [states[s.sync_id] for s in successes]


def _log_outcome(sync_id: int, attempt: SyncAttempt, state: str, sync: InvoiceSync | None = None) -> None:
    """The push's last line: its outcome, the sync's state after it, and the ids that find it (passed here as
    well as bound, as the manual re-sync records outcomes outside a bound push)."""
    if sync is None and SyncAttempt.sync.is_cached(attempt):
        sync = attempt.sync
    ids = {"sync_id": sync_id, "attempt_id": attempt.pk}
    if sync is not None:
        ids.update(invoice_id=sync.invoice_id, connection_id=sync.connection_id)
        if InvoiceSync.connection.is_cached(sync):
            ids["provider"] = sync.connection.provider
    duration = ((attempt.finished_at - attempt.started_at).total_seconds() * 1000
                if attempt.finished_at and attempt.started_at else None)
    failed = attempt.outcome == SyncAttempt.Outcome.FAILED
    log.log(logging.WARNING if failed else logging.INFO, "push failed" if failed else "push succeeded", extra={
        **ids, "state": state, "outcome": attempt.outcome, "category": attempt.error_category or None,
        "http_status": attempt.http_status, "request_id": attempt.remote_request_id or None,
        "version": attempt.version, "duration_ms": round(duration, 1) if duration is not None else None,
        "error": attempt.error_message or None,
    })


def _success_fields(result: PushResult, version: int, snapshot: dict | None) -> dict:
    """The sync's fields after a success, set unless a later trigger asked for another push (`repush`)
    or a newer version is synced already."""
    now = clock.now()
    fields = dict(synced_version=version, synced_at=now, remote_status=result.remote_status,
                  remote_locked=result.locked, state=SyncState.SYNCED, error_category="", error_message="",
                  error_fix="", attempts=0, next_retry_at=None, syncing_since=None, updated_at=now)
    if result.remote_id:
        fields["remote_id"] = result.remote_id
    if snapshot is not None:
        fields.update(synced_snapshot=snapshot, locked_changes={})
    return fields


_REMOTE_FACTS = ("synced_snapshot", "locked_changes", "synced_version", "synced_at", "remote_id", "remote_status",
                 "remote_locked")


def _record_success_locked(sync_id: int, result: PushResult, version: int, snapshot: dict | None, claim: int) -> str:
    """The sync changed while the push was in flight (a trigger asked again, remote news locked it, the
    sweep or another push took it, or a newer version is synced already): under the lock, keep what the
    remote now holds without undoing what changed meanwhile."""
    sync = InvoiceSync.objects.select_for_update(of=("self",)).select_related("connection").get(pk=sync_id)
    fields = _success_fields(result, version, snapshot)
    facts = {} if (sync.synced_version or 0) > version else {k: fields[k] for k in _REMOTE_FACTS if k in fields}
    locked_meanwhile = sync.remote_locked or sync.state == SyncState.LOCKED
    if locked_meanwhile:  # the remote's news (paid there) is newer than this push's answer
        for name in ("remote_status", "remote_locked"):
            facts.pop(name, None)
    for name, value in facts.items():
        setattr(sync, name, value)
    if result.remote_id and not sync.remote_id:
        sync.remote_id = result.remote_id  # the next push sends it, even if this one's outcome is not ours to set
    if locked_meanwhile and "synced_snapshot" in facts:
        _keep_locked_changes(sync)  # what changed here since the copy just pushed, the one now locked
    ours = sync.claim == claim
    if ours and locked_meanwhile:
        if sync.state == SyncState.SYNCING:
            record_locked(sync, sync.last_trigger)
            return sync.state
        sync.syncing_since, sync.repush = None, False
    elif ours and sync.state == SyncState.SYNCING:
        for name, value in fields.items():
            if name not in _REMOTE_FACTS:
                setattr(sync, name, value)
        _requeue_if_asked(sync)
    sync.save()
    return sync.state


def record_failure(sync_id: int, attempt: SyncAttempt, error: ClassifiedError, version: int, *, claim: int,
                   requeue: bool = True) -> str:
    """Record a failed push made under `claim` and apply the policy of its category (retry, fail, lock,
    expire). The attempt is always written; the sync is changed only if it is still `syncing` under
    that claim (remote news, the sweep or another push that changed it meanwhile are kept).
    `requeue=False`: a retry is due but its caller pushes it (a re-sync run takes back what the budget refused),
    so no push job is queued for it."""
    sync = _record_failure(sync_id, attempt, error, claim, requeue)
    _log_outcome(sync_id, attempt, sync.state, sync)
    return sync.state


def _record_failure(sync_id: int, attempt: SyncAttempt, error: ClassifiedError, claim: int,
                    requeue: bool = True) -> InvoiceSync:
    policy = POLICY[error.category]
    delay = None
    with transaction.atomic():
        sync = InvoiceSync.objects.select_for_update(of=("self",)).select_related("connection").get(pk=sync_id)
        _finish_attempt(
            attempt,
            outcome=SyncAttempt.Outcome.FAILED,
            http_status=error.http_status,
            remote_request_id=error.request_id[:100],
            error_category=error.category.value,
            error_message=error.message[:1000],
            raw_error=scrub(error.raw),
        )
        if sync.claim != claim or sync.state != SyncState.SYNCING:
            if policy.expire_connection:
                connection_expire(connection=sync.connection, reason=error.message)
            return sync
        if policy.counts:
            sync.attempts += 1
        state = policy.state
        if policy.retry == "backoff":
            if sync.attempts >= settings.INTEGRATIONS_MAX_ATTEMPTS:
                state = SyncState.FAILED
                error = _retries_exhausted(error, sync)
            else:
                delay = backoff_seconds(sync.attempts)
        elif policy.retry == "retry_after":
            delay = error.retry_after if error.retry_after is not None else 60.0
        _apply_error(sync, error, state)
        sync.next_retry_at = clock.now() + timedelta(seconds=delay) if delay is not None else None
        if policy.lock:
            sync.remote_locked = True
            _keep_locked_changes(sync)
        if policy.expire_connection:
            connection_expire(connection=sync.connection, reason=error.message)
        if state in (SyncState.FAILED,) and not policy.expire_connection:
            _requeue_if_asked(sync)  # a newer version arrived meanwhile: it may fix the cause
        else:
            sync.repush = False  # a retry pushes the latest version anyway; locked/expired push nothing
        sync.save()
        if delay is not None and sync.state == SyncState.RETRYING and requeue:
            connection = sync.connection
            transaction.on_commit(lambda: enqueue_push(sync.id, connection, delay=delay))
    return sync


def _retries_exhausted(error: ClassifiedError, sync: InvoiceSync) -> ClassifiedError:
    """The last automatic retry failed: nothing will try again by itself, so the fix says what a person does."""
    info = registry.provider(sync.connection.provider)
    how = info.manual_resync or "Resync"
    fix = (f"Often a temporary timeout or backend delay, but it failed {sync.attempts} times in a row and will "
           f"not retry by itself again. Once {info.name} answers, re-sync the invoice ({how}). If it still "
           f"fails, contact {settings.INTEGRATIONS_PLATFORM_NAME} Support with this invoice number.")
    return dataclasses.replace(error, fix=fix)


def _requeue_if_asked(sync: InvoiceSync) -> None:
    if sync.repush:
        sync.repush = False
        sync.state = SyncState.QUEUED
        sync.queued_at = clock.now()
        connection, delay = sync.connection, coalesce_delay(sync.last_trigger)
        transaction.on_commit(lambda: enqueue_push(sync.id, connection, delay=delay))


def record_locked(sync: InvoiceSync, kind: str) -> None:
    """The remote copy is paid and locked: record the trigger on the sync as `locked`, send nothing, and
    keep what changed since the locked copy (line by line) with the adjustment to make remotely."""
    error = ClassifiedError.of(ErrorCategory.INVOICE_LOCKED, registry.provider(sync.connection.provider).name)
    _apply_error(sync, error, SyncState.LOCKED)
    _keep_locked_changes(sync)
    sync.last_trigger = kind or sync.last_trigger
    sync.repush = False
    sync.next_retry_at = None
    sync.save()


def _keep_locked_changes(sync: InvoiceSync) -> None:
    """Keep what changed here since the copy the remote locked; a lower total proposes a credit note."""
    if sync.synced_snapshot:
        invoice = Invoice.objects.prefetch_related("lines").get(pk=sync.invoice_id)
        name = registry.provider(sync.connection.provider).name
        sync.locked_changes = locked_difference(sync.synced_snapshot, invoice, name)
        if sync.locked_changes:
            credit_note_propose(sync=sync)


def connection_expire(*, connection: Connection, reason: str) -> None:
    """Mark a connection expired, with when and why. Its later pushes fail without a remote call, and the
    pushes it still had waiting are recorded as missed (its backlog)."""
    Connection.objects.filter(pk=connection.pk, state=ConnectionState.CONNECTED).update(
        state=ConnectionState.EXPIRED, expired_at=clock.now(), expiry_reason=reason[:500], updated_at=clock.now()
    )
    connection.refresh_from_db(fields=["state", "expired_at", "expiry_reason"])
    record_missed(connection=connection)


def connection_failed(*, connection: Connection, error: ClassifiedError) -> None:
    """Apply what the remote answered outside a push (a read-back, a credit note, a settings read): an
    `auth_expired` answer expires the connection, as the policy does for a push."""
    if error.category == ErrorCategory.AUTH_EXPIRED:
        connection_expire(connection=connection, reason=error.message)


def record_missed(*, connection: Connection, sync_ids: list[int] | None = None) -> int:
    """Record the syncs of a connection that cannot push (expired, disconnected) as failed with why, so that
    they are its backlog when it is back: the given ones, or every one still waiting to be pushed.
    :return: how many were recorded."""
    if connection.is_connected:
        return 0
    category = (ErrorCategory.AUTH_EXPIRED if connection.state == ConnectionState.EXPIRED
                else ErrorCategory.NOT_CONNECTED)
    error = ClassifiedError.of(category, registry.provider(connection.provider).name)
    syncs = InvoiceSync.objects.filter(connection=connection)
    syncs = syncs.filter(pk__in=sync_ids) if sync_ids is not None else syncs.filter(
        state__in=(SyncState.QUEUED, SyncState.RETRYING))
    return syncs.update(state=SyncState.FAILED, error_category=error.category.value, error_message=error.message,
                        error_fix=error.fix, next_retry_at=None, repush=False, updated_at=clock.now())


def _record_interrupted(sync: InvoiceSync, after: float) -> None:
    """Record the push of a sync whose worker died: the engine writes its attempts only with their outcome (a single
    push's and a re-sync's alike), so a new one says so; an attempt left open (written before its call by an
    earlier release's re-sync) is closed instead."""
    outcome = dict(finished_at=clock.now(), outcome=SyncAttempt.Outcome.FAILED,
                   error_message=f"No outcome within {after:g} s (the worker stopped or hung): queued again.")
    if not SyncAttempt.objects.filter(sync=sync, finished_at__isnull=True).update(**outcome):
        SyncAttempt.objects.create(sync=sync, trigger=sync.last_trigger, version=sync.invoice.version,
                                   started_at=sync.syncing_since, **outcome)


def queued_too_long(sync: InvoiceSync, threshold) -> bool:
    """Whether a `queued` sync was queued at or before `threshold`: long enough that its job may be gone."""
    return (sync.queued_at or sync.updated_at) <= threshold


def queued_threshold(now, after: float | None = None):
    """The time before which a `queued` sync has waited too long (`INTEGRATIONS_QUEUED_STALE_SECONDS`)."""
    return now - timedelta(seconds=settings.INTEGRATIONS_QUEUED_STALE_SECONDS if after is None else after)


def _still_stuck(sync: InvoiceSync, threshold, stale) -> bool:
    if sync.state == SyncState.SYNCING:
        return sync.syncing_since is not None and sync.syncing_since <= threshold
    if sync.state == SyncState.RETRYING:
        return sync.next_retry_at is not None and sync.next_retry_at <= threshold
    if sync.state == SyncState.QUEUED:
        return queued_too_long(sync, stale)
    return False


def sync_sweep(*, stuck_after: float | None = None, queued_after: float | None = None) -> int:
    """Find again, from the database, every sync that should be pushed and has nothing that will push it:
    `syncing` too long (its worker died mid-push), `retrying` long past its time (its scheduled retry was
    lost), or `queued` for a while with no job left in RQ (Redis lost its data, a job was dropped).
    Each is queued again; the claim keeps it to one push in flight. :return: how many were queued."""
    after = settings.INTEGRATIONS_STUCK_AFTER_SECONDS if stuck_after is None else stuck_after
    now = clock.now()
    threshold = now - timedelta(seconds=after)
    stale = queued_threshold(now, queued_after)
    stuck = list(InvoiceSync.objects.filter(
        Q(state=SyncState.SYNCING, syncing_since__lte=threshold)
        | Q(state=SyncState.RETRYING, next_retry_at__lte=threshold)
    ).values_list("pk", flat=True))
    waiting = list(InvoiceSync.objects.filter(
        Q(queued_at__lte=stale) | Q(queued_at__isnull=True, updated_at__lte=stale),
        state=SyncState.QUEUED,
    ).values_list("pk", flat=True))
    if waiting:
        with_jobs = _syncs_with_jobs()
        stuck += [pk for pk in waiting if pk not in with_jobs]
    count = 0
    for sync_id in stuck:
        with transaction.atomic():
            sync = (InvoiceSync.objects.select_for_update(of=("self",)).select_related("connection", "invoice")
                    .get(pk=sync_id))
            if not _still_stuck(sync, threshold, stale):
                continue  # pushed, retried or queued again meanwhile
            if not sync.connection.is_connected:  # nothing can push it: it waits in the backlog
                if sync.state == SyncState.SYNCING:
                    _record_interrupted(sync, after)
                record_missed(connection=sync.connection, sync_ids=[sync.id])
                continue
            if sync.state == SyncState.SYNCING:
                _record_interrupted(sync, after)
            sync.state = SyncState.QUEUED
            sync.queued_at = clock.now()
            sync.syncing_since = None
            sync.next_retry_at = None
            sync.last_trigger = TriggerKind.SWEEP
            sync.save(update_fields=["state", "queued_at", "syncing_since", "next_retry_at", "last_trigger",
                                     "updated_at"])
            connection = sync.connection
            transaction.on_commit(lambda s=sync.id, c=connection: enqueue_push(s, c))
            count += 1
    if count:
        log.warning("sweep queued %d stuck syncs again", count)
    return count
