"""Contacts through the real SDK: ContactNumber stored and found (where, searchTerm, by number), names unique
among active contacts, archiving (POST /Contacts and the control API) and Xero's refusal of invoices and
credit notes for an archived contact, and renaming through POST /Contacts/{ContactID}."""

import json
import urllib.error
import urllib.request

import pytest
from xero_python.accounting import Contact, Contacts, CreditNote, CreditNotes, Invoice, LineItem
from xero_python.exceptions import AccountingBadRequestException

from xero_plugin.sandbox import TENANT_NZ, TENANT_NZ2, contact_id

from .helpers import batch, invoice

ARCHIVED = ("The contact with the specified contact details has been archived. The contact must be un-archived "
            "before creating new invoices or credit notes.")


def _unique(name):
    return ("The contact name %s is already assigned to another contact. The contact name must be unique across "
            "all active contacts." % name)


def test_contact_number_is_stored_returned_and_findable(xero_api):
    acc = xero_api.accounting
    made = acc.create_contacts(TENANT_NZ, Contacts(contacts=[Contact(name="Umbrella Corp", contact_number="CUST-42",
                                                                      email_address="ap@umbrella.example")]))
    created = made.contacts[0]
    assert created.contact_number == "CUST-42" and created.contact_status == "ACTIVE"
    assert [c.contact_id for c in acc.get_contacts(TENANT_NZ, where='ContactNumber=="CUST-42"').contacts] == [
        created.contact_id]
    assert [c.name for c in acc.get_contacts(TENANT_NZ, search_term="cust-4").contacts] == ["Umbrella Corp"]
    assert [c.name for c in acc.get_contacts(TENANT_NZ, search_term="UMBRELLA").contacts] == ["Umbrella Corp"]
    assert acc.get_contact(TENANT_NZ, created.contact_id).contacts[0].contact_number == "CUST-42"
    assert acc.get_contact_by_contact_number(TENANT_NZ, "CUST-42").contacts[0].contact_id == created.contact_id
    both = acc.get_contacts(TENANT_NZ, i_ds=[created.contact_id, contact_id(TENANT_NZ, "Initech")], order="Name ASC")
    assert [c.name for c in both.contacts] == ["Initech", "Umbrella Corp"]
    # The seeded Initech carries CUST-003; another organisation does not see this tenant's contact.
    assert acc.get_contacts(TENANT_NZ, where='ContactNumber=="CUST-003"').contacts[0].name == "Initech"
    assert acc.get_contacts(TENANT_NZ2, where='ContactNumber=="CUST-42"').contacts == []
    # A number with a space or a slash is quoted in the path by the SDK, and still found.
    odd = acc.create_contacts(TENANT_NZ, Contacts(contacts=[Contact(name="Odd Co", contact_number="AB 1/2")]))
    assert acc.get_contact_by_contact_number(TENANT_NZ, "AB 1/2").contacts[0].contact_id == odd.contacts[0].contact_id


def test_an_invoice_finds_its_contact_by_contact_number(xero_api):
    acc = xero_api.accounting
    inv = Invoice(type="ACCREC", contact=Contact(contact_number="CUST-003"), status="DRAFT",
                  line_items=[LineItem(description="x", quantity=1, unit_amount=5, account_code="200")])
    created = acc.create_invoices(TENANT_NZ, batch(inv)).invoices[0]
    assert created.contact.contact_id == contact_id(TENANT_NZ, "Initech")
    unknown = Invoice(type="ACCREC", contact=Contact(contact_number="NOPE-1"), status="DRAFT",
                      line_items=[LineItem(description="x", quantity=1, unit_amount=5, account_code="200")])
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoices(TENANT_NZ, batch(unknown))
    assert exc.value.reason == "Contact Name cannot be empty."


def test_names_are_unique_among_active_contacts(xero_api):
    acc = xero_api.accounting
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_contacts(TENANT_NZ, Contacts(contacts=[Contact(name="Acme Ltd")]))
    assert exc.value.reason == _unique("Acme Ltd")
    element = exc.value.error_data["Elements"][0]
    assert element["ContactID"] == "00000000-0000-0000-0000-000000000000" and element["HasValidationErrors"]
    # An archived contact's name is free: "Old Customer Ltd" is archived in the seed.
    again = acc.create_contacts(TENANT_NZ, Contacts(contacts=[Contact(name="Old Customer Ltd")])).contacts[0]
    assert again.contact_id != contact_id(TENANT_NZ, "Old Customer Ltd") and again.contact_status == "ACTIVE"
    # summarizeErrors=False: 200, the refused element flagged, the other one saved.
    mixed = acc.create_contacts(TENANT_NZ, Contacts(contacts=[Contact(name="Globex Corporation"),
                                                               Contact(name="Hooli")]), summarize_errors=False)
    assert [c.has_validation_errors for c in mixed.contacts] == [True, False]
    assert mixed.contacts[0].validation_errors[0].message == _unique("Globex Corporation")


