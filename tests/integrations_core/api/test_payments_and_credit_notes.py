"""The storefront's payments in parts, its invoice PDF, refunds and credit-note approval through the API, in the
one error shape; a supplier sees only its own."""

import pytest

from integrations_core.models import CreditNote, CreditNoteState, InvoiceDocument, InvoicePayment
from tests.factories import invoice_body, make_invoice

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def invoice(api, supplier):
    created = api.put("/api/v1/invoices/external/ord-1/", invoice_body(
        line_amount_type="inclusive", retailer_id="R-1", po_number="PO-9", comments="Back door.\nTwice.",
        attributes={"sales_channel": "wholesale"},
        lines=[{"description": "Milk crate", "quantity": "1", "unit_price": "100", "kind": "product"},
               {"description": "Delivery", "quantity": "1", "unit_price": "10", "kind": "freight"}]), format="json")
    assert created.status_code == 201, created.json()
    return created.json()["invoice"]


def test_the_order_extras_are_kept_and_shown(invoice):
    assert (invoice["retailer_id"], invoice["po_number"], invoice["comments"]) == ("R-1", "PO-9", "Back door.\nTwice.")
    assert invoice["attributes"] == {"sales_channel": "wholesale"}
    assert [line["kind"] for line in invoice["lines"]] == ["product", "freight"]


@pytest.mark.parametrize("field, value", [
    ("attributes", {"Sales Channel": "x"}), ("attributes", {f"a{n}": "x" for n in range(21)}),
    ("comments", "bell\x07"), ("lines", [{"description": "x", "quantity": "1", "unit_price": "1", "kind": "tip"}]),
])
def test_bad_extras_are_a_400_naming_the_field(api, field, value):
    response = api.put("/api/v1/invoices/external/ord-2/", invoice_body(**{field: value}), format="json")
    assert response.status_code == 400
    assert any(key.startswith(field) for key in response.json()["field_errors"]), response.json()


def test_payments_in_parts_then_paid(api, invoice):
    url = f"/api/v1/invoices/{invoice['id']}/payments/"
    first = api.post(url, {"id": "P-1", "amount": "60.00", "paid_on": "2026-11-03"}, format="json")
    assert first.status_code == 201 and first.json()["created"] is True
    again = api.post(url, {"id": "P-1", "amount": "60.00", "paid_on": "2026-11-03"}, format="json")
    assert again.status_code == 200 and again.json()["created"] is False
    over = api.post(url, {"id": "P-2", "amount": "60.00", "paid_on": "2026-11-04"}, format="json")
    assert over.status_code == 400 and over.json()["field_errors"]["amount"]
    rest = api.post(url, {"id": "P-2", "amount": "50.00", "paid_on": "2026-11-04"}, format="json")
    assert rest.status_code == 201
    assert rest.json()["invoice"]["status"] == "paid"
    assert [p["id"] for p in rest.json()["invoice"]["payments"]] == ["P-1", "P-2"]
    assert InvoicePayment.objects.count() == 2


def test_a_pdf_is_kept_as_a_new_version_and_not_a_pdf_is_refused(api, invoice):
    url = f"/api/v1/invoices/{invoice['id']}/pdf/"
    response = api.put(url, PDF, content_type="application/pdf")
    assert response.status_code == 200 and response.json()["changed"] is True
    assert response.json()["invoice"]["version"] == invoice["version"] + 1
    assert api.put(url, PDF, content_type="application/pdf").json()["changed"] is False
    refused = api.put(url, b"<html>", content_type="application/pdf")
    assert refused.status_code == 400 and "file" in refused.json()["field_errors"]
    assert InvoiceDocument.objects.count() == 1


def test_a_refund_proposes_a_credit_note_which_the_supplier_approves(api, supplier, netsuite):
    paid = make_invoice(supplier)
    from integrations_core.invoices import invoice_mark_paid
    from integrations_core.models import InvoiceSync

    InvoiceSync.objects.filter(invoice=paid).update(remote_id="NS-1")
    invoice_mark_paid(invoice=paid)
    response = api.post(f"/api/v1/invoices/{paid.pk}/refund/", {"amount": "5.00", "reason": "Two bottles broken"},
                        format="json")
    assert response.status_code == 201, response.json()
    [note] = response.json()
    assert (note["state"], note["amount"], note["provider"]) == ("proposed", "5.00", "netsuite")

    listed = api.get("/api/v1/credit-notes/").json()["results"]
    assert [n["id"] for n in listed] == [note["id"]]
    approved = api.post(f"/api/v1/credit-notes/{note['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["state"] in ("approved", "created", "failed")
    assert CreditNote.objects.get().approved_by.startswith("API key ")
    twice = api.post(f"/api/v1/credit-notes/{note['id']}/approve/")
    assert twice.status_code == 409 and twice.json()["code"] == "wrong_state"


def test_refunding_an_unpaid_invoice_is_refused_and_nothing_is_written(api, invoice):
    response = api.post(f"/api/v1/invoices/{invoice['id']}/refund/", {"amount": "5.00", "reason": "x"},
                        format="json")
    assert response.status_code == 409 and "is not paid" in response.json()["message"]
    assert not CreditNote.objects.exists()


def test_another_suppliers_credit_notes_and_payments_are_not_found(api, other_api, supplier, netsuite):
    paid = make_invoice(supplier)
    note = CreditNote.objects.create(invoice=paid, connection=netsuite, number="CN-1", reason="r", amount=1)
    assert other_api.get(f"/api/v1/credit-notes/{note.pk}/").status_code == 404
    assert other_api.post(f"/api/v1/credit-notes/{note.pk}/approve/").status_code == 404
    assert other_api.post(f"/api/v1/invoices/{paid.pk}/payments/",
                          {"id": "P", "amount": "1.00", "paid_on": "2026-11-01"}, format="json").status_code == 404
    assert CreditNote.objects.get().state == CreditNoteState.PROPOSED and not InvoicePayment.objects.exists()
