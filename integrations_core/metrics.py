"""What /metrics reports, read from PostgreSQL and Redis when Prometheus scrapes (a custom collector): every web
process answers the same, and nothing is kept in the process between scrapes (no multiprocess files).

Each section is one aggregate query (or one Redis pipeline per queue), so a scrape costs about a dozen round trips
whatever the number of invoices; a section that fails is left out and `integrations_metrics_section_up` says so.
A provider package adds its own section with `register(section, collector)` (Xero's budget: xero_plugin/metrics.py),
as the core imports no provider.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum, Value
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric

from . import clock, registry
from .health import connection_health_expression
from .models import Connection, InvoiceSync, RemoteEvent, ResyncRun, ResyncRunState, SyncAttempt, SyncState

log = logging.getLogger(__name__)

# Push latency buckets (seconds): a push against a fast remote takes milliseconds, one that times out 30 s.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
OUTCOME_LABEL_LENGTH = 60  # a webhook event's outcome is a short word ("paid", "unchanged"): a bounded label

_sections: list[tuple[str, object]] = []


def register(section: str, collector) -> None:
    """Add a provider's section (an object with `collect()` yielding metric families) to /metrics, once."""
    if all(name != section for name, _ in _sections):
        _sections.append((section, collector))


class IntegrationsCollector:
    """The service's numbers, read at scrape time."""

    def describe(self) -> list:
        return []  # registering must not query the database (Django may not be ready); families vary with data

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("integrations_metrics_section_up",
                               "1 if the section was read for this scrape, 0 if reading it failed (see the logs).",
                               labels=["section"])
        sections: list[tuple[str, Callable[[], Iterable[Metric]]]] = [
            ("syncs", _syncs), ("attempts", _attempts), ("latency", _latency), ("connections", _connections),
            ("webhooks", _webhook_events), ("resync_runs", _resync_runs),
        ]
        if settings.INTEGRATIONS_ASYNC_JOBS:
            sections.append(("queues", _queues))
        sections += [(name, collector.collect) for name, collector in _sections]
        for name, read in sections:
            try:
                families = list(read())  # whole, or not at all: a half-read section would mislead
            except Exception:
                log.warning("metrics: the %s section could not be read", name, exc_info=True)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(IntegrationsCollector())


def _providers(seen: Iterable[str]) -> list[str]:
    return sorted(set(registry.providers()) | set(seen))


def _syncs() -> Iterable[Metric]:
    rows = list(InvoiceSync.objects.order_by().values("connection__provider", "state", "error_category")
                .annotate(n=Count("id")))
    by_state = {(p, s): 0 for p in _providers(r["connection__provider"] for r in rows) for s in SyncState.values}
    syncs = GaugeMetricFamily("integrations_syncs", "Invoice syncs (one per invoice and connection) by state.",
                              labels=["provider", "state"])
    errors = GaugeMetricFamily("integrations_sync_errors",
                               "Invoice syncs that carry an error, by state and error category (retrying ones "
                               "included: state=\"retrying\").", labels=["provider", "state", "category"])
    for row in rows:
        by_state[row["connection__provider"], row["state"]] += row["n"]
        if row["error_category"]:
            errors.add_metric([row["connection__provider"], row["state"], row["error_category"]], row["n"])
    for (provider, state), count in sorted(by_state.items()):
        syncs.add_metric([provider, state], count)
    return [syncs, errors]


