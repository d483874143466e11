"""Connecting a provider that takes credentials typed in by the supplier (Cin7's account id and API key), not an
OAuth redirect: the same start link leads to a form; a refused value is named on the form and nothing connects."""

import pytest
from django.contrib.auth.models import User
from django.db import connection as db
from django.test import Client

from integrations_core.models import Connection

pytestmark = pytest.mark.django_db

KEY = "c7-3f9a1b2c4d5e6f70"


@pytest.fixture
def staff():
    client = Client()
    client.force_login(User.objects.create_superuser("owner", password="x"))
    return client


def test_a_typed_in_api_key_connects_cin7_and_is_kept_encrypted(staff, supplier):
    started = staff.get(f"/connect/admin/cin7/?supplier={supplier.pk}")
    assert started.status_code == 302 and started["Location"] == "/connect/credentials/"
    form = staff.get("/connect/credentials/").content.decode()
    assert "Account ID" in form and "API key" in form and 'type="password"' in form

    done = staff.post("/connect/credentials/", {"account_id": "ACME-1", "api_key": KEY})

    assert done.status_code == 302 and "outcome=connected" in done["Location"]
    connection = Connection.objects.get(supplier=supplier, provider="cin7")
    assert connection.is_connected and connection.credentials["api_key"] == KEY
    with db.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations_core_connection WHERE id = %s", [connection.pk])
        assert KEY not in str(cursor.fetchone()[0])


def test_a_refused_key_is_named_on_the_form_and_connects_nothing(staff, supplier):
    staff.get(f"/connect/admin/cin7/?supplier={supplier.pk}")

    refused = staff.post("/connect/credentials/", {"account_id": "ACME-1", "api_key": "short"})
    missing = staff.post("/connect/credentials/", {"account_id": "", "api_key": KEY})

    body = refused.content.decode()
    assert refused.status_code == 400 and "Cin7 did not accept this api key" in body
    assert 'value="ACME-1"' in body and "short" not in body  # what was typed stays, but never the key
    assert missing.status_code == 400 and "Account ID is required." in missing.content.decode()
    assert not Connection.objects.filter(supplier=supplier, provider="cin7", state="connected").exists()


def test_the_form_is_refused_when_no_connection_is_waiting_for_it(staff):
    assert staff.get("/connect/credentials/").status_code == 400
