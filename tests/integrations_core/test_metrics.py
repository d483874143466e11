"""/metrics: Prometheus' text format, read from the database and Redis at scrape time, for a bearer token or staff.
After a run of mixed outcomes (real RQ jobs on the stub remote and the local Xero) every number matches the rows."""

import datetime as dt
import time

import django_rq
import pytest
from django.db.models import Count
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rq.job import Job

from integrations_core import jobs, metrics, queue
from integrations_core.health import connection_health
from integrations_core.models import Connection, InvoiceSync, RemoteEvent, ResyncRun, SyncAttempt, SyncState
from plugins.stub import store
from tests.factories import ConnectionFactory, ProductFactory, SupplierFactory, line, make_invoice, support_user
from tests.xero_plugin.connecting import xero_connection
from xero_plugin import limits
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "scrape-token-1"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN


def _scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def _values(families: dict, name: str, sample: str | None = None, **fixed) -> dict:
    """The samples of a family as {labels (minus `fixed`, which must match) as a tuple of values: value}."""
    found = {}
    for s in families[name].samples:
        if s.name != (sample or name) or any(s.labels.get(k) != v for k, v in fixed.items()):
            continue
        key = tuple(v for k, v in sorted(s.labels.items()) if k not in fixed)
        found[key if len(key) != 1 else key[0]] = s.value
    return found


@pytest.fixture
def mixed_run(supplier, netsuite, worker, settings, xero, monkeypatch):
    """Pushes of every kind of outcome: synced (NetSuite, Unleashed, Xero), failed by category, retrying after a
    timeout and after a rate limit, missed on an expired connection; webhook events; a re-sync run; a queued job."""
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60  # the timeout's retry waits: it stays `retrying`
    monkeypatch.setattr(limits, "_recorded_at", {})  # Xero's word on the budget is kept at once, whatever ran before
    make_invoice(supplier)
    worker.run()
    for fault, params in (("validation", {}), ("timeout", {}), ("rate_limited", {"retry_after": 45}),
                          ("not_found", {})):
        store.inject_fault(netsuite, fault, **params)
        make_invoice(supplier)
        worker.run()
    make_invoice(supplier, product=ProductFactory(supplier=supplier, no_gl_account=True))  # pre-flight: no call
    worker.run()

    other = SupplierFactory()
    unleashed = ConnectionFactory(supplier=other, provider="unleashed", last_checked_at=timezone.now())
    make_invoice(other)
    worker.run()
    expired = ConnectionFactory(supplier=SupplierFactory(), provider="cin7", expired=True)
    make_invoice(expired.supplier)  # recorded as missed: failed / auth_expired, no attempt
    # A supplier on the local Xero (its budget is reported), and a Xero connection unused long enough to lapse soon.
    on_xero = SupplierFactory()
    xero_connection(xero, on_xero)
    make_invoice(on_xero, lines=[line(ProductFactory(supplier=on_xero, sales_account_code="200", tax_type="OUTPUT2"))])
    worker.run()
    ConnectionFactory(supplier=SupplierFactory(), provider="xero", tenant_id="tenant-lapsing",
                      connected_at=timezone.now() - dt.timedelta(days=58))

    RemoteEvent.objects.create(provider="xero", key="e1", tenant_id=TENANT_NZ, category="INVOICE",
                               event_type="UPDATE", resource_id="r1", processed_at=timezone.now(), outcome="paid")
    RemoteEvent.objects.create(provider="xero", key="e2", tenant_id=TENANT_NZ, category="INVOICE",
                               event_type="UPDATE", resource_id="r2", processed_at=timezone.now(), outcome="paid")
    RemoteEvent.objects.create(provider="xero", key="e3", tenant_id=TENANT_NZ, category="INVOICE",
                               event_type="UPDATE", resource_id="r3")
    ResyncRun.objects.create(supplier=other, connection=unleashed, state="running", total=10, done=3)
    ResyncRun.objects.create(supplier=supplier, connection=netsuite, state="done", total=4, done=4)
    job = queue.enqueue(jobs.sweep_stuck_syncs, queue=queue.MAINTENANCE)  # waits: no worker runs it
    return job


