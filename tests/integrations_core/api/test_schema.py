"""The published contract: /api/schema/ and /api/docs/ serve, /health/ reports its parts, and schemathesis, run
over the schema against a live server with every check it has, finds nothing.

The schemathesis run (`test_schemathesis_finds_nothing_with_every_check_and_a_stateful_run`) has `--checks all`:
no server error; status codes, content types, headers and bodies as documented; every schema-violating request
refused and every schema-valid one accepted; 405 with an `Allow` header for a method an operation lacks; 401 when
the credentials are left out or wrong; a second supplier's key never given an object the first one reads
(object_level_authorization); a resource found once created (and none used after it is deleted, though no
operation deletes). Its phases: the schema's examples; coverage (each parameter and field at and past its
bounds, of the wrong type, missing); fuzzing (MAX_EXAMPLES per operation); and a stateful phase of
STATEFUL_SCENARIOS chains through the OpenAPI links the schema publishes (api/schema.py), e.g. connect ->
disconnect; the connections -> a backlog -> an invoice -> its sync -> re-sync it; mark an invoice paid -> get it
-> update its order by the storefront's id; an invoice -> cancel it -> its diagnosis; the re-sync runs -> a run
-> its invoice.

Ids in paths are pinned to seeded objects so that the requests reach something, and list cursors to ones the
lists handed out (a forged cursor is a 400 by design). The few rules a JSON schema cannot state are allowed
their 400 on those operations only (`RULES_BEYOND_A_SCHEMA`). The server is this test's own, one thread keeping
its database connection: 40-60 s for the whole run."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

from integrations_core.models import SyncState
from tests.factories import (ConnectionFactory, finished_run, ProductFactory, SupplierFactory, api_key_for, make_invoice,
                             missed_while_expired)
from tests.integrations_core.api.conftest import client_with_key

# What positive_data_acceptance takes by default, and a 400 on top where a rule is beyond a JSON schema.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
RULES_BEYOND_A_SCHEMA = {
    # A line's product_sku must be one of the supplier's products, the number not another invoice's; due_date
    # not before issue_date; the lines' amounts within the total's limit; a cancelled invoice takes no change.
    "invoices_external_update": "unknown SKU, a number in use, due date before issue date, total over the limit, "
                                "a cancelled invoice",
    # `until` not before `since`.
    "connections_resync_create": "a date window that ends before it starts",
    # The service refuses these in the invoice's state with a 400 (tests/.../test_invoices.py holds it so).
    "invoices_cancel_create": "cancelling a paid invoice",
    "invoices_mark_paid_create": "marking a cancelled invoice paid",
    # What is still owed, the invoice's total and the organisation's lists are data, not schema.
    "invoices_payments_create": "a payment over what is still owed, or another part's id",
    "invoices_refund_create": "a refund over the invoice's total",
    "invoices_pdf_update": "a body that is not a PDF (its content, not its media type)",
    "connections_settings_partial_update": "a setting the provider does not have, or a value not in the "
                                           "organisation's lists now",
}
# schemathesis hooks. The coverage phase varies each parameter, but a pinned one (below) goes out as its pin, so
# its cases would all be the one same request: they are dropped (the other parameters' cases all go).
HOOKS = """
import schemathesis
from schemathesis.generation.meta import CoveragePhaseData

schemathesis.serializer.alias("application/pdf", "application/octet-stream")  # a PDF body goes as its bytes

PINNED = {("path", "id"), ("query", "cursor")}


@schemathesis.hook
def filter_case(context, case):
    data = case.meta.phase.data if case.meta is not None else None
    return not (isinstance(data, CoveragePhaseData) and data.parameter_location is not None
                and (data.parameter_location.value, data.parameter) in PINNED)
"""
IDENTITIES = ("storefront", "another supplier's storefront")  # each with its own supplier's API key
UNEXPECTED_METHODS = ["DELETE", "PATCH"]  # probed on each operation without them: 405 with an Allow header
MAX_EXAMPLES = 10  # fuzzed requests per operation (the coverage phase's cases are as many as the schema makes)
STATEFUL_SCENARIOS = 25  # chains of requests through the links


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/invoices/{id}/diagnosis/" in paths and "/api/v1/connections/{id}/resync/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content  # served from this app: works offline


@pytest.mark.django_db
def test_every_operation_is_described_for_a_storefront_developer(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    operations = [(method, path, op) for path, item in paths.items() for method, op in item.items()]
    assert len(operations) == 26
    for method, path, operation in operations:
        text = operation.get("description", "")
        assert len(text) > 40, (method, path)
        assert not any(word in text for word in ("mixin", "self.", "View ", ":return:", ":raises")), (method, path)


@pytest.mark.django_db
def test_health_reports_database_redis_and_queues(client):
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    report = response.json()
    assert any(name.startswith("Database") for name in report)
    assert any(name.startswith("Redis") for name in report)
    queues = next(value for name, value in report.items() if name.startswith("Queues"))
    assert "pushes:" in queues and "bulk:" in queues and "maintenance:" in queues


@pytest.fixture
def seeded(supplier):
    """Something behind every id the fuzzer will ask for: a connection with a backlog, invoices (one failed; one
    to cancel and one to mark paid, so that each of those goes on answering 200), a sync, re-sync runs."""
    connection = ConnectionFactory(supplier=supplier, provider="netsuite")
    ConnectionFactory(supplier=supplier, provider="unleashed", expired=True)
    # Sent by the storefront with its own ids, so the links to PUT /invoices/external/{external_id}/ resolve.
    invoice, to_cancel, to_pay = (make_invoice(supplier, external_id=f"ord-{n}") for n in range(3))
    bad = make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True))
    sync = bad.syncs.get(connection=connection)
    sync.state, sync.error_category, sync.error_message = SyncState.FAILED, "invalid_account_or_tax", "bad code"
    sync.save()
    missed_while_expired(connection, 2)
    runs = [finished_run(connection, [bad], result="queued") for _ in range(2)]
    return {"connections": connection.pk, "invoices": invoice.pk, "syncs": sync.pk, "resync-runs": runs[0].pk,
            "invoices_cancel_create": to_cancel.pk, "invoices_mark_paid_create": to_pay.pk}


class _OneThreadServer(WSGIServer):
    """Requests one after another on the server's thread (schemathesis sends them so), which keeps its database
    connection: the live_server fixture's threaded server opens one per request."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


