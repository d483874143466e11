"""The push's two hot statements, claim and success: on PostgreSQL one round trip each, elsewhere (SQLite under
`make run` and `make test-fast`) their ORM twins, side by side here so that they change together.

- The claim takes a waiting sync (`queued`/`retrying`, not locked, its connection connected) and reads
  everything the push needs with it: the sync, its connection, the invoice, the customer, the lines and
  their products; and whether the invoice has payment parts or documents and the connection other syncs
  waiting, so that a push reads those only when there are some.
- The success records the attempt and the synced state together, provided the sync is still `syncing`
  under the push's claim, no later trigger asked for another push, it was not locked remotely meanwhile,
  and no newer version is synced already.

Through the ORM these are six round trips (with BEGIN/COMMIT) and as many query compilations, which cost
more than the push to a fast remote. The SQL is built once per process from the models' own field lists,
so a new field needs no change here, and rows become model instances through the fields' own converters.
Both are bound on the server, so a connection prepares them when it first runs them, with one generic plan
(config/settings.py): PostgreSQL plans them once per connection, not on every push (planning the claim's seven-table
join cost it several times what running it does). Django's own cursors bind on the client and prepare nothing.
A test holds each pair to the same reads and writes; `make test-fast` runs the ORM twins, `make test` the SQL.
"""

from __future__ import annotations

from functools import cache

from django.db import connection as db, transaction
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import F, Prefetch, Q
from psycopg.types.numeric import Int8

from .models import (Connection, ConnectionState, ContactLink, Customer, Invoice, InvoiceDocument, InvoiceLine, InvoicePayment,
                     InvoiceSync, Product, SyncAttempt, SyncState)

_CLAIMED = (InvoiceSync, Connection, Invoice, Customer, ContactLink, InvoiceLine, Product)
_HEAD, _LINE = slice(0, 5), slice(5, 7)  # read once from the first row; read from every row (one per line)


def available() -> bool:
    """Whether this database runs the statements (data-modifying WITH and RETURNING)."""
    return db.vendor == "postgresql"


def _prepared_cursor():
    """A cursor of the connection that binds parameters on the server, so that the connection prepares a statement it
    runs often (see the module's docstring), wrapped as Django wraps its own (errors, and the queries a test counts)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    db.close_if_health_check_failed()  # as Django's own cursors: a connection kept between jobs is checked first
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = ServerBindingCursor(db.connection)
    return _LoggedCursor(cursor, db) if db.queries_logged else db.make_cursor(cursor)


class _LoggedCursor(CursorDebugWrapper):
    """Django's debug cursor, logging the statement as written: a prepared statement's execution carries no text for
    Django to show."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return super(CursorDebugWrapper, self).execute(sql, params)


def _q(name: str) -> str:
    return db.ops.quote_name(name)


def _columns(model, alias: str) -> str:
    return ", ".join(f"{alias}.{_q(f.column)}" for f in model._meta.concrete_fields)


def _as_prefetched(instance, name: str, objects: list) -> None:
    """Leave `objects` on `instance` as `prefetch_related(name)` would: `instance.<name>.all()` reads them without a
    query, and `prefetch_related_objects` reads them no more."""
    related = getattr(instance, name).all()
    related._result_cache, related._prefetch_done = objects, True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = related