def test_metrics_match_the_database_after_a_run_of_mixed_outcomes(client, mixed_run):
    families = _scrape(client)

    # Syncs by state (every state, per provider), and by error category.
    syncs = _values(families, "integrations_syncs")
    expected = {(p, s): 0 for p in ("netsuite", "unleashed", "cin7", "xero") for s in SyncState.values}
    for row in InvoiceSync.objects.values("connection__provider", "state").annotate(n=Count("id")).order_by():
        expected[row["connection__provider"], row["state"]] = row["n"]
    assert {k: syncs[k] for k in expected} == expected
    assert syncs["netsuite", "synced"] == 1 and syncs["netsuite", "retrying"] == 2
    assert syncs["netsuite", "failed"] == 3 and syncs["xero", "synced"] == 1
    errors = _values(families, "integrations_sync_errors")
    assert errors == {
        ("validation", "netsuite", "failed"): 1, ("not_found", "netsuite", "failed"): 1,
        ("missing_gl_account", "netsuite", "failed"): 1, ("transient", "netsuite", "retrying"): 1,
        ("rate_limited", "netsuite", "retrying"): 1, ("auth_expired", "cin7", "failed"): 1,
    }

    # Pushes (the attempt rows), failures by category, the retryable ones.
    attempts = _values(families, "integrations_push_attempts", "integrations_push_attempts_total")
    rows = SyncAttempt.objects.values("sync__connection__provider", "outcome").annotate(n=Count("id")).order_by()
    assert attempts == {(r["outcome"], r["sync__connection__provider"]): r["n"] for r in rows}
    assert attempts[("failed", "netsuite")] == 5 and attempts[("succeeded", "xero")] == 1
    failures = _values(families, "integrations_push_failures", "integrations_push_failures_total")
    assert failures == {("validation", "netsuite"): 1, ("transient", "netsuite"): 1, ("rate_limited", "netsuite"): 1,
                        ("not_found", "netsuite"): 1, ("missing_gl_account", "netsuite"): 1}
    retries = _values(families, "integrations_push_retryable_failures",
                      "integrations_push_retryable_failures_total")
    assert retries == {("transient", "netsuite"): 1, ("rate_limited", "netsuite"): 1}

    # Latency of the pushes finished in the window: a count per provider, cumulative buckets, the sum.
    for provider in ("netsuite", "unleashed", "xero"):
        done = list(SyncAttempt.objects.filter(sync__connection__provider=provider,
                                               outcome__in=("succeeded", "failed")))
        count = _values(families, "integrations_push_duration_seconds", "integrations_push_duration_seconds_count")
        assert count[provider] == len(done)
        took = [(a.finished_at - a.started_at).total_seconds() for a in done]
        total = _values(families, "integrations_push_duration_seconds", "integrations_push_duration_seconds_sum")
        assert total[provider] == pytest.approx(sum(took), abs=1e-3)
        buckets = _values(families, "integrations_push_duration_seconds", "integrations_push_duration_seconds_bucket",
                          provider=provider)
        for bound, value in buckets.items():
            assert value == sum(1 for t in took if bound == "+Inf" or t <= float(bound))

    # Queues: the retries wait as scheduled jobs, the sweep job waits on its queue (with its age).
    jobs_ = _values(families, "integrations_queue_jobs")
    assert jobs_["pushes", "scheduled"] == 2 and jobs_["pushes", "queued"] == 0
    assert jobs_["maintenance", "queued"] == 1 == django_rq.get_queue("maintenance").count
    assert jobs_["bulk", "failed"] == 0
    age = _values(families, "integrations_queue_oldest_job_age_seconds")
    enqueued = Job.fetch(mixed_run.id, connection=queue.redis()).enqueued_at
    assert abs(age["maintenance"] - (time.time() - enqueued.replace(tzinfo=dt.timezone.utc).timestamp())) < 5
    assert age["pushes"] == 0
    assert _values(families, "integrations_queue_scheduled_overdue_seconds")["pushes"] == 0  # due in 30 s or more

    # Connections by provider, state and health, as integrations_core.health words each one.
    expected = {}
    for c in Connection.objects.all():
        key = (connection_health(c), c.provider, c.state)
        expected[key] = expected.get(key, 0) + 1
    assert _values(families, "integrations_connections") == expected
    assert expected[("lapsing", "xero", "connected")] == 1 and expected[("ok", "unleashed", "connected")] == 1

    # Webhook events, re-sync runs, Xero's budget per organisation.
    assert _values(families, "integrations_webhook_events") == {("paid", "xero"): 2, ("pending", "xero"): 1}
    assert _values(families, "integrations_webhook_events_oldest_pending_age_seconds")["xero"] < 60
    assert _values(families, "integrations_resync_runs") == {"queued": 0, "running": 1, "done": 1, "failed": 0}
    assert _values(families, "integrations_resync_run_invoices_left")[()] == 7
    budget = _values(families, "integrations_xero_budget_remaining_calls")
    reported = limits.remaining(TENANT_NZ)
    assert reported["minute"] is not None
    assert budget == {(TENANT_NZ, "day"): reported["day"], (TENANT_NZ, "minute"): reported["minute"]}
    assert 0 <= _values(families, "integrations_xero_budget_report_age_seconds")[TENANT_NZ] < 60
    app = _values(families, "integrations_xero_app_budget_remaining_calls")[()]
    assert app == limits.app_reported()["minute"] and 0 < app < 10_000  # the local Xero's app limit, counted down

    assert set(_values(families, "integrations_metrics_section_up").values()) == {1}


def test_metrics_a_section_that_fails_is_left_out_and_said_so(client, supplier, netsuite, monkeypatch):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr(metrics, "_attempts", broken)
    families = _scrape(client)
    assert "integrations_push_attempts" not in families
    assert _values(families, "integrations_metrics_section_up")["attempts"] == 0
    assert _values(families, "integrations_metrics_section_up")["syncs"] == 1
    assert "integrations_syncs" in families


def test_metrics_refuse_a_scrape_without_the_token(client, settings):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics")["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    assert b"integrations_" not in client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").content
    settings.METRICS_TOKEN = ""  # no token set: no bearer gets in, not even an empty one
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer").status_code == 401


def test_metrics_open_to_a_staff_session_only(client, django_user_model):
    django_user_model.objects.create_user(username="shopper", password="pw-12345")
    client.login(username="shopper", password="pw-12345")
    assert client.get("/metrics").status_code == 401
    support_user()
    client.login(username="support", password="support-pass")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "integrations_syncs" in {f.name for f in text_string_to_metric_families(response.content.decode())}
    assert client.post("/metrics").status_code == 405


def test_metrics_speak_openmetrics_when_asked(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
                          HTTP_ACCEPT="application/openmetrics-text; version=1.0.0")
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().endswith("# EOF\n")


def test_metrics_cost_a_few_queries_whatever_the_rows(client, supplier, netsuite, worker,
                                                      django_assert_max_num_queries):
    product = ProductFactory(supplier=supplier)
    for _ in range(3):
        make_invoice(supplier, lines=[line(product)])
    worker.run()
    with django_assert_max_num_queries(12):  # a session/auth read or two, the database clock, one per section
        _scrape(client)
