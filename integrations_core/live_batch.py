"""Live pushes taken together: when a push job claims its sync and other syncs of the same connection are waiting
and due, it claims up to `ProviderInfo.batch_size - 1` of them too and pushes them all in one
`push_invoices(live=True)` call, for a provider that has the batch path. So an organisation whose changes outrun
its minute budget has its waiting pushes go up to 50 to a call instead of one call each; their own jobs then find
them not claimable and do nothing.

The engine (`sync._push`) records each outcome under its own claim, exactly as a single push's. Left out of a
batch: a void invoice (the batch path upserts; only `push_invoice` voids) and an order update still within its
coalescing wait (its burst may not be over). The claim, like the push's own, is one statement on PostgreSQL
(`FOR UPDATE SKIP LOCKED`, so two workers never take the same sync) and its ORM twin elsewhere.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cache

from django.db import connection as db
from django.db.models import F, Prefetch, Q

from . import clock, push_statements, registry
from .models import Connection, Invoice, InvoiceLine, InvoiceStatus, InvoiceSync, SyncState, TriggerKind

log = logging.getLogger(__name__)


def batch_limit(connection: Connection) -> int:
    """How many other waiting pushes a live push of `connection` may take with it: none without a batch path."""
    info = registry.provider(connection.provider)
    if info.batch_size <= 1 or not registry.implements(connection.provider, "push_invoices"):
        return 0
    return info.batch_size - 1


def claim_waiting(*, sync: InvoiceSync, invoice: Invoice, connection: Connection,
                  coalescing: float) -> dict[int, int]:
    """Claim, beside the job's own `sync` (just claimed), the connection's other syncs that are waiting and due now:
    queued (an order update only once `coalescing` seconds have passed) or retrying and due; not remote-locked, not
    void. At most `batch_limit`; none when the job's own invoice is void (it goes alone, through `push_invoice`).
    Each claim count goes up by one, as the push's own claim does. Nothing is looked for when the claim found no
    other sync of the connection waiting (`sync.others_waiting`). :return: sync id -> its claim."""
    limit = 0 if invoice.status == InvoiceStatus.VOID or not sync.others_waiting else batch_limit(connection)
    if not limit:
        return {}
    now = clock.now()
    settled = now - timedelta(seconds=coalescing)
    claim = claim_by_statement if push_statements.available() else claim_through_orm
    return claim(connection.pk, sync.pk, now, settled, limit)


def _q(name: str) -> str:
    return db.ops.quote_name(name)


def _due_sql(alias: str = "") -> str:
    """`_due` in SQL; its parameters are `_due_params`."""
    state, queued_at = f"{alias}{_q('state')}", f"{alias}{_q('queued_at')}"
    retry_at = f"{alias}{_q('next_retry_at')}"
    return (f"({state} = %s AND NOT ({alias}{_q('last_trigger')} = %s AND {queued_at} > %s "
            f"AND {queued_at} IS NOT NULL) OR {state} = %s AND ({retry_at} IS NULL OR {retry_at} <= %s)) "
            f"AND NOT {alias}{_q('remote_locked')}")


def _due_params(now, settled) -> list:
    return [SyncState.QUEUED, TriggerKind.ORDER_UPDATED, settled, SyncState.RETRYING, now]


@cache
def _claim_sql() -> str:
    sync, invoice = _q(InvoiceSync._meta.db_table), _q(Invoice._meta.db_table)
    # The rows are picked once, in a CTE: as `IN (subquery)` PostgreSQL may scan the subquery again for each row
    # it updates, and each scan, skipping the rows this statement has just updated, would take `limit` more. They are
    # updated by their ids (`= ANY(ARRAY(...))`, one index look-up each): joined to the CTE, the planner may read
    # every waiting sync of every connection to find them. The conditions again on the updated rows themselves:
    # PostgreSQL checks them on the row version it locks.
    return (
        f"WITH picked AS MATERIALIZED (SELECT s.{_q('id')} FROM {sync} s "
        f"JOIN {invoice} i ON i.{_q('id')} = s.{_q('invoice_id')} "
        f"WHERE s.{_q('connection_id')} = %s AND s.{_q('id')} <> %s AND i.{_q('status')} <> %s AND {_due_sql('s.')} "
        f"ORDER BY s.{_q('id')} LIMIT %s FOR UPDATE OF s SKIP LOCKED) "
        f"UPDATE {sync} SET {_q('state')} = %s, {_q('syncing_since')} = %s, {_q('repush')} = false, "
        f"{_q('claim')} = {_q('claim')} + 1, {_q('updated_at')} = %s "
        f"WHERE {sync}.{_q('id')} = ANY(ARRAY(SELECT {_q('id')} FROM picked)) AND {_due_sql(sync + '.')} "
        f"RETURNING {sync}.{_q('id')}, {sync}.{_q('claim')}"
    )


def claim_by_statement(connection_id: int, sync_id: int, now, settled, limit: int) -> dict[int, int]:
    """`claim_waiting`'s claim in one statement (PostgreSQL): rows another worker is claiming are skipped."""
    with db.cursor() as cursor:
        cursor.execute(_claim_sql(), [connection_id, sync_id, InvoiceStatus.VOID, *_due_params(now, settled), limit,
                                      SyncState.SYNCING, now, now, *_due_params(now, settled)])
        return dict(cursor.fetchall())