def _attempts() -> Iterable[Metric]:
    from .sync import POLICY  # the engine's table says which categories retry

    retryable = {category.value for category, policy in POLICY.items() if policy.retry}
    attempts = CounterMetricFamily("integrations_push_attempts",
                                   "Pushes made (SyncAttempt rows), by outcome (in_flight: not finished yet).",
                                   labels=["provider", "outcome"])
    failures = CounterMetricFamily("integrations_push_failures",
                                   "Failed pushes by error category (none: cut short, found by the sweep).",
                                   labels=["provider", "category"])
    retries = CounterMetricFamily("integrations_push_retryable_failures",
                                  "Failed pushes whose category the engine retries by itself "
                                  f"({', '.join(sorted(retryable))}).", labels=["provider", "category"])
    totals: dict[tuple[str, str], int] = {}
    rows = (SyncAttempt.objects.order_by().values("sync__connection__provider", "outcome", "error_category")
            .annotate(n=Count("id")))
    for row in rows:
        provider, outcome, category = row["sync__connection__provider"], row["outcome"], row["error_category"]
        key = (provider, outcome or "in_flight")
        totals[key] = totals.get(key, 0) + row["n"]
        if outcome == SyncAttempt.Outcome.FAILED:
            failures.add_metric([provider, category or "none"], row["n"])
            if category in retryable:
                retries.add_metric([provider, category], row["n"])
    for (provider, outcome), count in sorted(totals.items()):
        attempts.add_metric([provider, outcome], count)
    return [attempts, failures, retries]


def _latency() -> Iterable[Metric]:
    window = settings.METRICS_LATENCY_WINDOW_SECONDS
    took = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    buckets = {f"le_{i}": Count("id", filter=LessThanOrEqual(took, Value(dt.timedelta(seconds=bound),
                                                                           output_field=DurationField())))
               for i, bound in enumerate(LATENCY_BUCKETS)}
    rows = (SyncAttempt.objects.order_by()
            .filter(finished_at__gte=clock.now() - dt.timedelta(seconds=window), started_at__isnull=False,
                    outcome__in=(SyncAttempt.Outcome.SUCCEEDED, SyncAttempt.Outcome.FAILED))
            .values("sync__connection__provider").annotate(n=Count("id"), took=Sum(took), **buckets))
    family = HistogramMetricFamily(
        "integrations_push_duration_seconds",
        f"Time from claim to recorded outcome of the pushes that finished in the last {window:g} s (a window, not "
        "a running total: read the buckets as they are, without rate()).", labels=["provider"])
    for row in rows:
        counts = [(f"{bound:g}", row[f"le_{i}"]) for i, bound in enumerate(LATENCY_BUCKETS)]
        family.add_metric([row["sync__connection__provider"]], [*counts, ("+Inf", row["n"])],
                          (row["took"] or dt.timedelta()).total_seconds())
    return [family]


def _connections() -> Iterable[Metric]:
    rows = (Connection.objects.order_by().annotate(health=connection_health_expression(timezone.now()))
            .values("provider", "state", "health").annotate(n=Count("id")))
    family = GaugeMetricFamily("integrations_connections",
                               "Connections by provider, state and health (ok, unchecked, lapsing, expired, "
                               "disconnected: integrations_core.health.connection_health).",
                               labels=["provider", "state", "health"])
    for row in rows:
        family.add_metric([row["provider"], row["state"], row["health"]], row["n"])
    return [family]


def _webhook_events() -> Iterable[Metric]:
    pending = Q(processed_at__isnull=True)
    rows = (RemoteEvent.objects.order_by().values("provider", "outcome")
            .annotate(n=Count("id"), pending=Count("id", filter=pending), oldest=Min("received_at", filter=pending)))
    events = GaugeMetricFamily("integrations_webhook_events",
                               "Webhook events received, by what processing them did (pending: not processed yet).",
                               labels=["provider", "outcome"])
    age = GaugeMetricFamily("integrations_webhook_events_oldest_pending_age_seconds",
                            "Age of the oldest webhook event not processed yet (0: none waiting).", labels=["provider"])
    counts: dict[tuple[str, str], int] = {}
    oldest: dict[str, dt.datetime | None] = {}
    for row in rows:
        done = row["n"] - row["pending"]
        if row["pending"]:
            counts[row["provider"], "pending"] = counts.get((row["provider"], "pending"), 0) + row["pending"]
        if done:
            outcome = (row["outcome"] or "none")[:OUTCOME_LABEL_LENGTH]
            counts[row["provider"], outcome] = counts.get((row["provider"], outcome), 0) + done
        first = [t for t in (oldest.get(row["provider"]), row["oldest"]) if t is not None]
        oldest[row["provider"]] = min(first) if first else None
    for (provider, outcome), count in sorted(counts.items()):
        events.add_metric([provider, outcome], count)
    now = timezone.now()
    for provider, first in sorted(oldest.items()):
        age.add_metric([provider], max(0.0, (now - first).total_seconds()) if first else 0.0)
    return [events, age]


