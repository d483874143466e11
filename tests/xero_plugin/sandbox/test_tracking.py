"""Tracking categories and branding themes through the real SDK: GET /TrackingCategories (options,
includeArchived), the control calls that set them up as in Xero's settings, each line's Tracking validated and
stored with both ids and names, and BrandingThemeID validated against GET /BrandingThemes."""

import pytest
from xero_python.accounting import Contact, Invoice, LineItem, LineItemTracking
from xero_python.exceptions import AccountingBadRequestException, NotFoundException

from xero_plugin.sandbox import SandboxControlError, TENANT_AU, TENANT_NZ, branding_theme_id

from .helpers import batch, invoice


@pytest.fixture
def region(xero_sandbox):
    return xero_sandbox.control.add_tracking_category(TENANT_NZ, "Region", ["North", "South", "West Coast"])


def _options(category):
    return {o.name: o.status for o in category.options}


def _tracked(number, *tracking, status="AUTHORISED"):
    """An invoice with one line tracked by ``tracking`` (LineItemTracking models)."""
    return Invoice(type="ACCREC", contact=Contact(name="Acme Ltd"), invoice_number=number, status=status,
                   line_items=[LineItem(description="Widget", quantity=1, unit_amount=10, account_code="200",
                                        tax_type="OUTPUT2", tracking=list(tracking))])


def test_get_tracking_categories_with_options_and_archived(xero_api, xero_sandbox, region):
    acc = xero_api.accounting
    assert acc.get_tracking_categories(TENANT_AU).tracking_categories == []  # nothing set up elsewhere
    [cat] = acc.get_tracking_categories(TENANT_NZ).tracking_categories
    assert (cat.name, cat.status, cat.tracking_category_id) == ("Region", "ACTIVE", region["TrackingCategoryID"])
    assert _options(cat) == {"North": "ACTIVE", "South": "ACTIVE", "West Coast": "ACTIVE"}
    xero_sandbox.control.archive_tracking_option(TENANT_NZ, "Region", "South")
    xero_sandbox.control.add_tracking_category(TENANT_NZ, "Department", ["Sales"])
    xero_sandbox.control.archive_tracking_category(TENANT_NZ, "Department")
    [cat] = acc.get_tracking_categories(TENANT_NZ).tracking_categories
    assert _options(cat) == {"North": "ACTIVE", "West Coast": "ACTIVE"}
    every = {c.name: c for c in acc.get_tracking_categories(TENANT_NZ, include_archived=True).tracking_categories}
    assert every["Department"].status == "ARCHIVED" and _options(every["Region"])["South"] == "ARCHIVED"
    named = acc.get_tracking_categories(TENANT_NZ, where='Name=="Department"', include_archived=True)
    assert [c.name for c in named.tracking_categories] == ["Department"]
    one = acc.get_tracking_category(TENANT_NZ, region["TrackingCategoryID"]).tracking_categories[0]
    assert one.name == "Region" and len(one.options) == 3
    with pytest.raises(NotFoundException):
        acc.get_tracking_category(TENANT_NZ, "00000000-0000-0000-0000-00000000abcd")


def test_control_refuses_what_xero_refuses(xero_sandbox, region):
    control = xero_sandbox.control
    with pytest.raises(SandboxControlError, match="Please enter a unique Name."):
        control.add_tracking_category(TENANT_NZ, "region")
    control.add_tracking_category(TENANT_NZ, "Department", ["Sales", "Ops"])
    with pytest.raises(SandboxControlError, match="You can only have 2 active tracking categories"):
        control.add_tracking_category(TENANT_NZ, "Project")
    control.archive_tracking_category(TENANT_NZ, "Department")
    control.add_tracking_category(TENANT_NZ, "Project", ["Alpha"])
    with pytest.raises(SandboxControlError, match="You can only have 2 active tracking categories"):
        control.archive_tracking_category(TENANT_NZ, "Department", status="ACTIVE")  # restoring counts too
    added = control.add_tracking_option(TENANT_NZ, "Project", "Beta")
    assert [o["Name"] for o in added["Options"]] == ["Alpha", "Beta"]
    with pytest.raises(SandboxControlError, match="Please enter a unique Name."):
        control.add_tracking_option(TENANT_NZ, region["TrackingCategoryID"], "north")
    assert [c["Name"] for c in control.tracking_categories(TENANT_NZ)] == ["Region", "Department", "Project"]
    control.reset()
    assert control.tracking_categories(TENANT_NZ) == []


