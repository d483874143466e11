"""Structured logs: one JSON object a line; a push's lines, from trigger to outcome, found by its invoice id and tied
by its sync, connection, RQ job and attempt ids (and Xero's correlation id); no token or secret on any line."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from integrations_core import log_context
from integrations_core.error_reports import before_send
from integrations_core.models import SyncAttempt
from plugins.stub import store
from tests.factories import ProductFactory, line, make_invoice
from tests.xero_plugin.connecting import xero_connection

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def log_lines():
    """What the service logs, as the JSON lines its configured handler writes (LOGGING's formatter and filter)."""
    stream = io.StringIO()
    config = django_settings.LOGGING
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_context.JsonFormatter())
    handler.addFilter(log_context.ContextFilter())
    assert config["formatters"]["json"]["()"] == "integrations_core.log_context.JsonFormatter"
    assert config["filters"]["context"]["()"] == "integrations_core.log_context.ContextFilter"
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(text) for text in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def _story(lines: list[dict], invoice_id: int) -> list[dict]:
    return [entry for entry in lines if entry.get("invoice_id") == invoice_id]


def test_logs_tell_one_push_from_trigger_to_outcome_by_its_invoice_id(supplier, netsuite, worker, log_lines):
    invoice = make_invoice(supplier)
    other = make_invoice(supplier)
    worker.run()

    story = _story(log_lines(), invoice.pk)
    assert [e["message"] for e in story] == ["push requested", "push claimed", "push succeeded"]
    attempt = SyncAttempt.objects.get(sync__invoice=invoice)
    for entry in story:
        assert entry["sync_id"] == attempt.sync_id and entry["connection_id"] == netsuite.pk
        assert entry["provider"] == "netsuite" and entry["logger"].startswith("integrations_core.")
        assert entry["level"] in ("INFO", "WARNING") and entry["timestamp"]
    requested, claimed, outcome = story
    assert requested["trigger"] == "invoice_generated" and requested["action"] == "queued"
    assert claimed["job_id"].startswith(f"push-{attempt.sync_id}-") and claimed["version"] == 1
    assert outcome["job_id"] == claimed["job_id"]
    assert outcome["attempt_id"] == attempt.pk and outcome["state"] == "synced" and outcome["outcome"] == "succeeded"
    assert outcome["http_status"] == attempt.http_status == 200
    assert outcome["request_id"] == attempt.remote_request_id != ""
    assert outcome["duration_ms"] >= 0
    assert _story(log_lines(), other.pk)[-1]["job_id"] != claimed["job_id"]  # each push its own job


