"""The admin's settings page of a connection: a form built from the plugin's fields, with the organisation's own
lists as selects (read from the local Xero through the real SDK); saving keeps who changed what; a refused value
is shown in the form; the Support group views but may not save."""

import pytest
from django.contrib.auth.models import Permission, User

from integrations_core.models import Connection, SettingsChange
from tests.factories import ConnectionFactory, support_user
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


@pytest.fixture
def support(client):
    client.force_login(support_user())
    return client


def page_url(connection) -> str:
    return f"/admin/integrations_core/connection/{connection.pk}/settings/"


def form_data(page, **changes) -> dict:
    """What the browser sends for the form as the page shows it, with `changes` made (a mapping as a dict)."""
    data = {}
    for row in page.context["rows"]:
        key = row["field"].key
        if row["kind"] != "mapping":
            data[row["name"]] = changes.get(key, row["value"])
            continue
        entries = row["entries"]
        pairs = list(changes[key].items()) if key in changes else [(e["key"], e["value"]) for e in entries]
        pairs += [("", "")] * (len(entries) - len(pairs))
        for entry, (name, value) in zip(entries, pairs):
            data[entry["key_name"]], data[entry["value_name"]] = name, value
    return data


def stored(connection) -> dict:
    return Connection.objects.get(pk=connection.pk).settings


def test_the_connection_page_links_to_its_settings(support, xero_conn):
    page = support.get(f"/admin/integrations_core/connection/{xero_conn.pk}/change/").content.decode()
    assert f'href="{page_url(xero_conn)}"' in page and ">Settings</a>" in page


def test_the_page_shows_selects_of_the_organisations_accounts(root, xero, xero_conn):
    xero.control.add_tracking_category(TENANT_NZ, "Region", options=["North"])
    page = root.get(page_url(xero_conn))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<select name="s-sales_account_code"' in html
    assert '<option value="210">210 Services Income</option>' in html
    assert '<option value="260"' not in html  # archived in Xero
    assert '<option value="AUTHORISED" selected>' in html  # the value in force (the default)
    assert '<option value="090" selected>090 Business Bank Account</option>' in html  # payment account
    # a mapping: rows of (category as text, account select), a few of them empty to add to it
    assert '<input type="text" name="m-category_accounts-k-0" value=""' in html
    assert '<select name="m-category_accounts-v-0"' in html
    assert 'name="m-category_accounts-k-2"' in html
    # tracking: its keys are the organisation's tracking categories, its values free text
    assert '<select name="m-tracking-k-0"' in html and '<option value="Region">Region</option>' in html
    assert '<input type="text" name="m-tracking-v-0"' in html
    assert 'type="submit" value="Save"' in html
    assert "No changes yet." in html


def test_a_save_stores_the_change_and_shows_it_in_the_history(root, xero, xero_conn):
    xero.control.add_tracking_category(TENANT_NZ, "Region", options=["North"])
    page = root.get(page_url(xero_conn))
    data = form_data(page, sales_account_code="210", category_accounts={"dairy": "200"},
                     tracking={"Region": "delivery_region"})
    saved = root.post(page_url(xero_conn), data, follow=True)
    assert saved.redirect_chain == [(page_url(xero_conn), 302)]
    html = saved.content.decode()
    assert "Xero settings of" in html and "saved: Default sales account, Sales account per product category, " \
                                          "Tracking." in html
    assert stored(xero_conn) == {"sales_account_code": "210", "category_accounts": {"dairy": "200"},
                                 "tracking": {"Region": "delivery_region"}}
    change = SettingsChange.objects.get(connection=xero_conn)
    assert change.changed_by == "root"
    assert change.changes["sales_account_code"] == {"from": "", "to": "210"}
    history = html[html.index('id="settings-history"'):]
    assert "<td>root</td>" in history
    assert "Default sales account: (not set) &rarr; 210" in history
    assert "Sales account per product category: (not set) &rarr; dairy → 200" in history
    # the form shows the values now in force, and a saved mapping keeps empty rows to add to it
    assert '<option value="210" selected>210 Services Income</option>' in html
    assert 'name="m-category_accounts-k-0" value="dairy"' in html and 'name="m-category_accounts-k-3"' in html

    again = root.post(page_url(xero_conn), form_data(root.get(page_url(xero_conn))), follow=True)
    assert "Nothing changed." in again.content.decode()
    assert SettingsChange.objects.count() == 1