def test_line_tracking_by_name_or_id_is_stored_with_both(xero_api, xero_sandbox, region):
    acc = xero_api.accounting
    dept = xero_sandbox.control.add_tracking_category(TENANT_NZ, "Department", ["Sales"])
    north = next(o for o in region["Options"] if o["Name"] == "North")
    created = acc.create_invoices(TENANT_NZ, batch(_tracked(
        "TR-1", LineItemTracking(name="region", option="NORTH"),
        LineItemTracking(tracking_category_id=dept["TrackingCategoryID"],
                         tracking_option_id=dept["Options"][0]["TrackingOptionID"])))).invoices[0]
    got = acc.get_invoice(TENANT_NZ, created.invoice_id).invoices[0].line_items[0].tracking
    assert [(t.name, t.option, t.tracking_category_id, t.tracking_option_id) for t in got] == [
        ("Region", "North", region["TrackingCategoryID"], north["TrackingOptionID"]),
        ("Department", "Sales", dept["TrackingCategoryID"], dept["Options"][0]["TrackingOptionID"])]
    # A line's tracking survives an edit that does not send the lines again.
    edited = acc.update_invoice(TENANT_NZ, created.invoice_id, batch(Invoice(reference="R"))).invoices[0]
    assert [t.option for t in edited.line_items[0].tracking] == ["North", "Sales"]


@pytest.mark.parametrize("tracking, message", [
    ([LineItemTracking(name="Colour", option="Red")], "There is no ACTIVE tracking category with the name 'Colour'"),
    ([LineItemTracking(name="Region", option="East")],
     "There is no ACTIVE tracking option with the name 'East' in the tracking category 'Region'"),
    ([LineItemTracking(name="Region", option="South")],  # archived below
     "There is no ACTIVE tracking option with the name 'South' in the tracking category 'Region'"),
    ([LineItemTracking(tracking_category_id="11111111-2222-3333-4444-555555555555", tracking_option_id="x")],
     "There is no ACTIVE tracking category with the ID '11111111-2222-3333-4444-555555555555'"),
    ([LineItemTracking(name="Region", option="North"), LineItemTracking(name="Region", option="West Coast")],
     "The tracking category 'Region' can only be used once on a line item"),
    ([LineItemTracking(name="Region", option="North"), LineItemTracking(name="Department", option="Sales"),
      LineItemTracking(name="Old", option="Gone")], "A line item can have a maximum of 2 tracking categories"),
    ([LineItemTracking(name="Old", option="Gone")], "There is no ACTIVE tracking category with the name 'Old'"),
])
def test_unknown_or_archived_tracking_is_refused(xero_api, xero_sandbox, region, tracking, message):
    control = xero_sandbox.control
    control.add_tracking_category(TENANT_NZ, "Old", ["Gone"])
    control.archive_tracking_category(TENANT_NZ, "Old")
    control.add_tracking_category(TENANT_NZ, "Department", ["Sales"])
    control.archive_tracking_option(TENANT_NZ, "Region", "South")
    with pytest.raises(AccountingBadRequestException) as exc:
        xero_api.accounting.create_invoices(TENANT_NZ, batch(_tracked("TR-X", *tracking, status="DRAFT")))
    assert exc.value.reason == message
    assert control.invoices(TENANT_NZ) == []


def test_branding_themes_listed_and_validated(xero_api):
    acc = xero_api.accounting
    themes = acc.get_branding_themes(TENANT_NZ).branding_themes
    assert [(t.name, t.sort_order, t.type) for t in themes] == [("Standard", 0, "INVOICE"),
                                                                ("Special Projects", 1, "INVOICE")]
    special = branding_theme_id(TENANT_NZ, "Special Projects")
    assert themes[1].branding_theme_id == special and themes[0].created_date_utc is not None
    assert acc.get_branding_theme(TENANT_NZ, special).branding_themes[0].name == "Special Projects"
    created = acc.create_invoices(TENANT_NZ, batch(invoice("BT-1", branding_theme_id=special.upper()))).invoices[0]
    assert created.branding_theme_id == special
    assert acc.get_invoice(TENANT_NZ, "BT-1").invoices[0].branding_theme_id == special
    other_org = branding_theme_id(TENANT_AU, "Standard")
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoices(TENANT_NZ, batch(invoice("BT-2", branding_theme_id=other_org)))
    assert exc.value.reason == "Branding theme '%s' could not be found." % other_org
    with pytest.raises(NotFoundException):
        acc.get_branding_theme(TENANT_NZ, other_org)
