"""A connection's integration settings through the API: GET lists the fields with the organisation's own choices
(read from the local Xero through the real SDK), PATCH changes them all or nothing, keeping who made the change;
a supplier's key sees only its own connections; a support session reads but may not change them."""

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from integrations_core.models import ApiKey, Connection, SettingsChange
from tests.factories import ConnectionFactory, support_user
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


def url(connection) -> str:
    return f"/api/v1/connections/{connection.pk}/settings/"


def patch(client, connection, **settings):
    return client.patch(url(connection), {"settings": settings}, format="json")


def stored(connection) -> dict:
    return Connection.objects.get(pk=connection.pk).settings


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_get_lists_the_fields_with_the_organisations_accounts_as_choices(api, xero_conn):
    response = api.get(url(xero_conn))
    assert response.status_code == 200, response.json()
    body = response.json()
    fields = {f["key"]: f for f in body["fields"]}
    sales = {c["value"]: c["label"] for c in fields["sales_account_code"]["choices"]}
    assert sales["200"] == "200 Sales" and sales["210"] == "210 Services Income"
    assert "260" not in sales  # archived in Xero
    assert "090" not in sales  # a bank account, not a sales account
    payment = {c["value"] for c in fields["payment_account_code"]["choices"]}
    assert "090" in payment
    category = fields["category_accounts"]
    assert category["mapping"] == "product category" and category["key_choices"] is None
    assert {c["value"] for c in category["choices"]} >= {"200", "210"}
    assert fields["tracking"]["mapping"] == "tracking category" and fields["tracking"]["choices"] is None
    assert set(fields["invoice_status"]) == {"key", "label", "help", "choices", "mapping", "key_choices", "default"}
    assert body["values"]["invoice_status"] == "AUTHORISED" and body["values"]["payment_account_code"] == "090"
    assert body["values"]["sales_account_code"] == "" and body["values"]["category_accounts"] == {}
    assert body["changes"] == []


def test_the_tracking_categories_offered_are_the_organisations_active_ones(api, xero, xero_conn):
    xero.control.add_tracking_category(TENANT_NZ, "Region", options=["North", "South"])
    xero.control.add_tracking_category(TENANT_NZ, "Old", options=["A"], status="ARCHIVED")
    fields = {f["key"]: f for f in api.get(url(xero_conn)).json()["fields"]}
    assert [c["value"] for c in fields["tracking"]["key_choices"]] == ["Region"]

    assert patch(api, xero_conn, tracking={"Region": "delivery_region"}).status_code == 200
    refused = patch(api, xero_conn, tracking={"Old": "sales_channel"})
    assert refused.status_code == 400
    assert "'Old' is not a tracking category in Xero" in refused.json()["field_errors"]["tracking"][0]
    assert stored(xero_conn)["tracking"] == {"Region": "delivery_region"}


def test_a_valid_change_is_stored_and_kept_with_the_api_key_that_made_it(api, supplier, xero_conn):
    response = patch(api, xero_conn, sales_account_code="210", category_accounts={"dairy": "200"},
                     invoice_status="DRAFT")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["values"]["sales_account_code"] == "210" and body["values"]["invoice_status"] == "DRAFT"
    assert body["values"]["category_accounts"] == {"dairy": "200"}
    assert {f["key"] for f in body["fields"]} >= {"sales_account_code", "tracking"}  # the same body as GET
    assert stored(xero_conn) == {"sales_account_code": "210", "category_accounts": {"dairy": "200"},
                                 "invoice_status": "DRAFT"}

    key = ApiKey.objects.get(supplier=supplier)
    change = SettingsChange.objects.get(connection=xero_conn)
    assert change.changed_by == f"API key {key.prefix} (test)"
    assert change.changes == {"sales_account_code": {"from": "", "to": "210"},
                              "category_accounts": {"from": {}, "to": {"dairy": "200"}},
                              "invoice_status": {"from": "AUTHORISED", "to": "DRAFT"}}
    [listed] = body["changes"]
    assert listed["changed_by"] == change.changed_by and listed["changes"] == change.changes
    assert listed["changed_at"]

    # null puts a setting back to its default; the newest change is listed first
    reset = patch(api, xero_conn, invoice_status=None)
    assert reset.status_code == 200 and reset.json()["values"]["invoice_status"] == "AUTHORISED"
    assert "invoice_status" not in stored(xero_conn)
    assert [c["changes"] for c in api.get(url(xero_conn)).json()["changes"]][0] == {
        "invoice_status": {"from": "DRAFT", "to": "AUTHORISED"}}


