"""The storefront's invoice PDF reaches Xero as an attachment, once per version it came with."""

import pytest

from integrations_core.errors import InvalidInput
from integrations_core.invoices import invoice_attach_pdf, invoice_update
from integrations_core.models import InvoiceSync
from tests.factories import ProductFactory, line, make_invoice
from xero_plugin.sandbox import TENANT_NZ

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_the_pdf_is_attached_once_per_version(xero, xero_conn, supplier, worker):
    product = ProductFactory(supplier=supplier, sales_account_code="200", tax_type="OUTPUT2")
    invoice = make_invoice(supplier, lines=[line(product)], number="INV-PDF-1")
    worker.run()

    document, changed = invoice_attach_pdf(invoice=invoice, content=PDF)
    assert changed and document.version == 2
    worker.run()
    assert invoice_attach_pdf(invoice=invoice, content=PDF)[1] is False  # the same PDF again
    invoice, _ = invoice_update(invoice=invoice, order_reference="ORD-CHANGED")  # a change, no new PDF
    worker.run()

    [attached] = xero.control.attachments(TENANT_NZ, "INV-PDF-1")
    assert attached["FileName"] == "INV-PDF-1 v2.pdf" and attached["ContentLength"] == len(PDF)
    assert InvoiceSync.objects.get(invoice=invoice).synced_version == 3

    invoice_attach_pdf(invoice=invoice, content=PDF + b"% v4\n")
    worker.run()
    assert sorted(a["FileName"] for a in xero.control.attachments(TENANT_NZ, "INV-PDF-1")) == [
        "INV-PDF-1 v2.pdf", "INV-PDF-1 v4.pdf"]


def test_a_file_that_is_not_a_pdf_is_refused(supplier):
    invoice = make_invoice(supplier)
    with pytest.raises(InvalidInput) as refused:
        invoice_attach_pdf(invoice=invoice, content=b"<html>")
    assert refused.value.field_errors == {"file": ["Send the invoice as a PDF (it starts with %PDF-)."]}
    invoice.refresh_from_db()
    assert invoice.version == 1
