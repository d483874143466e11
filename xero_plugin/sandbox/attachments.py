"""Invoice attachments: ``PUT``/``POST /Invoices/{InvoiceID}/Attachments/{FileName}`` with the file as the raw
body, ``GET /Invoices/{InvoiceID}/Attachments`` (the list) and ``.../Attachments/{FileName or AttachmentID}``
(the file). A file with the same name replaces the one there, as in Xero; Xero takes up to 10 per document.
The content is kept base64-encoded so the state file stays JSON.
"""

from __future__ import annotations

import base64
import mimetypes
import uuid
from urllib.parse import quote

from . import messages as m

MAX_PER_DOCUMENT = 10


def listing(org, invoice_id: str) -> list:
    return org["attachments"].get(invoice_id, [])


def find(org, invoice_id: str, key: str):
    """By AttachmentID, else by FileName (case-insensitive)."""
    rows = listing(org, invoice_id)
    low = (key or "").strip().lower()
    return (next((a for a in rows if a["AttachmentID"] == low), None)
            or next((a for a in rows if a["FileName"].lower() == low), None))


def mime_type(file_name: str, content_type: str | None) -> str:
    """Xero names the type from the file (the SDK always sends application/octet-stream)."""
    guessed, _ = mimetypes.guess_type(file_name)
    if guessed:
        return guessed
    sent = (content_type or "").split(";")[0].strip()
    return sent or "application/octet-stream"


def put(org, invoice_id: str, file_name: str, body: bytes, content_type, include_online, now: float):
    """Add (or replace, by file name) one attachment. Returns (attachment, errors)."""
    current = find(org, invoice_id, file_name)
    if current is not None and current["FileName"].lower() != file_name.lower():
        current = None  # the key matched an AttachmentID, not this file name
    errors = []
    if not body:
        errors.append(m.MSG_ATTACHMENT_EMPTY)
    if current is None and len(listing(org, invoice_id)) >= MAX_PER_DOCUMENT:
        errors.append(m.MSG_ATTACHMENT_LIMIT)
    att = {"AttachmentID": current["AttachmentID"] if current else str(uuid.uuid4()), "FileName": file_name,
           "MimeType": mime_type(file_name, content_type), "ContentLength": len(body or b""),
           "IncludeOnline": bool(include_online), "Content": base64.b64encode(body or b"").decode(), "Updated": now}
    if errors:
        return att, errors
    rows = org["attachments"].setdefault(invoice_id, [])
    if current is not None:
        rows[rows.index(current)] = att
    else:
        rows.append(att)
    return att, []


def content(att) -> bytes:
    return base64.b64decode(att["Content"])


def render(att, base_url: str, invoice_id: str, errors=()) -> dict:
    """An Attachment as Xero sends it [SPEC Attachment]."""
    body = {"AttachmentID": att["AttachmentID"], "FileName": att["FileName"],
            "Url": "%s/api.xro/2.0/Invoices/%s/Attachments/%s" % (base_url, invoice_id, quote(att["FileName"])),
            "MimeType": att["MimeType"], "ContentLength": att["ContentLength"],
            "IncludeOnline": att["IncludeOnline"]}
    if errors:
        body["ValidationErrors"] = [{"Message": msg} for msg in errors]
    return body