def test_an_account_code_the_organisation_does_not_have_is_refused_naming_it_and_nothing_is_stored(api, xero_conn):
    response = patch(api, xero_conn, sales_account_code="999", freight_account_code="210",
                     category_accounts={"dairy": "260"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_input" and set(body) == {"code", "message", "field_errors"}
    assert set(body["field_errors"]) == {"sales_account_code", "category_accounts"}  # the valid one is not named
    assert "'999'" in body["field_errors"]["sales_account_code"][0]
    assert "'260'" in body["field_errors"]["category_accounts"][0]  # archived in Xero
    assert stored(xero_conn) == {}  # all or nothing: not even the valid freight account
    assert not SettingsChange.objects.exists()


def test_an_unknown_setting_is_refused(api, xero_conn):
    response = patch(api, xero_conn, colour="blue")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"colour": ["Unknown setting."]}
    assert stored(xero_conn) == {} and not SettingsChange.objects.exists()


@pytest.mark.parametrize("body", [{}, {"settings": {}}, {"settings": "210"}, {"settings": ["sales_account_code"]}])
def test_a_body_without_settings_to_change_is_refused(api, xero_conn, body):
    response = api.patch(url(xero_conn), body, format="json")
    assert response.status_code == 400
    assert "settings" in response.json()["field_errors"]
    assert not SettingsChange.objects.exists()


def test_another_suppliers_key_finds_no_such_connection(other_api, xero_conn):
    assert other_api.get(url(xero_conn)).status_code == 404
    response = patch(other_api, xero_conn, sales_account_code="210")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert stored(xero_conn) == {} and not SettingsChange.objects.exists()


def test_a_support_session_reads_and_changes_the_settings_and_is_kept_under_its_username(xero_conn):
    support = session(support_user())
    assert support.get(url(xero_conn)).status_code == 200
    response = patch(support, xero_conn, discount_account_code="200")
    assert response.status_code == 200, response.json()
    assert SettingsChange.objects.get().changed_by == "support"


def test_a_staff_session_without_the_settings_permission_may_not_change_them(xero_conn):
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_connection", "support_any_supplier"]))
    response = patch(session(User.objects.get(pk=viewer.pk)), xero_conn, sales_account_code="210")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "integrations_core.change_settings_connection" in response.json()["message"]
    assert stored(xero_conn) == {} and not SettingsChange.objects.exists()


def test_a_provider_without_settings_has_no_fields_and_refuses_a_change(api, netsuite):
    body = api.get(url(netsuite)).json()
    assert body == {"values": {}, "fields": [], "changes": []}
    response = patch(api, netsuite, sales_account_code="200")
    assert response.status_code == 400
    assert response.json()["field_errors"] == {"sales_account_code": ["NetSuite connections have no settings."]}
    assert stored(netsuite) == {}


def test_a_connection_that_is_not_connected_is_refused(api, supplier):
    expired = ConnectionFactory(supplier=supplier, provider="netsuite", expired=True)
    for response in (api.get(url(expired)), patch(api, expired, sales_account_code="200")):
        assert response.status_code == 409 and response.json()["code"] == "no_connection"
        assert "connect it to read or change its settings" in response.json()["message"]


def test_xero_not_answering_is_a_503_and_changes_nothing(api, xero, xero_conn):
    xero.control.inject_fault("503", count=10, path="/Accounts")
    for response in (api.get(url(xero_conn)), patch(api, xero_conn, sales_account_code="210")):
        assert response.status_code == 503
        assert response.json()["code"] == "settings_unavailable"
    assert stored(xero_conn) == {} and not SettingsChange.objects.exists()


def json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes a "null" type."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    return node


def test_a_xero_answer_is_what_the_schema_says(api, client, xero, xero_conn):
    import jsonschema

    xero.control.add_tracking_category(TENANT_NZ, "Region", options=["North"])
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    schema = {"$ref": "#/components/schemas/ConnectionSettings",
              "components": json_schema(document["components"])}
    changed = patch(api, xero_conn, tracking={"Region": "delivery_region"}, category_accounts={"dairy": "200"})
    assert changed.status_code == 200
    for body in (changed.json(), api.get(url(xero_conn)).json()):
        assert body["changes"] and any(f["key_choices"] for f in body["fields"])
        jsonschema.Draft202012Validator(schema).validate(body)


def test_the_schema_describes_both_operations(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    operations = paths["/api/v1/connections/{id}/settings/"]
    assert set(operations) == {"get", "patch"}
    assert "503" in operations["get"]["responses"] and "403" in operations["patch"]["responses"]
    body = operations["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["components"]
    assert schemas["schemas"][body]["required"] == ["settings"]
