"""Invoice attachments through the real SDK: PUT/POST /Invoices/{id}/Attachments/{FileName} with the raw file,
GET the list and the file, the same name replacing the file, Xero's limit of 10 per document, the
accounting.attachments scope, and the control call that lists an invoice's attachments."""

import base64
import json

import pytest
from xero_python.exceptions import AccountingBadRequestException, HTTPStatusException, NotFoundException

from xero_plugin.sandbox import TENANT_NZ

from .helpers import batch, invoice

SCOPES = ["offline_access", "accounting.transactions", "accounting.contacts", "accounting.settings",
          "accounting.attachments"]


@pytest.fixture
def api(xero_sandbox, sdk_client):
    return sdk_client(xero_sandbox, scopes=SCOPES)


@pytest.fixture
def inv(api):
    return api.accounting.create_invoices(TENANT_NZ, batch(invoice("ATT-1"))).invoices[0]


def test_upload_list_download(api, xero_sandbox, inv):
    acc = api.accounting
    made = acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "delivery docket.pdf",
                                                      b"%PDF-1.4 docket", include_online=True).attachments[0]
    assert (made.file_name, made.mime_type, made.content_length, made.include_online) == (
        "delivery docket.pdf", "application/pdf", 15, True)
    assert made.url.endswith("/Invoices/%s/Attachments/delivery%%20docket.pdf" % inv.invoice_id)
    acc.update_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "photo.png", b"\x89PNG...")
    listed = acc.get_invoice_attachments(TENANT_NZ, inv.invoice_id).attachments
    assert [(a.file_name, a.mime_type, a.content_length) for a in listed] == [
        ("delivery docket.pdf", "application/pdf", 15), ("photo.png", "image/png", 7)]
    path = acc.get_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "delivery docket.pdf", "application/pdf")
    with open(path, "rb") as fh:
        assert fh.read() == b"%PDF-1.4 docket"
    path = acc.get_invoice_attachment_by_id(TENANT_NZ, inv.invoice_id, made.attachment_id, "application/pdf")
    with open(path, "rb") as fh:
        assert fh.read() == b"%PDF-1.4 docket"
    assert acc.get_invoice(TENANT_NZ, inv.invoice_id).invoices[0].has_attachments is True
    control = xero_sandbox.control.attachments(TENANT_NZ, "ATT-1")
    assert [(a["FileName"], base64.b64decode(a["Content"])) for a in control] == [
        ("delivery docket.pdf", b"%PDF-1.4 docket"), ("photo.png", b"\x89PNG...")]


def test_same_file_name_replaces(api, xero_sandbox, inv):
    acc = api.accounting
    first = acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "docket.pdf", b"v1").attachments[0]
    second = acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "docket.pdf",
                                                        b"version 2").attachments[0]
    assert second.attachment_id == first.attachment_id and second.content_length == 9
    listed = acc.get_invoice_attachments(TENANT_NZ, inv.invoice_id).attachments
    assert [(a.file_name, a.content_length) for a in listed] == [("docket.pdf", 9)]
    assert base64.b64decode(xero_sandbox.control.attachments(TENANT_NZ, inv.invoice_id)[0]["Content"]) == b"version 2"


def test_attachment_refusals(api, inv):
    acc = api.accounting
    for i in range(10):
        acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "file-%d.txt" % i, b"x")
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "file-10.txt", b"x")
    assert exc.value.reason == "A document can have no more than 10 attachments."
    acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "file-3.txt", b"again")  # a replacement
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "file-3.txt", b"")
    assert exc.value.reason == "The file is empty. Attachments must have content."
    with pytest.raises(NotFoundException):
        acc.create_invoice_attachment_by_file_name(TENANT_NZ, "00000000-0000-0000-0000-0000000000ff", "a.txt", b"x")
    with pytest.raises(NotFoundException):
        acc.get_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "nope.pdf", "application/pdf")


def test_attachments_need_the_attachments_scope(xero_api, xero_sandbox):
    inv = xero_api.accounting.create_invoices(TENANT_NZ, batch(invoice("ATT-2"))).invoices[0]
    with pytest.raises(HTTPStatusException) as exc:
        xero_api.accounting.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "a.pdf", b"x")
    assert exc.value.status == 401 and json.loads(exc.value.body)["Detail"] == "AuthorizationUnsuccessful"
    assert xero_sandbox.control.attachments(TENANT_NZ, inv.invoice_id) == []


def test_attachment_upload_is_idempotent_with_a_key(api, xero_sandbox, inv):
    acc = api.accounting
    first = acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "a.pdf", b"one",
                                                       idempotency_key="att-1").attachments[0]
    again = acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "a.pdf", b"one",
                                                       idempotency_key="att-1").attachments[0]
    assert again.attachment_id == first.attachment_id
    with pytest.raises(AccountingBadRequestException) as exc:
        acc.create_invoice_attachment_by_file_name(TENANT_NZ, inv.invoice_id, "a.pdf", b"two",
                                                   idempotency_key="att-1")
    assert exc.value.error_data["Message"] == "Idempotency Key: att-1 is used with a different request."