def _resync_runs() -> Iterable[Metric]:
    rows = ResyncRun.objects.order_by().values("state").annotate(n=Count("id"), left=Sum(F("total") - F("done")))
    by_state = {state: 0 for state in ResyncRunState.values}
    left = 0
    for row in rows:
        by_state[row["state"]] = row["n"]
        if row["state"] in (ResyncRunState.QUEUED, ResyncRunState.RUNNING):
            left += max(0, row["left"] or 0)
    runs = GaugeMetricFamily("integrations_resync_runs",
                             "Manual re-sync runs by state (queued and running: in progress).", labels=["state"])
    for state, count in by_state.items():
        runs.add_metric([state], count)
    return [runs, GaugeMetricFamily("integrations_resync_run_invoices_left",
                                    "Invoices the queued and running re-sync runs have still to do.", value=left)]


def _queues() -> Iterable[Metric]:
    from rq import Worker
    from rq.job import Job
    from rq.rate_limit import RateLimitRegistry
    from rq.utils import str_to_date

    from . import queue

    jobs = GaugeMetricFamily("integrations_queue_jobs",
                             "RQ jobs per queue: queued (waiting for a worker), scheduled (delays and retries), "
                             "started, failed (RQ's failed registry), deferred.", labels=["queue", "status"])
    oldest = GaugeMetricFamily("integrations_queue_oldest_job_age_seconds",
                               "How long the job at the head of the queue has waited (0: the queue is empty).",
                               labels=["queue"])
    overdue = GaugeMetricFamily("integrations_queue_scheduled_overdue_seconds",
                                "How far past its time the earliest scheduled job is (more than a few seconds: no "
                                "scheduler is moving jobs; 0: none due).", labels=["queue"])
    workers = GaugeMetricFamily("integrations_queue_workers", "RQ workers listening on the queue.", labels=["queue"])
    now = time.time()
    connection = None
    for name in settings.RQ_QUEUES:
        q = queue.get_queue(name)
        connection = q.connection
        registries = {"scheduled": q.scheduled_job_registry, "started": q.started_job_registry,
                      "failed": q.failed_job_registry, "deferred": q.deferred_job_registry}
        pipe = connection.pipeline(transaction=False)
        pipe.llen(q.key)
        pipe.lrange(q.key, 0, 0)
        for registry_ in registries.values():
            pipe.zcard(registry_.key)  # read only: RQ's `count` cleans the registry up first (a write)
        pipe.zrange(registries["scheduled"].key, 0, 0, withscores=True)
        queued, head, *counts, first_scheduled = pipe.execute()
        jobs.add_metric([name, "queued"], queued)
        for status, count in zip(registries, counts):
            jobs.add_metric([name, status], count)
        age = 0.0
        if head:
            enqueued_at = connection.hget(Job.key_for(head[0].decode()), "enqueued_at")
            if enqueued_at:
                age = max(0.0, now - str_to_date(enqueued_at).replace(tzinfo=dt.timezone.utc).timestamp())
        oldest.add_metric([name], age)
        overdue.add_metric([name], max(0.0, now - first_scheduled[0][1]) if first_scheduled else 0.0)
        workers.add_metric([name], Worker.count(queue=q))
    held = 0
    if connection is not None:
        limits = RateLimitRegistry.all(connection)
        pipe = connection.pipeline(transaction=False)
        for limit in limits:
            pipe.zcard(limit.rate_limited_key)
        held = sum(pipe.execute()) if limits else 0
    return [jobs, oldest, overdue, workers,
            GaugeMetricFamily("integrations_queue_jobs_held",
                              "Jobs held back by a concurrency limit (RQ's RateLimit: Xero's 5 at once per "
                              "connection), on no queue until a slot frees.", value=held)]
