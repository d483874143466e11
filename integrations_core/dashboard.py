"""The support dashboard's numbers: the whole service at a glance, each number with the filtered list behind it.

Every figure is one aggregate query (or one per connected connection for the remote's budget, read without a
remote call), so the admin's landing page stays fast however many invoices there are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from . import bulk, registry
from .errors import ErrorCategory
from .health import connection_health_expression
from .models import Connection, ConnectionState, InvoiceSync, ResyncRun, ResyncRunState, Supplier, SyncAttempt
from .models import SyncState
from .selectors import backlog_filter

HISTORY_DAYS = 14
TOP_SUPPLIERS = 10


@dataclasses.dataclass(frozen=True)
class Figure:
    """One number on the dashboard and the list it counts."""

    label: str
    count: int
    url: str
    key: str = ""


@dataclasses.dataclass(frozen=True)
class RunProgress:
    """A re-sync in progress: how far it is and what is left, by the provider's budget."""

    id: int
    supplier: str
    provider: str
    state: str
    done: int
    total: int
    percent: int
    estimate: str
    url: str


@dataclasses.dataclass(frozen=True)
class BudgetUse:
    """How much of a connection's remote budget is spent this minute and today (as the remote last said)."""

    supplier: str
    provider: str
    tenant: str
    minute_used: int | None
    per_minute: int | None
    day_used: int | None
    per_day: int | None


def _invoices(**params) -> str:
    return f"{reverse('admin:integrations_core_invoice_changelist')}?{urlencode(params)}"


def _connections(**params) -> str:
    return f"{reverse('admin:integrations_core_connection_changelist')}?{urlencode(params)}"


def syncs_by_state() -> list[Figure]:
    """Every invoice sync by its state now."""
    counts = dict(InvoiceSync.objects.values_list("state").annotate(n=Count("id")).order_by())
    return [Figure(label, counts.get(value, 0), _invoices(sync_state=value), value)
            for value, label in SyncState.choices]


def failing_by_category() -> list[Figure]:
    """The syncs that need a person or will retry (failed, retrying, locked) by error category now."""
    counts = dict(InvoiceSync.objects.exclude(error_category="").filter(
        state__in=[SyncState.FAILED, SyncState.RETRYING, SyncState.LOCKED])
        .values_list("error_category").annotate(n=Count("id")).order_by())
    return [Figure(label, counts[value], _invoices(error_category=value), value)
            for value, label in ErrorCategory.choices() if counts.get(value)]


def failures_by_day(*, days: int = HISTORY_DAYS, now: dt.datetime | None = None) -> dict:
    """Failed push attempts per day and category over the last `days` days (the chart):
    {"days": [date, ...], "series": [{"category", "label", "counts": [n per day], "url"}], "max": n}."""
    today = (now or timezone.now()).date()
    first = today - dt.timedelta(days=days - 1)
    rows = (SyncAttempt.objects.filter(outcome=SyncAttempt.Outcome.FAILED, started_at__date__gte=first)
            .exclude(error_category="").annotate(day=TruncDate("started_at"))
            .values_list("day", "error_category").annotate(n=Count("id")).order_by())
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    table: dict[str, list[int]] = {}
    for day, category, n in rows:
        table.setdefault(category, [0] * days)[(day - first).days] += n
    labels = dict(ErrorCategory.choices())
    series = [{"category": c, "label": labels.get(c, c), "counts": table[c], "url": _invoices(error_category=c)}
              for c in sorted(table, key=lambda c: -sum(table[c]))]
    totals = [sum(s["counts"][i] for s in series) for i in range(days)]
    return {"days": dates, "series": series, "totals": totals, "max": max(totals, default=0)}


def suppliers_failing(*, limit: int = TOP_SUPPLIERS) -> list[Figure]:
    """The suppliers with the most invoices failing (a failed sync), most first."""
    rows = (Supplier.objects.annotate(n=Count("invoices", filter=Q(invoices__syncs__state=SyncState.FAILED),
                                              distinct=True)).filter(n__gt=0).order_by("-n", "name")[:limit])
    return [Figure(s.name, s.n, _invoices(supplier__id__exact=s.pk, sync_state=SyncState.FAILED), str(s.pk))
            for s in rows]


def connections_needing_attention(*, now: dt.datetime | None = None) -> list[Figure]:
    """Connections expired (reconnect in Settings > Add-ons) and connected ones whose credentials lapse soon."""
    expired = Connection.objects.filter(state=ConnectionState.EXPIRED).count()
    figures = [Figure("expired", expired, _connections(state=ConnectionState.EXPIRED), "expired")]
    lapsing = list(Connection.objects.filter(state=ConnectionState.CONNECTED)
                   .annotate(health=connection_health_expression(now or timezone.now()))
                   .filter(health="lapsing").values_list("pk", flat=True))
    figures.append(Figure("lapsing", len(lapsing), _connections(
        state=ConnectionState.CONNECTED, id__in=",".join(map(str, lapsing)) or "0"), "lapsing"))
    return figures


def backlogs() -> list[Figure]:
    """Connected connections with invoices waiting to be re-synced (the backlog), most first."""
    rows = (Connection.objects.filter(state=ConnectionState.CONNECTED).select_related("supplier").defer("credentials")
            .annotate(n=Count("syncs", filter=backlog_filter("syncs__"))).filter(n__gt=0).order_by("-n")[:TOP_SUPPLIERS])
    return [Figure(f"{c.supplier} ({registry.provider(c.provider).name})", c.n,
                   _invoices(supplier__id__exact=c.supplier_id, provider=c.provider, sync_state=SyncState.FAILED),
                   str(c.pk)) for c in rows]


def runs_in_progress() -> list[RunProgress]:
    """Re-sync runs queued or running, with their progress and the estimate of what is left."""
    runs = (ResyncRun.objects.filter(state__in=[ResyncRunState.QUEUED, ResyncRunState.RUNNING])
            .select_related("supplier", "connection").defer("connection__credentials").order_by("created_at"))
    return [run_progress(run) for run in runs]


def run_progress(run: ResyncRun) -> RunProgress:
    """One run's progress and its estimate (from the provider's batch size and budget)."""
    left = max(0, run.total - run.done)
    estimate = bulk.estimate(run.connection, left).describe() if left else "finishing"
    return RunProgress(run.pk, str(run.supplier), registry.provider(run.connection.provider).name, run.state,
                       run.done, run.total, int(100 * run.done / run.total) if run.total else 100, estimate,
                       reverse("admin:integrations_core_resyncrun_change", args=[run.pk]))


def budgets() -> list[BudgetUse]:
    """Each connected connection's remote budget used, for providers that report one (Xero)."""
    found = []
    for connection in (Connection.objects.filter(state=ConnectionState.CONNECTED).select_related("supplier")
                       .defer("credentials").order_by("provider", "tenant_name")):
        budget = registry.hook().budget(connection=connection)
        if budget is None or budget.minute_remaining is None and budget.day_remaining is None:
            continue
        used = (lambda limit, left: None if limit is None or left is None else max(0, limit - left))
        found.append(BudgetUse(str(connection.supplier), registry.provider(connection.provider).name,
                               connection.tenant_name, used(budget.per_minute, budget.minute_remaining),
                               budget.per_minute, used(budget.per_day, budget.day_remaining), budget.per_day))
    return found