@cache
def _claim_sql() -> str:
    sync, conn, inv = InvoiceSync._meta, Connection._meta, Invoice._meta
    line, product, customer = InvoiceLine._meta, Product._meta, Customer._meta
    aliases = ("s", "c", "i", "cu", "cl", "l", "p")
    select = ", ".join(_columns(model, alias) for model, alias in zip(_CLAIMED, aliases))
    table = _q(sync.db_table)
    # The flags are read on the updated row, once (not once per line): whether the connection has other syncs
    # waiting (queued or retrying, due or not: a live batch looks for them only then), and whether the invoice has
    # payment parts and documents (a push reads them only then).
    return (
        f"WITH claimed AS (UPDATE {table} SET {_q('state')} = %s, {_q('syncing_since')} = %s, "
        f"{_q('repush')} = false, {_q('claim')} = {_q('claim')} + 1, {_q('updated_at')} = %s "
        f"WHERE {_q('id')} = %s AND ({_q('state')} = %s OR {_q('state')} = %s AND "
        f"({_q('next_retry_at')} IS NULL OR {_q('next_retry_at')} <= %s)) AND NOT {_q('remote_locked')} "
        f"AND {_q('connection_id')} IN (SELECT {_q('id')} FROM {_q(conn.db_table)} WHERE {_q('state')} = %s) "
        f"RETURNING *, EXISTS (SELECT 1 FROM {table} w WHERE w.{_q('connection_id')} = {table}.{_q('connection_id')} "
        f"AND w.{_q('id')} <> {table}.{_q('id')} AND w.{_q('state')} IN (%s, %s) AND NOT w.{_q('remote_locked')}) "
        f"AS others_waiting, "
        f"EXISTS (SELECT 1 FROM {_q(InvoicePayment._meta.db_table)} "
        f"WHERE {_q('invoice_id')} = {table}.{_q('invoice_id')}) AS has_payments, "
        f"EXISTS (SELECT 1 FROM {_q(InvoiceDocument._meta.db_table)} "
        f"WHERE {_q('invoice_id')} = {table}.{_q('invoice_id')}) AS has_documents) "
        f"SELECT {select}, s.others_waiting, s.has_payments, s.has_documents FROM claimed s "
        f"JOIN {_q(conn.db_table)} c ON c.{_q('id')} = s.{_q('connection_id')} "
        f"JOIN {_q(inv.db_table)} i ON i.{_q('id')} = s.{_q('invoice_id')} "
        f"JOIN {_q(customer.db_table)} cu ON cu.{_q('id')} = i.{_q('customer_id')} "
        f"LEFT JOIN {_q(ContactLink._meta.db_table)} cl ON cl.{_q('connection_id')} = s.{_q('connection_id')} "
        f"AND cl.{_q('customer_id')} = i.{_q('customer_id')} "
        f"LEFT JOIN {_q(line.db_table)} l ON l.{_q('invoice_id')} = i.{_q('id')} "
        f"LEFT JOIN {_q(product.db_table)} p ON p.{_q('id')} = l.{_q('product_id')} "
        f"ORDER BY l.{_q('position')}, l.{_q('id')}"
    )


@cache
def _readers() -> list[tuple[type, list[str], list[list]]]:
    """Per model in the claim's row: its attnames and each column's converters (as the ORM applies them)."""
    readers = []
    for model in _CLAIMED:
        fields = model._meta.concrete_fields
        converters = []
        for field in fields:
            col = field.get_col(model._meta.db_table)
            converters.append([(c, col) for c in db.ops.get_db_converters(col) + col.get_db_converters(db)])
        readers.append((model, [f.attname for f in fields], converters))
    return readers


def _instances(row, models: slice = slice(None)) -> list:
    """The row's instances of `_CLAIMED[models]`, in that order (None for an absent line or product)."""
    readers = _readers()
    start = sum(len(attnames) for _, attnames, _ in readers[:models.start or 0])
    instances = []
    for model, attnames, converters in readers[models]:
        values = list(row[start:start + len(attnames)])
        start += len(attnames)
        if values[0] is None:  # the primary key: a LEFT JOIN that found nothing
            instances.append(None)
            continue
        for index, column_converters in enumerate(converters):
            for converter, col in column_converters:
                values[index] = converter(values[index], col, db)
        instances.append(model.from_db(db.alias, attnames, values))
    return instances


def claim(sync_id: int, now) -> tuple[InvoiceSync, Invoice, Connection] | None:
    """Take the sync for a push if it is queued (or retrying and due at `now`) and may be pushed, with
    everything the push reads; None otherwise. The claim count goes up by one: the push records its outcome
    under it. One statement on PostgreSQL, the ORM elsewhere.

    The invoice comes with its customer and its lines (with their products) as prefetched, and its payment parts
    and documents too when it has none (`invoice.payments.all()` and `invoice.documents.all()` then need no query);
    the customer's contact link on the connection is read too, for `contact_links`. `sync.others_waiting` says
    whether its connection had other syncs waiting then (for `live_batch`)."""
    return claim_by_statement(sync_id, now) if available() else claim_through_orm(sync_id, now)


