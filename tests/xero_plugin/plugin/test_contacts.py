"""Retailers and Xero contacts without duplicates: a retailer's contact is found once (by its retailer id as Xero's
ContactNumber, then by the exact name) or made with its first push, and kept (ContactLink)."""

import pytest

from integrations_core.invoices import invoice_update
from integrations_core.models import ContactLink, Customer, InvoiceSync, SyncState
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.client import client_for
from xero_plugin.contacts import link
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(supplier):
    return ProductFactory(supplier=supplier, sku="BREAD", sales_account_code="200", tax_type="OUTPUT2")


def _contacts(connection) -> dict[str, tuple[str, str]]:
    """Xero's active contacts: name -> (ContactID, ContactNumber), read through the SDK."""
    found = client_for(connection).accounting.get_contacts(TENANT_NZ).contacts
    return {c.name: (str(c.contact_id), c.contact_number or "") for c in found}


def _contact_of(xero, invoice) -> str:
    [remote] = xero.control.invoices(TENANT_NZ, invoice_number=invoice.number)
    return remote["Contact"]["ContactID"]


def test_a_new_retailer_gets_one_contact_with_its_retailer_id_and_keeps_it_when_renamed(xero, xero_conn, supplier,
                                                                                      product, worker):
    before = _contacts(xero_conn)
    first = make_invoice(supplier, lines=[line(product)], customer="Harbour Deli", retailer_id="R-100")
    worker.run()
    made = _contacts(xero_conn)
    assert set(made) - set(before) == {"Harbour Deli"} and made["Harbour Deli"][1] == "R-100"
    contact_id = made["Harbour Deli"][0]
    assert _contact_of(xero, first) == contact_id

    # The retailer renames itself on the storefront: same retailer, same contact, no second one.
    later = make_invoice(supplier, lines=[line(product)], customer="Harbour Deli & Co", retailer_id="R-100")
    invoice_update(invoice=first, customer="Harbour Deli & Co", retailer_id="R-100", order_reference="ORD-2")
    worker.run()
    assert Customer.objects.filter(supplier=supplier).count() == 1
    assert _contact_of(xero, later) == _contact_of(xero, first) == contact_id
    assert len(_contacts(xero_conn)) == len(made)
    assert xero.control.duplicate_invoice_numbers(TENANT_NZ) == {}


def test_a_retailer_matching_an_existing_contact_by_number_or_name_makes_no_new_contact(xero, xero_conn, supplier,
                                                                                      product, worker):
    before = _contacts(xero_conn)
    by_number = make_invoice(supplier, lines=[line(product)], customer="Initech (Wellington)", retailer_id="CUST-003")
    by_name = make_invoice(supplier, lines=[line(product)], customer="Acme Ltd")
    worker.run()
    assert _contacts(xero_conn) == before
    assert _contact_of(xero, by_number) == before["Initech"][0]
    assert _contact_of(xero, by_name) == before["Acme Ltd"][0]
    assert {link.remote_name for link in ContactLink.objects.all()} == {"Initech", "Acme Ltd"}


def test_a_contact_linked_to_one_retailer_is_not_taken_by_another_of_the_same_name(xero, xero_conn, supplier,
                                                                                   product, worker):
    first = make_invoice(supplier, lines=[line(product)], customer="Globex Corporation", retailer_id="G-1")
    worker.run()
    globex = _contacts(xero_conn)["Globex Corporation"][0]
    assert _contact_of(xero, first) == globex
    # G-1 renames itself here; a new retailer then takes the old name. Xero's contact stays G-1's.
    invoice_update(invoice=first, customer="Globex Holdings", retailer_id="G-1", order_reference="ORD-2")
    second = make_invoice(supplier, lines=[line(product)], customer="Globex Corporation", retailer_id="G-2")
    worker.run()
    assert _contact_of(xero, first) == globex
    assert _contact_of(xero, second) != globex
    assert _contacts(xero_conn)["Globex Corporation (G-2)"][1] == "G-2"


def test_a_retailer_linked_to_an_archived_contact_fails_with_its_own_message(xero, xero_conn, supplier, product,
                                                                             worker):
    customer = Customer.objects.create(supplier=supplier, name="Old Customer", external_id="OLD-1")
    archived = next(c for c in client_for(xero_conn).accounting.get_contacts(
        TENANT_NZ, include_archived=True).contacts if c.name == "Old Customer Ltd")
    link(xero_conn, customer, archived, linked_by="support")  # support linked it on purpose
    invoice = make_invoice(supplier, lines=[line(product)], customer=customer)
    worker.run()
    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.error_category) == (SyncState.FAILED, "contact_archived")
    assert sync.error_message.startswith("The retailer's contact is archived in Xero")
    assert "Restore the contact" in sync.error_fix
