"""A supplier's own Xero: the connection's integration settings, checked against the organisation's lists and
applied to what is pushed, end to end through the real SDK and the local Xero."""

import pytest

from integrations_core.connection_settings import connection_settings, connection_settings_update
from integrations_core.errors import InvalidInput
from integrations_core.invoices import LineInput
from integrations_core.models import InvoiceSync, LineKind, SettingsChange, SyncState
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sku="BREAD", sales_account_code="200", tax_type="OUTPUT2")


def _set(connection, **changes):
    return connection_settings_update(connection=connection, changes=changes, changed_by="support")


def _remote(xero, invoice):
    [remote] = xero.control.invoices(TENANT_NZ, invoice_number=invoice.number)
    return remote


def test_the_settings_offer_the_organisations_own_lists(xero, xero_conn):
    view = connection_settings(connection=xero_conn)
    fields = {f.key: f for f in view.fields}
    assert dict(fields["sales_account_code"].choices)["200"] == "200 Sales"
    assert "260" not in dict(fields["sales_account_code"].choices)  # archived
    assert "090" in dict(fields["payment_account_code"].choices)
    assert "OUTPUT2" in dict(fields["tax_type"].choices) and "INPUT2" not in dict(fields["tax_type"].choices)
    assert "Standard" in dict(fields["branding_theme_id"].choices).values()
    assert view.values["invoice_status"] == "AUTHORISED" and view.values["payment_account_code"] == "090"


@pytest.mark.parametrize("setting, value, named", [
    ("sales_account_code", "999", "'999'"),
    ("freight_account_code", "260", "'260'"),  # archived in Xero
    ("payment_account_code", "400", "'400'"),  # an expense account takes no payments
    ("tax_type", "TAX001", "'TAX001'"),  # deleted
    ("invoice_status", "PAID", "'PAID'"),
    ("category_accounts", {"dairy": "999"}, "dairy: '999'"),
])
def test_a_setting_xero_does_not_have_is_refused_naming_it_and_nothing_changes(xero, xero_conn, setting, value,
                                                                               named):
    with pytest.raises(InvalidInput) as refused:
        _set(xero_conn, **{setting: value})
    [message] = refused.value.field_errors[setting]
    assert named in message and "Xero" in message
    xero_conn.refresh_from_db()
    assert setting not in xero_conn.settings and not SettingsChange.objects.exists()


def test_a_change_is_kept_with_who_made_it(xero, xero_conn):
    _set(xero_conn, invoice_status="DRAFT", payment_account_code="090", sales_account_code="210")
    [change] = SettingsChange.objects.all()
    assert change.changed_by == "support"
    assert change.changes == {"invoice_status": {"from": "AUTHORISED", "to": "DRAFT"},
                              "sales_account_code": {"from": "", "to": "210"}}


@pytest.mark.parametrize("status", ["DRAFT", "AUTHORISED"])
def test_invoices_go_to_xero_as_draft_or_approved_as_the_settings_say(status, xero, xero_conn, supplier, product,
                                                                      worker):
    _set(xero_conn, invoice_status=status)
    invoice = make_invoice(supplier, lines=[line(product)])
    worker.run()
    assert _remote(xero, invoice)["Status"] == status
    assert InvoiceSync.objects.get(invoice=invoice).state == SyncState.SYNCED


def test_freight_surcharge_and_discount_lines_go_to_their_accounts(xero, xero_conn, supplier, product, worker):
    _set(xero_conn, freight_account_code="210", surcharge_account_code="270", discount_account_code="200")
    invoice = make_invoice(supplier, lines=[
        line(product, quantity="2", unit_price="10"),
        LineInput(description="Delivery", quantity=1, unit_price="8", kind=LineKind.FREIGHT, tax_type="OUTPUT2"),
        LineInput(description="Card surcharge", quantity=1, unit_price="1.50", kind=LineKind.SURCHARGE,
                  tax_type="OUTPUT2"),
        LineInput(description="Loyalty discount", quantity=1, unit_price="-2", kind=LineKind.DISCOUNT,
                  tax_type="OUTPUT2"),
    ])
    worker.run()
    accounts = [(li["Description"], li["AccountCode"]) for li in _remote(xero, invoice)["LineItems"]]
    assert accounts == [(product.name, "200"), ("Delivery", "210"),
                        ("Card surcharge", "270"), ("Loyalty discount", "200")]


def test_a_product_category_and_the_default_give_a_line_its_account(xero, xero_conn, supplier, worker):
    _set(xero_conn, sales_account_code="200", category_accounts={"services": "210"}, tax_type="OUTPUT2")
    service = ProductFactory(supplier=supplier, sku="CLEAN", sales_account_code="", tax_type="", category="services")
    plain = ProductFactory(supplier=supplier, sku="MISC", sales_account_code="", tax_type="")
    invoice = make_invoice(supplier, lines=[line(service), line(plain)])
    worker.run()
    lines = _remote(xero, invoice)["LineItems"]
    assert [(li["AccountCode"], li["TaxType"]) for li in lines] == [("210", "OUTPUT2"), ("200", "OUTPUT2")]