def test_rename_through_post_contacts_id(xero_api):
    acc = xero_api.accounting
    acme = contact_id(TENANT_NZ, "Acme Ltd")
    acc.create_invoices(TENANT_NZ, batch(invoice("REN-1")))
    renamed = acc.update_contact(TENANT_NZ, acme, Contacts(contacts=[Contact(name="Acme Holdings")])).contacts[0]
    assert renamed.contact_id == acme and renamed.name == "Acme Holdings"
    assert acc.get_invoice(TENANT_NZ, "REN-1").invoices[0].contact.name == "Acme Holdings"
    assert acc.get_contacts(TENANT_NZ, where='Name=="Acme Ltd"').contacts == []
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_contact(TENANT_NZ, acme, Contacts(contacts=[Contact(name="Initech")]))
    assert exc.value.reason == _unique("Initech")
    # POST /Contacts upserts by ContactNumber too.
    by_number = acc.update_or_create_contacts(
        TENANT_NZ, Contacts(contacts=[Contact(contact_number="CUST-003", name="Initech Inc")])).contacts[0]
    assert by_number.contact_id == contact_id(TENANT_NZ, "Initech") and by_number.name == "Initech Inc"


def test_archive_through_post_contacts_and_restore(xero_api, xero_sandbox):
    acc = xero_api.accounting
    globex = contact_id(TENANT_NZ, "Globex Corporation")
    archived = acc.update_contact(TENANT_NZ, globex, Contacts(contacts=[Contact(contact_status="ARCHIVED")]))
    assert archived.contacts[0].contact_status == "ARCHIVED"
    assert "Globex Corporation" not in [c.name for c in acc.get_contacts(TENANT_NZ).contacts]
    listed = acc.get_contacts(TENANT_NZ, include_archived=True).contacts
    assert {c.name: c.contact_status for c in listed}["Globex Corporation"] == "ARCHIVED"
    # Its name is free while it is archived, so restoring it clashes with a new Globex.
    acc.create_contacts(TENANT_NZ, Contacts(contacts=[Contact(name="Globex Corporation")]))
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_contact(TENANT_NZ, globex, Contacts(contacts=[Contact(contact_status="ACTIVE")]))
    assert exc.value.reason == _unique("Globex Corporation")
    restored = xero_sandbox.control.restore_contact(TENANT_NZ, "Old Customer Ltd")
    assert restored["ContactStatus"] == "ACTIVE"


def test_invoice_and_credit_note_refused_for_an_archived_contact(xero_api, xero_sandbox):
    acc = xero_api.accounting
    draft = acc.create_invoices(TENANT_NZ, batch(invoice("ARC-1", status="DRAFT"))).invoices[0]
    done = xero_sandbox.control.archive_contact(TENANT_NZ, "Acme Ltd")
    assert done["ContactStatus"] == "ARCHIVED" and done["ContactID"] == contact_id(TENANT_NZ, "Acme Ltd")
    by_id = Invoice(type="ACCREC", contact=Contact(contact_id=contact_id(TENANT_NZ, "Acme Ltd")), status="AUTHORISED",
                    line_items=[LineItem(description="x", quantity=1, unit_amount=5, account_code="200",
                                         tax_type="OUTPUT2")])
    for element in (by_id, invoice("ARC-2")):  # by ContactID, and by the name only the archived contact has
        with pytest.raises(AccountingBadRequestException) as exc:
            acc.create_invoices(TENANT_NZ, batch(element))
        assert exc.value.reason == ARCHIVED
    # Approving the draft made before the archive is refused too; voiding it is not.
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="AUTHORISED")))
    assert exc.value.reason == ARCHIVED
    assert acc.update_invoice(TENANT_NZ, draft.invoice_id, batch(Invoice(status="DELETED"))).invoices[0].status == "DELETED"
    note = CreditNote(type="ACCRECCREDIT", contact=Contact(contact_id=contact_id(TENANT_NZ, "Acme Ltd")),
                      line_items=[LineItem(description="x", quantity=1, unit_amount=5, account_code="200")])
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_credit_notes(TENANT_NZ, CreditNotes(credit_notes=[note]))
    assert exc.value.reason == ARCHIVED
    assert [c["Name"] for c in xero_sandbox.control.contacts(TENANT_NZ) if c["ContactStatus"] == "ARCHIVED"] == [
        "Acme Ltd", "Old Customer Ltd"]
    xero_sandbox.control.restore_contact(TENANT_NZ, contact_id(TENANT_NZ, "Acme Ltd"))
    assert acc.create_invoices(TENANT_NZ, batch(invoice("ARC-2"))).invoices[0].status == "AUTHORISED"


def test_archive_contact_fires_a_contact_webhook(xero_sandbox):
    from .test_webhooks import Receiver
    rx = Receiver(xero_sandbox.webhook_key)
    xero_sandbox.control.set_webhook(rx.url)
    try:
        xero_sandbox.control.archive_contact(TENANT_NZ, "CUST-003")
        events = [e for d in xero_sandbox.control.webhook_deliveries() for e in d["events"]]
    finally:
        xero_sandbox.control.set_webhook(None)
        rx.close()
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events] == [
        ("CONTACT", "UPDATE", contact_id(TENANT_NZ, "Initech"))]


def test_bad_contact_status_is_post_data_invalid(xero_api, xero_sandbox):
    # The SDK's enum refuses a bad ContactStatus before sending, so post the JSON as another client would.
    req = urllib.request.Request(xero_sandbox.accounting_url + "/Contacts", method="POST",
                                 data=json.dumps({"Contacts": [{"Name": "Acme Ltd", "ContactStatus": "GONE"}]}).encode(),
                                 headers={"Authorization": "Bearer " + xero_api.token["access_token"],
                                          "xero-tenant-id": TENANT_NZ, "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    body = json.loads(exc.value.read())
    assert exc.value.code == 400 and (body["ErrorNumber"], body["Type"]) == (14, "PostDataInvalidException")
    assert "ContactStatus" in body["Message"]