def test_logs_of_a_failed_push_carry_its_category_and_no_secret(supplier, netsuite, worker, log_lines, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 60
    store.inject_fault(netsuite, "timeout")
    retried = make_invoice(supplier)
    worker.run()
    # The stub remote's refusal carries a token in its body ("access_token": "should-never-be-stored").
    store.inject_fault(netsuite, "validation", message="no access_token=leaked-in-a-message please")
    refused = make_invoice(supplier)
    worker.run()
    logging.getLogger("integrations_core.test").warning(
        "a careless line api_key=%s", netsuite.credentials["api_key"],
        extra={"credentials": netsuite.credentials, "invoice_id": refused.pk})

    outcome = _story(log_lines(), retried.pk)[-1]
    assert outcome["message"] == "push failed" and outcome["level"] == "WARNING"
    assert (outcome["state"], outcome["category"]) == ("retrying", "transient")
    outcome = [e for e in _story(log_lines(), refused.pk) if e["message"] == "push failed"][-1]
    assert (outcome["state"], outcome["category"], outcome["http_status"]) == ("failed", "validation", 400)
    text = "\n".join(json.dumps(e) for e in log_lines())
    for secret in ("secret-api-key", "should-never-be-stored", "leaked-in-a-message"):
        assert secret not in text
    careless = [e for e in log_lines() if e["message"].startswith("a careless line")][0]
    assert careless["message"] == "a careless line api_key=[removed]" and careless["credentials"] == "[removed]"


def test_logs_of_a_xero_push_carry_xero_s_correlation_id_and_no_token(supplier, xero, worker, log_lines, caplog):
    caplog.set_level(logging.DEBUG, logger="xero_plugin.client")  # a line per Xero call
    connection = xero_connection(xero, supplier)
    product = ProductFactory(supplier=supplier, sku="BREAD", sales_account_code="200", tax_type="OUTPUT2")
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()

    story = _story(log_lines(), invoice.pk)
    pushes = [e for e in story if not e["message"].startswith("xero call")]
    assert [e["message"] for e in pushes] == ["push requested", "push claimed", "push succeeded"]
    outcome = pushes[-1]
    attempt = SyncAttempt.objects.get(sync__invoice=invoice)
    assert outcome["provider"] == "xero" and outcome["state"] == "synced"
    assert outcome["request_id"] == attempt.remote_request_id != ""  # the Xero-Correlation-Id of the upsert
    assert outcome["xero_correlation_id"]  # of the push's latest Xero call
    [upsert] = [e for e in story if e["message"] == "xero call update_or_create_invoices"]
    assert upsert["xero_correlation_id"] == attempt.remote_request_id and upsert["http_status"] == 200
    assert upsert["sync_id"] == attempt.sync_id and upsert["job_id"] == outcome["job_id"]
    connection.refresh_from_db()
    text = "\n".join(json.dumps(e) for e in log_lines())
    token = connection.credentials["token"]
    for name in ("access_token", "refresh_token"):
        assert token[name] and token[name] not in text


def test_log_context_binds_ids_for_a_block_only():
    with log_context.bind(sync_id=1, job_id=None):
        log_context.update(invoice_id=2)
        assert log_context.current() == {"sync_id": 1, "invoice_id": 2}
        with log_context.bind(attempt_id=3):
            assert log_context.current() == {"sync_id": 1, "invoice_id": 2, "attempt_id": 3}
        log_context.update(invoice_id=None)
        assert log_context.current() == {"sync_id": 1}
    assert log_context.current() == {}
    log_context.update(invoice_id=9)  # outside any block: nothing stays on the thread's context
    assert log_context.current() == {}


def test_log_text_format_is_scrubbed_and_carries_the_ids():
    record = logging.LogRecord("integrations_core.sync", logging.INFO, __file__, 1, "push failed token=%s", ("x",),
                               None)
    record.sync_id, record.state, record.note = 4, "failed", "Bearer abc.def"
    text = log_context.TextFormatter().format(record)
    assert text.endswith("push failed token=x [sync_id=4 note=Bearer [removed] state=failed]")


def test_sentry_events_are_scrubbed_before_they_leave():
    event = {"message": "refresh failed: refresh_token=abc123",
             "exception": {"values": [{"value": "401 Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"}]},
             "extra": {"credentials": {"api_key": "k"}, "sync_id": 3},
             "request": {"headers": {"Authorization": "Bearer zzz", "Accept": "*/*"}}}
    sent = json.dumps(before_send(event, {}))
    for secret in ("abc123", "eyJzdWIi", '"k"', "zzz"):
        assert secret not in sent
    assert '"sync_id": 3' in sent and '"Accept": "*/*"' in sent


def test_sentry_is_off_by_default_and_on_with_a_dsn():
    code = ("import django, sentry_sdk; django.setup(); c = sentry_sdk.get_client(); "
            "print(c.is_active(), sorted(c.integrations) if c.is_active() else [], "
            "c.options['send_default_pii'] if c.is_active() else None)")
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    off = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert off.stdout.split()[0] == "False", off.stderr[-2000:]
    env["SENTRY_DSN"] = "https://public@127.0.0.1:9/1"  # nothing listens there; nothing is sent by this
    on = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert on.stdout.startswith("True"), on.stderr[-2000:]
    assert "'django'" in on.stdout and "'rq'" in on.stdout and on.stdout.strip().endswith("False")