def claim_by_statement(sync_id: int, now) -> tuple[InvoiceSync, Invoice, Connection] | None:
    """`claim` in one statement (PostgreSQL). Its whole-number parameters go as bigint whatever their size, so that
    it is one prepared statement, not one per width of id.

    The conditions are on the updated row itself, so PostgreSQL checks them again on the row version it
    locks: of two jobs racing for one sync, one claims it. The other tables are read as the statement
    found them when it started: a trigger that committed while the claim waited for the row is seen in
    the sync's `requested_version`, and the caller reads the invoice again.
    """
    with _prepared_cursor() as cursor:
        cursor.execute(_claim_sql(), [SyncState.SYNCING, now, now, Int8(sync_id), SyncState.QUEUED,
                                      SyncState.RETRYING, now, ConnectionState.CONNECTED, SyncState.QUEUED,
                                      SyncState.RETRYING])
        rows = cursor.fetchall()
    if not rows:
        return None
    sync, connection, invoice, customer, link = _instances(rows[0], _HEAD)  # credentials decrypted once, not per line
    sync.others_waiting, has_payments, has_documents = rows[0][-3:]
    lines = []
    for row in rows:
        line, product = _instances(row, _LINE)
        if line is not None:
            line.product = product
            line.invoice = invoice
            lines.append(line)
    invoice.customer = customer
    customer._links_read = {connection.pk: link}
    sync.invoice, sync.connection = invoice, connection
    _as_prefetched(invoice, "lines", lines)
    if not has_payments:
        _as_prefetched(invoice, "payments", [])
    if not has_documents:
        _as_prefetched(invoice, "documents", [])
    return sync, invoice, connection


def contact_links(connection: Connection, customers: list[Customer]) -> dict[int, ContactLink]:
    """The connection's contact link of each customer that has one, by customer id. A claimed invoice's customer
    comes with its own (read by the claim, and taken once: a later look-up reads it anew); the others are read in one
    query."""
    found: dict[int, ContactLink] = {}
    unread = []
    for customer in customers:
        read = getattr(customer, "_links_read", {})
        if connection.pk not in read:
            unread.append(customer.pk)
        elif (link := read.pop(connection.pk)) is not None:
            found[customer.pk] = link
    if unread:
        found.update((link.customer_id, link) for link in ContactLink.objects.filter(
            connection=connection, customer_id__in=unread))
    return found


def load_invoice(invoice_id: int) -> Invoice:
    """The invoice with its customer, its lines with their products, its payment parts and its documents (without
    their content), as a push reads it."""
    lines = Prefetch("lines", queryset=InvoiceLine.objects.select_related("product"))
    documents = Prefetch("documents", queryset=InvoiceDocument.objects.defer("content"))
    return Invoice.objects.select_related("customer").prefetch_related(lines, "payments", documents).get(pk=invoice_id)


def _claimable(now) -> Q:
    """A sync a push may take: queued, or retrying and due (by the database's clock); not locked."""
    due = Q(state=SyncState.QUEUED) | Q(state=SyncState.RETRYING) & (
        Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))
    return due & Q(remote_locked=False)


def claim_through_orm(sync_id: int, now):
    """`claim` through the ORM (SQLite), reading what `claim_by_statement` reads."""
    # As claim_by_statement: every condition on the sync is on the updated row itself, so that PostgreSQL
    # checks them again on the row version it locks. (A filter across the relation would make Django wrap it
    # in `id IN (SELECT ... JOIN ...)`, whose rows are not checked again: both racing jobs would win.)
    connected = Connection.objects.filter(state=ConnectionState.CONNECTED).values("pk")
    taken = InvoiceSync.objects.filter(_claimable(now), pk=sync_id, connection_id__in=connected).update(
        state=SyncState.SYNCING, syncing_since=now, repush=False, claim=F("claim") + 1, updated_at=now)
    if not taken:
        return None
    sync = InvoiceSync.objects.select_related("connection").get(pk=sync_id)
    invoice = load_invoice(sync.invoice_id)
    sync.invoice = invoice
    sync.others_waiting = InvoiceSync.objects.filter(
        connection_id=sync.connection_id, state__in=(SyncState.QUEUED, SyncState.RETRYING),
        remote_locked=False).exclude(pk=sync_id).exists()
    return sync, invoice, sync.connection