def _due(now, settled) -> Q:
    """A sync a push may take with it: claimable (`push_statements`), and no order update still coalescing."""
    coalescing = Q(state=SyncState.QUEUED, last_trigger=TriggerKind.ORDER_UPDATED, queued_at__gt=settled)
    return push_statements._claimable(now) & ~coalescing


def claim_through_orm(connection_id: int, sync_id: int, now, settled, limit: int) -> dict[int, int]:
    """`claim_by_statement` through the ORM (SQLite, which has no SKIP LOCKED): each candidate taken by an update
    whose conditions are on the row itself, so that of two racing workers one takes it."""
    candidates = list(InvoiceSync.objects.filter(_due(now, settled), connection_id=connection_id)
                      .exclude(pk=sync_id).exclude(invoice__status=InvoiceStatus.VOID)
                      .order_by("pk").values_list("pk", flat=True)[:limit])
    taken = [pk for pk in candidates if InvoiceSync.objects.filter(_due(now, settled), pk=pk).update(
        state=SyncState.SYNCING, syncing_since=now, repush=False, claim=F("claim") + 1, updated_at=now)]
    return dict(InvoiceSync.objects.filter(pk__in=taken).values_list("pk", "claim"))


def load(claims: dict[int, int], connection: Connection) -> list[InvoiceSync]:
    """The claimed syncs, each with its claim, its connection and its invoice read as a push reads it (customer,
    lines, products), committed after the claim; in a few queries whatever their count."""
    syncs = list(InvoiceSync.objects.filter(pk__in=list(claims)).order_by("pk"))
    lines = Prefetch("lines", queryset=InvoiceLine.objects.select_related("product"))
    invoices = Invoice.objects.select_related("customer").prefetch_related(lines).in_bulk(
        [s.invoice_id for s in syncs])
    for sync in syncs:
        sync.claim, sync.connection, sync.invoice = claims[sync.pk], connection, invoices[sync.invoice_id]
    return syncs


def push_together(*, connection: Connection, syncs: list[InvoiceSync]) -> list:
    """Push the syncs' invoices (at the versions just read) in one `push_invoices(live=True)` call; one voided since
    its claim goes alone through `push_invoice`. :return: one entry per sync, in order: its `PushResult`, the
    `ClassifiedError` the batch answered for it, or the exception its push raised (the whole call's, for each)."""
    together = [s for s in syncs if s.invoice.status != InvoiceStatus.VOID]
    log.info("pushes claimed together", extra={"count": len(syncs), "sync_ids": [s.pk for s in syncs]})
    try:
        answer = registry.hook().push_invoices(connection=connection, invoices=[s.invoice for s in together],
                                               syncs=together, live=True)
        if answer is None or len(answer) != len(together):
            raise RuntimeError(f"push_invoices of {connection.provider!r} did not answer once per invoice.")
    except Exception as exc:  # the whole call failed (network, auth, budget): each push gets its reason
        answer = [exc] * len(together)
    results = dict(zip((s.pk for s in together), answer))
    return [results[s.pk] if s.pk in results else _push_alone(connection, s) for s in syncs]


def _push_alone(connection: Connection, sync: InvoiceSync):
    try:
        result = registry.hook().push_invoice(connection=connection, invoice=sync.invoice, sync=sync)
        return result if result is not None else RuntimeError(
            f"No plugin answered push_invoice for provider {connection.provider!r}.")
    except Exception as exc:  # recorded by the engine, as a single push's failure is
        return exc
