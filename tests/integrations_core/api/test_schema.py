"""The published contract: /api/schema/ and /api/docs/ serve, /health/ reports its parts, and a property-based
run of schemathesis over the schema against a live server finds no server error and no response that breaks
the schema (status codes, content types, headers, bodies)."""

import subprocess
import sys
from pathlib import Path

import pytest

from integrations_core.models import ResyncRun, SyncState
from tests.factories import ConnectionFactory, ProductFactory, api_key_for, make_invoice

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,"
          "response_schema_conformance")


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
    assert len(operations) == 18
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
    """Something behind every id the fuzzer will ask for: a connection, invoices (one failed), a sync."""
    connection = ConnectionFactory(supplier=supplier, provider="netsuite")
    ConnectionFactory(supplier=supplier, provider="unleashed", expired=True)
    invoices = [make_invoice(supplier) for _ in range(3)]
    bad = make_invoice(supplier, product=ProductFactory(supplier=supplier, bad_account=True))
    sync = bad.syncs.get(connection=connection)
    sync.state, sync.error_category, sync.error_message = SyncState.FAILED, "invalid_account_or_tax", "bad code"
    sync.save()
    run = ResyncRun.objects.create(supplier=supplier, connection=connection, state="done", total=1, done=1,
                                   outcomes=[{"invoice_id": bad.pk, "number": bad.number, "result": "queued",
                                              "message": ""}])
    return {"connections": connection.pk, "invoices": invoices[0].pk, "syncs": sync.pk, "resync-runs": run.pk}


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, supplier, seeded, tmp_path,
                                                                    monkeypatch):
    from integrations_core.api.scoping import ActionThrottle

    monkeypatch.setattr(ActionThrottle, "THROTTLE_RATES", {"actions": "100000/min"})
    key = api_key_for(supplier)
    config = tmp_path / "schemathesis.toml"
    lines = [f'headers = {{ Authorization = "Api-Key {key}" }}', ""]
    for prefix, pk in seeded.items():
        lines += ["[[operations]]", f'include-path-regex = "^/api/v1/{prefix}/"',
                  f'parameters = {{ "path.id" = {pk} }}', ""]
    config.write_text("\n".join(lines))
    st = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(st), "--config-file", str(config), "run", f"{live_server.url}/api/schema/", "--checks", CHECKS,
         "--max-examples", "15", "--phases", "coverage,fuzzing", "--seed", "1", "--no-color",
         "--generation-database", "none", "--request-timeout", "20"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Tested: 18" in result.stdout