@cache
def _attempt_fields() -> list:
    return [f for f in SyncAttempt._meta.concrete_fields if not f.primary_key]


@cache
def _success_sql(update_columns: tuple[str, ...]) -> str:
    attempt_fields = _attempt_fields()
    insert_columns = ", ".join(_q(f.column) for f in attempt_fields)
    placeholders = ", ".join(["%s"] * len(attempt_fields))
    assignments = ", ".join(f"{_q(column)} = %s" for column in update_columns)
    return (
        f"WITH attempt AS (INSERT INTO {_q(SyncAttempt._meta.db_table)} ({insert_columns}) VALUES ({placeholders}) "
        f"RETURNING {_q('id')}), "
        f"synced AS (UPDATE {_q(InvoiceSync._meta.db_table)} SET {assignments} "
        f"WHERE {_q('id')} = %s AND {_q('claim')} = %s AND {_q('state')} = %s AND NOT {_q('repush')} "
        f"AND NOT {_q('remote_locked')} "
        f"AND ({_q('synced_version')} IS NULL OR {_q('synced_version')} <= %s) RETURNING {_q('id')}) "
        f"SELECT (SELECT {_q('id')} FROM attempt), EXISTS (SELECT 1 FROM synced)"
    )


def record_success(sync_id: int, attempt: SyncAttempt, fields: dict, version: int, claim: int) -> bool:
    """Insert `attempt` (unsaved) and set `fields` on the sync; the sync only if it is still `syncing` under
    `claim`, no later trigger asked for another push (`repush`), it is not locked remotely and no newer version
    is synced. One statement on PostgreSQL, the ORM elsewhere.
    :return: whether the sync was set (the attempt is written either way)."""
    if not available():
        with transaction.atomic():
            synced = set_synced(sync_id, fields, version, claim)
            attempt.save(force_insert=True)
        return synced
    return record_success_by_statement(sync_id, attempt, fields, version, claim)


def set_synced(sync_id: int, fields: dict, version: int, claim: int) -> bool:
    """`record_success`'s condition and update through the ORM, without the attempt."""
    not_newer = Q(synced_version__isnull=True) | Q(synced_version__lte=version)
    return bool(InvoiceSync.objects.filter(not_newer, pk=sync_id, claim=claim, state=SyncState.SYNCING, repush=False,
                                           remote_locked=False).update(**fields))


def record_success_by_statement(sync_id: int, attempt: SyncAttempt, fields: dict, version: int, claim: int) -> bool:
    """`record_success` in one statement (PostgreSQL)."""
    attempt_values = [f.get_db_prep_save(f.pre_save(attempt, add=True), db) for f in _attempt_fields()]
    sync_fields = [InvoiceSync._meta.get_field(name) for name in fields]
    sync_values = [f.get_db_prep_save(fields[f.name], db) for f in sync_fields]
    sql = _success_sql(tuple(f.column for f in sync_fields))
    with _prepared_cursor() as cursor:
        cursor.execute(sql, [*attempt_values, *sync_values, Int8(sync_id), Int8(claim), SyncState.SYNCING, Int8(version)])
        attempt.pk, synced = cursor.fetchone()
    return synced


def update_each(model, rows: list[tuple[int, dict]]) -> None:
    """Update each row (`pk`, {field name: value}; the same names in every row) by its own UPDATE, sent together in
    one `executemany` (psycopg pipelines them: one round trip for a re-sync chunk's outcomes, not one per invoice)."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in rows[0][1]]
    sets = ", ".join(f"{_q(f.column)} = %s" for f in fields)
    sql = f"UPDATE {_q(model._meta.db_table)} SET {sets} WHERE {_q(model._meta.pk.column)} = %s"
    params = [[*(f.get_db_prep_save(values[f.name], db) for f in fields), pk] for pk, values in rows]
    with db.cursor() as cursor:
        cursor.executemany(sql, params)
