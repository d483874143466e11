"""Read-side queries shared by the API, the admin and the commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, Prefetch, Q, QuerySet

from .errors import InvalidInput
from .models import Connection, Invoice, InvoiceLine, InvoiceSync, SyncState


def connection_backlog(*, connection: Connection) -> QuerySet[InvoiceSync]:
    """The invoices whose latest version has not reached this connection's remote and that need a
    person to push them again (failed, e.g. during an expiry), oldest first.

    In-flight syncs (queued, syncing, retrying) will arrive by themselves; locked and resolved ones
    have nothing left to send.
    """
    return (
        InvoiceSync.objects.filter(backlog_filter(), connection=connection)
        .select_related("invoice")
        .order_by("invoice__issue_date", "invoice_id")
    )


def invoices_for_resync(*, connection: Connection, numbers: Iterable[str] | None = None,
                        since: dt.date | None = None, until: dt.date | None = None, backlog: bool = False,
                        invoice_ids: Iterable[int] | None = None) -> QuerySet[Invoice]:
    """The connection's supplier's invoices chosen by numbers, ids, an issue-date window and/or the backlog,
    oldest first, with what a push reads loaded.

    :raises InvalidInput: nothing chosen, or numbers or ids that are not the supplier's.
    """
    qs = Invoice.objects.filter(supplier_id=connection.supplier_id)
    if backlog:
        qs = qs.filter(pk__in=connection_backlog(connection=connection).values("invoice_id"))
    if numbers:
        numbers = [n.strip() for n in numbers if n and n.strip()]
        qs = qs.filter(number__in=numbers)
        missing = sorted(set(numbers) - set(qs.values_list("number", flat=True)))
        if missing:
            raise InvalidInput(f"Unknown invoice numbers for {connection.supplier}: {', '.join(missing[:10])}.",
                               field_errors={"numbers": [f"Unknown: {', '.join(missing[:10])}"]})
    if invoice_ids is not None:
        invoice_ids = list(invoice_ids)
        qs = qs.filter(pk__in=invoice_ids)
        missing = sorted(set(invoice_ids) - set(qs.values_list("pk", flat=True)))
        if missing:
            raise InvalidInput(f"Unknown invoices for {connection.supplier}: {', '.join(map(str, missing[:10]))}.",
                               field_errors={"invoice_ids": [f"Unknown: {', '.join(map(str, missing[:10]))}"]})
    if since:
        qs = qs.filter(issue_date__gte=since)
    if until:
        qs = qs.filter(issue_date__lte=until)
    if not (backlog or numbers or invoice_ids or since or until):
        raise InvalidInput("Choose the invoices: numbers, a date window or the backlog.",
                           field_errors={"invoices": ["Nothing chosen."]})
    return (qs.select_related("customer", "supplier")
            .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.select_related("product")))
            .order_by("issue_date", "pk"))


def backlog_filter(prefix: str = "") -> Q:
    """The backlog condition (failed, its latest version not synced), on syncs or, with `prefix`, across a
    relation to them (for annotations over many connections)."""
    return Q(**{f"{prefix}state": SyncState.FAILED}) & (
        Q(**{f"{prefix}synced_version__isnull": True}) | Q(**{f"{prefix}synced_version__lt": F(f"{prefix}invoice__version")}))


def connections_for(*, supplier_id: int | None) -> QuerySet[Connection]:
    """Connections with their backlog count; one supplier's, or every supplier's (support) when None."""
    from django.db.models import Count

    qs = Connection.objects.all() if supplier_id is None else Connection.objects.filter(supplier_id=supplier_id)
    return qs.annotate(backlog_count=Count("syncs", filter=backlog_filter("syncs__"))).order_by("provider", "pk")


def invoices_for(*, supplier_id: int | None, detail: bool = False) -> QuerySet[Invoice]:
    """Invoices with what the API shows of them loaded in a fixed number of queries, whatever the page size."""
    from .models import CreditNote, SyncAttempt

    qs = Invoice.objects.all() if supplier_id is None else Invoice.objects.filter(supplier_id=supplier_id)
    # The snapshot of what was last synced is for change detection, not for display: never loaded here.
    syncs = (InvoiceSync.objects.select_related("connection").defer("synced_snapshot", "connection__credentials",
                                                                     "connection__settings")
             .order_by("connection__provider", "pk"))
    if detail:
        recent = SyncAttempt.objects.order_by("-started_at", "-id")[:5]
        syncs = syncs.prefetch_related(Prefetch("attempts_log", queryset=recent, to_attr="recent_attempts"))
        qs = qs.prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.select_related("product")), "payments",
                                 Prefetch("credit_notes", queryset=CreditNote.objects.select_related(
                                     "invoice", "connection").defer("connection__credentials")))
    return qs.select_related("customer").prefetch_related(Prefetch("syncs", queryset=syncs))