class _ServerThread(LiveServerThread):
    server_class = _OneThreadServer


@pytest.fixture
def api_server(transactional_db, monkeypatch):
    """A live server for this test alone, its thread's database connection kept from request to request."""
    from django.db import connections

    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", None)
    thread = _ServerThread("localhost", lambda app: app)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://localhost:{thread.port}"
    thread.terminate()


def pinned_parameters(api, paths: dict, seeded: dict) -> dict[str, dict]:
    """operationId -> the parameters schemathesis sends as given: a seeded object's id in the path (cancel and
    mark-paid each their own invoice), and on a list a cursor the list handed out (its second page's; none when it
    has one page). A forged cursor is a 400 by design (test_hostile_input), so the fuzzer is not to make them."""
    pins = {}
    for path, item in paths.items():
        for method, operation in item.items():
            pk = seeded.get(operation["operationId"], seeded.get(path.split("/")[3]))
            parameters = {"path.id": pk} if "{id}" in path and pk is not None else {}
            if method == "get" and ("{id}" not in path or pk is not None) and any(
                    p["in"] == "query" and p["name"] == "cursor" for p in operation.get("parameters", [])):
                page = api.get(path.replace("{id}", str(pk)), {"page_size": 1})
                assert page.status_code == 200, (path, page.content[:300])
                following = page.json()["next"]
                parameters["query.cursor"] = parse_qs(urlsplit(following).query)["cursor"][0] if following else ""
            if parameters:
                pins[operation["operationId"]] = parameters
    return pins


def _toml(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value) if isinstance(value, int) else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def schemathesis_config(identities: Path, pins: dict[str, dict]) -> str:
    """schemathesis.toml: who calls (`identities`, a Web Fuzzing Commons auth file), how much to generate, and per
    operation the parameters pinned and the 400s allowed."""
    lines = [f"generation.max-examples = {MAX_EXAMPLES}", "",
             # The first identity makes the requests; object_level_authorization replays its reads as the other,
             # which must not see the first one's objects.
             "[auth.wfc]", f"path = {_toml(str(identities))}", f"peers = {_toml(list(IDENTITIES))}", "",
             "[phases.coverage]", f"unexpected-methods = {_toml(UNEXPECTED_METHODS)}", "",
             # The stateful phase follows the links the schema publishes (api/schema.py), none guessed.
             "[phases.stateful]", f"generation.max-examples = {STATEFUL_SCENARIOS}", "inference.algorithms = []", ""]

    def operations(operation_id: str, **settings):
        lines.extend(["[[operations]]", f"include-operation-id = {_toml(operation_id)}",
                      *(f"{name} = {_toml(setting)}" for name, setting in settings.items()), ""])

    for operation_id, parameters in pins.items():
        operations(operation_id, parameters=parameters)
    # Coverage tries every value of an enum: 150-odd currencies, each an invoice written. Its negative cases
    # (each field missing, of the wrong type, past its bounds) stay; positive bodies come from the example,
    # fuzzing and the stateful phase.
    operations("invoices_external_update", **{"phases.coverage.generation.mode": "negative"})
    for operation_id in RULES_BEYOND_A_SCHEMA:
        operations(operation_id, **{"checks.positive_data_acceptance.expected-statuses": [*ACCEPTED, "400"]})
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_nothing_with_every_check_and_a_stateful_run(api_server, supplier, seeded, tmp_path,
                                                                        monkeypatch):
    from integrations_core.api.scoping import ActionThrottle

    monkeypatch.setattr(ActionThrottle, "THROTTLE_RATES", {"actions": "100000/min"})
    keys = dict(zip(IDENTITIES, (api_key_for(supplier), api_key_for(SupplierFactory(name="Other Foods")))))
    api = client_with_key(keys["storefront"])
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    config, identities, hooks = tmp_path / "schemathesis.toml", tmp_path / "identities.json", tmp_path / "hooks.py"
    identities.write_text(json.dumps({"auth": [
        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Api-Key {key}"}]}
        for name, key in keys.items()]}))
    config.write_text(schemathesis_config(identities, pinned_parameters(api, paths, seeded)))
    hooks.write_text(HOOKS)
    st = Path(sys.executable).with_name("schemathesis")
    # One worker: the server takes one request at a time anyway, and Python 3.11's compile() is not thread-safe
    # (hypothesis parses sources from schemathesis' worker threads: "AST constructor recursion depth mismatch").
    result = subprocess.run(
        [str(st), "--config-file", str(config), "run", f"{api_server}/api/schema/", "--checks", "all",
         "--phases", "examples,coverage,fuzzing,stateful", "--workers", "1", "--seed", "1", "--no-color",
         "--generation-database", "none", "--request-timeout", "20"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "SCHEMATHESIS_HOOKS": str(hooks)})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert f"Tested: {sum(len(item) for item in paths.values())}" in result.stdout
    assert "Stateful (in" in result.stdout and "Scenarios:" in result.stdout