def test_removing_a_mapping_row_is_a_change(root, xero, supplier):
    from tests.xero_plugin.connecting import xero_connection

    connection = xero_connection(xero, supplier, category_accounts={"dairy": "200", "bakery": "210"})
    page = root.get(page_url(connection))
    root.post(page_url(connection), form_data(page, category_accounts={"bakery": "210"}))
    assert stored(connection)["category_accounts"] == {"bakery": "210"}
    assert SettingsChange.objects.get().changes["category_accounts"]["from"] == {"dairy": "200", "bakery": "210"}


def test_a_value_the_organisation_does_not_have_is_shown_as_an_error_in_the_form(root, xero_conn):
    page = root.get(page_url(xero_conn))
    refused = root.post(page_url(xero_conn), form_data(page, sales_account_code="999", freight_account_code="210"))
    assert refused.status_code == 200
    html = refused.content.decode()
    assert '<p class="errornote" role="alert">Some settings were not changed.</p>' in html
    assert 'id="errors-sales_account_code"' in html
    assert "&#x27;999&#x27; is not one of the organisation&#x27;s choices in Xero" in html
    # the form keeps what was sent, the refused value said to be unknown
    assert '<option value="999" selected>999 (not in Xero now)</option>' in html
    assert stored(xero_conn) == {} and not SettingsChange.objects.exists()


def test_a_mapping_row_without_a_value_is_an_error_of_the_form(root, xero_conn):
    page = root.get(page_url(xero_conn))
    refused = root.post(page_url(xero_conn), form_data(page, category_accounts={"dairy": ""}))
    assert refused.status_code == 200
    assert "dairy: choose its value, or clear the row to remove it." in refused.content.decode()
    assert stored(xero_conn) == {}


def test_a_value_no_longer_in_xero_is_kept_and_does_not_stop_other_changes(root, xero, supplier):
    from tests.xero_plugin.connecting import xero_connection

    connection = xero_connection(xero, supplier, sales_account_code="260")  # archived in Xero since
    page = root.get(page_url(connection))
    assert '<option value="260" selected>260 (not in Xero now)</option>' in page.content.decode()
    saved = root.post(page_url(connection), form_data(page, discount_account_code="200"), follow=True)
    assert "saved: Discount account." in saved.content.decode()
    assert stored(connection) == {"sales_account_code": "260", "discount_account_code": "200"}


def test_a_support_user_saves_the_settings_but_a_viewer_cannot(support, client, xero_conn):
    page = support.get(page_url(xero_conn))
    saved = support.post(page_url(xero_conn), form_data(page, discount_account_code="200"), follow=True)
    assert "saved: Discount account." in saved.content.decode()
    assert SettingsChange.objects.get().changed_by == "support"

    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_connection", "support_any_supplier"]))
    client.force_login(viewer)
    page = client.get(page_url(xero_conn))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<select name="s-sales_account_code" id="id-sales_account_code" disabled>' in html
    assert 'value="Save"' not in html
    refused = client.post(page_url(xero_conn), form_data(page, sales_account_code="210"))
    assert refused.status_code == 403
    assert SettingsChange.objects.count() == 1


def test_xero_not_answering_is_said_on_the_page(root, xero, xero_conn):
    xero.control.inject_fault("503", count=10, path="/Accounts")
    page = root.get(page_url(xero_conn))
    assert page.status_code == 200
    assert "Xero could not be read for the settings&#x27; choices" in page.content.decode()


def test_a_connection_that_is_not_connected_is_said_on_the_page(root, supplier):
    expired = ConnectionFactory(supplier=supplier, provider="xero", tenant_id="t-1", expired=True)
    for response in (root.get(page_url(expired)), root.post(page_url(expired), {"s-sales_account_code": "200"})):
        assert response.status_code == 200
        assert "connect it to read or change its settings" in response.content.decode()
    assert not SettingsChange.objects.exists()


def test_a_provider_without_settings_says_so(root, netsuite):
    page = root.get(page_url(netsuite)).content.decode()
    assert "NetSuite connections have no settings." in page


def test_an_unknown_connection_is_not_a_server_error(root):
    response = root.get("/admin/integrations_core/connection/999999/settings/")
    assert response.status_code == 302  # to the admin's index, with "does not exist"
