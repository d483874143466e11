"""The storefront's PDF of an invoice -> an attachment on the Xero invoice, once per invoice version.

Each PDF goes under the file name of the version it came with (`INV-001 v2.pdf`); Xero replaces an attachment
sent again under the same name, so a retry after a lost answer leaves one copy. What was attached is kept on the
document (`InvoiceDocument.attached`, by connection). A PDF Xero refuses does not fail the invoice's push: it is
logged and goes with the next push."""

from __future__ import annotations

import logging

from django.db.models import Prefetch, prefetch_related_objects

from integrations_core.models import Connection, Invoice, InvoiceDocument

from .client import call
from .errors import classify_exception
from .mapping import idempotency_key

log = logging.getLogger(__name__)


def latest_documents(invoices: list[Invoice]) -> dict[int, InvoiceDocument]:
    """Each invoice's latest PDF up to its version (by invoice id; none for an invoice without one), in one
    query for all the invoices not read with theirs (a batch of 50 reads them once, not once per invoice; a claimed
    invoice comes with its documents when it has none)."""
    found: dict[int, InvoiceDocument] = {}
    # The PDFs themselves are read only to be sent (`attach`): most pushes find theirs attached already.
    prefetch_related_objects(invoices, Prefetch("documents", queryset=InvoiceDocument.objects.defer("content")))
    for invoice in invoices:
        for document in invoice.documents.all():  # newest first
            if document.version <= invoice.version:
                found[invoice.pk] = document
                break
    return found


def attach(client, connection: Connection, invoice: Invoice, remote_id: str,
           document: InvoiceDocument | None) -> None:
    """Attach the invoice's latest PDF (`document`, as `latest_documents` found it; None: there is none) to its Xero
    invoice, unless this connection has it."""
    key = str(connection.pk)
    if document is None or key in (document.attached or {}):
        return
    name = document.file_name
    try:
        data, _, _ = call(client, connection, "create_invoice_attachment_by_file_name", remote_id, name,
                          bytes(document.content), include_online=True,
                          idempotency_key=idempotency_key(connection, invoice, f"attach-{document.sha256[:16]}"))
    except Exception as exc:  # the invoice is in Xero all the same; the PDF goes with its next push
        error = classify_exception(exc)
        log.warning("invoice %s: its PDF was not attached in Xero: %s", invoice.pk, error.message)
        return
    found = (data.attachments or [None])[0]
    document.attached = {**(document.attached or {}), key: str(getattr(found, "attachment_id", "") or name)}
    document.save(update_fields=["attached"])