def test_the_reference_and_branding_theme_follow_the_settings(xero, xero_conn, supplier, product, worker):
    themes = {label: value for value, label in dict(
        (f.key, f) for f in connection_settings(connection=xero_conn).fields)["branding_theme_id"].choices}
    _set(xero_conn, reference="po_number", branding_theme_id=themes["Special Projects"])
    invoice = make_invoice(supplier, lines=[line(product)], order_reference="ORD-7", po_number="PO-4471")
    worker.run()
    remote = _remote(xero, invoice)
    assert (remote["Reference"], remote["BrandingThemeID"]) == ("PO-4471", themes["Special Projects"])


def test_an_invoice_in_a_currency_the_organisation_has_not_added_fails_before_any_call(xero, xero_conn, supplier,
                                                                                       product, worker):
    invoice = make_invoice(supplier, lines=[line(product)], currency="JPY")
    worker.run()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.error_category) == (SyncState.FAILED, "currency_not_enabled")
    assert sync.error_message == ("The invoice's currency is not set up in Xero: JPY is not one of the "
                                  "organisation's currencies in Xero")
    assert "Currencies" in sync.error_fix
    assert xero.control.call_count(method="POST", endpoint_contains="Invoices") == 0


def test_a_setting_pointing_at_an_account_archived_since_fails_preflight_naming_the_setting(
        xero, xero_conn, supplier, worker):
    xero_conn.settings = {"sales_account_code": "260"}  # chosen when it was active; archived in Xero since
    xero_conn.save()
    plain = ProductFactory(supplier=supplier, sku="MISC", sales_account_code="", tax_type="OUTPUT2")
    invoice = make_invoice(supplier, lines=[line(plain)])
    worker.run()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.error_category) == (SyncState.FAILED, "invalid_account_or_tax")
    assert sync.error_message.startswith("Account/Tax Rate must be Valid")
    assert "'260' (from the sales_account_code setting) is archived in Xero" in sync.error_message


def test_tracking_comes_from_a_field_of_the_order_and_an_archived_option_fails_preflight(xero, xero_conn, supplier,
                                                                                        product, worker):
    xero.control.add_tracking_category(TENANT_NZ, "Region", options=["North", "South"])
    xero.control.add_tracking_category(TENANT_NZ, "Channel", options=["Wholesale", "Retail"])
    with pytest.raises(InvalidInput) as refused:
        _set(xero_conn, tracking={"Department": "sales_channel"})
    assert "'Department' is not a tracking category in Xero" in refused.value.field_errors["tracking"][0]
    _set(xero_conn, tracking={"Region": "delivery_region", "Channel": "sales_channel"})

    invoice = make_invoice(supplier, lines=[line(product), line(product, unit_price="5")],
                           attributes={"delivery_region": "North", "sales_channel": "Wholesale"})
    worker.run()
    for remote_line in _remote(xero, invoice)["LineItems"]:
        assert sorted((t["Name"], t["Option"]) for t in remote_line["Tracking"]) == [
            ("Channel", "Wholesale"), ("Region", "North")]

    xero.control.archive_tracking_option(TENANT_NZ, "Region", "South")
    from xero_plugin import settings as xero_settings

    xero_settings.forget(xero_conn)
    southern = make_invoice(supplier, lines=[line(product)], attributes={"delivery_region": "South"})
    worker.run()
    sync = InvoiceSync.objects.get(invoice=southern)
    assert (sync.state, sync.error_category) == (SyncState.FAILED, "validation")
    assert "'South' (the order's delivery_region) is an archived option of tracking category 'Region' in Xero" in \
        sync.error_message
    assert xero.control.invoices(TENANT_NZ, invoice_number=southern.number) == []


def test_the_delivery_date_and_the_retailers_comments_reach_xero_on_a_description_line(xero, xero_conn, supplier,
                                                                                       product, worker):
    import datetime as dt

    invoice = make_invoice(supplier, lines=[line(product, unit_price="10")], delivery_date=dt.date(2026, 11, 5),
                           comments="Leave at the back door.\nRing twice.")
    worker.run()
    remote = _remote(xero, invoice)
    assert remote["LineItems"][-1]["Description"] == ("Delivery date: 05 Nov 2026. Retailer's comments: Leave at "
                                                      "the back door. Ring twice.")
    assert float(remote["SubTotal"]) == 10.0  # a description-only line carries no amount
    assert InvoiceSync.objects.get(invoice=invoice).state == SyncState.SYNCED


def test_a_foreign_currency_invoice_carries_the_storefronts_rate_only_when_given(xero, xero_conn, supplier, product,
                                                                                worker):
    from decimal import Decimal

    fixed = make_invoice(supplier, lines=[line(product)], currency="AUD", currency_rate=Decimal("0.9125"))
    daily = make_invoice(supplier, lines=[line(product)], currency="AUD")
    worker.run()
    assert float(_remote(xero, fixed)["CurrencyRate"]) == 0.9125
    assert float(_remote(xero, daily)["CurrencyRate"]) != 0.9125  # the organisation's rate of the day
    assert _remote(xero, daily)["CurrencyCode"] == "AUD"
