"""The Accounting API endpoints (``/api.xro/2.0/...``): envelopes, batches with
``summarizeErrors``, GET filters and paging. Auth, limits and idempotency are the
caller's job (app.py); everything here runs under ``state.lock``."""

from __future__ import annotations

from urllib.parse import unquote

from . import attachments, credit_notes, history, invoices, resources, tracking, wire
from . import messages as m
from .messages import Response, correlation_id, json_response, not_found
from .query import QueryError, compile_where

RESOURCES = {"invoices": "invoices", "payments": "payments", "contacts": "contacts", "accounts": "settings",
             "taxrates": "settings", "organisation": "settings", "currencies": "settings",
             "creditnotes": "invoices", "trackingcategories": "settings", "brandingthemes": "settings"}


def scope_for(resource: str, key: str | None) -> str:
    """The scope family a call needs: attachments (``.../Attachments...``) need ``accounting.attachments``; an
    invoice's History needs what the invoice does (accounting.transactions, or its .read for a GET) [SPEC]."""
    if key and "/attachments" in ("/" + key.lower()):
        return "attachments"
    return RESOURCES[resource]


def _envelope(now, key, items, pagination=None, warnings=None) -> dict:
    body = {"Id": correlation_id(), "Status": "OK", "ProviderName": history.APP_NAME,
            "DateTimeUTC": wire.envelope_instant(now)}
    if pagination:
        body["pagination"] = pagination
    if warnings:
        body["Warnings"] = warnings
    body[key] = items
    return body


def _bad_request(number: int, typ: str, message: str, elements=None) -> Response:
    body = {"ErrorNumber": number, "Type": typ, "Message": message}
    if elements is not None:
        body["Elements"] = elements
    return json_response(400, body)


def _items(req, key):
    """The posted list: ``{"Invoices": [...]}`` or one bare object."""
    try:
        data = req.json()
    except ValueError:
        raise invoices.PostDataError("Unexpected character encountered while parsing value.") from None
    if isinstance(data, dict) and isinstance(data.get(key), list):
        return data[key]
    if isinstance(data, dict) and data:
        return [data]
    raise invoices.PostDataError("No %s were found in the request." % key)


def _paginate(req, rows, force=False):
    """Apply page/pageSize; returns (rows, pagination or None)."""
    page = req.query.get("page")
    if page is None and not force:
        return rows, None
    page = max(1, int(page or 1))
    size = min(1000, max(1, int(req.query.get("pageSize") or 100)))
    count = len(rows)
    return rows[(page - 1) * size: page * size], {"page": page, "pageSize": size,
                                                  "pageCount": (count + size - 1) // size, "itemCount": count}


def _csv(req, name):
    raw = req.query.get(name)
    return [v.strip() for v in raw.split(",") if v.strip()] if raw else None


def handle(ctx, org, req, resource: str, key: str | None) -> Response:
    """Dispatch one accounting call for an authenticated tenant. ``ctx.events`` collects webhook events."""
    sub = None
    if key is not None:
        # /{id}/{sub-resource}; the SDK quotes path parameters ("INV 1/A" -> "INV%201%2FA").
        key, _, sub = key.partition("/")
        key, sub = unquote(key), (sub or None)
    if sub is not None and resource not in ("invoices", "creditnotes"):
        return not_found()
    try:
        if resource == "invoices":
            return _invoices(ctx, org, req, key, sub)
        if resource == "payments":
            return _payments(ctx, org, req, key)
        if resource == "contacts":
            return _contacts(ctx, org, req, key)
        if resource == "creditnotes":
            return _credit_notes(ctx, org, req, key, sub)
        if resource == "trackingcategories" and req.method == "GET":
            return _tracking_categories(ctx, org, req, key)
        if resource == "brandingthemes" and req.method == "GET":
            return _listing(ctx, req, "BrandingThemes", org["branding_themes"], resources.render_branding_theme, key,
                            "BrandingThemeID", "BrandingThemeID")
        if resource == "accounts" and req.method == "GET":
            return _listing(ctx, req, "Accounts", org["accounts"], resources.render_account, key, "AccountID", "Code")
        if resource == "taxrates" and req.method == "GET":
            return _listing(ctx, req, "TaxRates", org["tax_rates"], resources.render_tax_rate, key, "TaxType", "TaxType")
        if resource == "currencies" and req.method == "GET" and key is None:
            return _currencies(ctx, org, req)
        if resource == "organisation" and req.method == "GET" and key is None:
            return json_response(200, _envelope(ctx.now, "Organisations", [resources.render_organisation(org)]))
    except invoices.PostDataError as exc:
        return _bad_request(14, "PostDataInvalidException", str(exc))
    except QueryError as exc:
        return _bad_request(16, "QueryParseException", str(exc))
    except (ValueError, TypeError) as exc:
        return _bad_request(14, "PostDataInvalidException", str(exc))
    return not_found()


def _listing(ctx, req, key, rows, render, item, id_field, alt_field):
    if item is not None:
        hit = [r for r in rows if str(r.get(id_field)).lower() == item.lower()
               or str(r.get(alt_field)).lower() == item.lower()]
        return json_response(200, _envelope(ctx.now, key, [render(hit[0])])) if hit else not_found()
    pred = compile_where(req.query.get("where"))
    out = [render(r) for r in rows if pred is None or pred(r)]
    return json_response(200, _envelope(ctx.now, key, out))


def _currencies(ctx, org, req):
    """GET /Currencies: the organisation's currencies (base first), ``where`` and ``order`` [SPEC getCurrencies]."""
    pred = compile_where(req.query.get("where"))
    rows = [resources.render_currency(c) for c in org.get("currencies", ()) if pred is None or pred(c)]
    order = (req.query.get("order") or "").split()
    if order:
        rows.sort(key=lambda r: _sort_key(r.get(order[0])), reverse=len(order) > 1 and order[1].upper() == "DESC")
    return json_response(200, _envelope(ctx.now, "Currencies", rows))


# -- invoices ------------------------------------------------------------------------------


def _invoices(ctx, org, req, key, sub=None):
    unitdp = 4 if req.query.get("unitdp") == "4" else 2
    if sub is not None:
        inv = invoices.find_invoice(org, key)
        if inv is None:
            return not_found()
        if sub.strip("/").lower() == "history":
            return _history(ctx, org, req, inv)
        return _attachments(ctx, org, req, inv, sub)
    if req.method == "GET":
        if key is not None:
            inv = invoices.find_invoice(org, key)
            return json_response(200, _envelope(ctx.now, "Invoices", [invoices.render(org, inv)])) if inv else not_found()
        return _list_invoices(ctx, org, req)
    if req.method not in ("PUT", "POST"):
        return not_found()
    target = None
    if key is not None:
        if req.method != "POST":
            return not_found()
        target = invoices.find_invoice(org, key)
        if target is None:
            return not_found()
    items = _items(req, "Invoices")
    norms = [invoices.normalize(raw, i) for i, raw in enumerate(items)]
    mode = "update" if target is not None else ("create" if req.method == "PUT" else "upsert")
    outcomes = []
    for data in norms:
        out = invoices.apply(org, data, mode, ctx.now, unitdp, target)
        outcomes.append(out)
        if not out.errors:
            ctx.event("INVOICE", out.record["InvoiceID"], "UPDATE" if out.existing else "CREATE")
            history.invoice_saved(org, out.existing, out.record, ctx.now)
    return _batch(ctx, org, req, "Invoices", outcomes, invoices.render)


def _history(ctx, org, req, inv):
    """``GET /Invoices/{id}/History`` (newest first); ``PUT`` or ``POST`` adds notes [DOC: "a POST is exactly the
    same as a PUT"]. As in every batch write, a refused note is answered in a 400 and the others are kept
    (INFERRED for notes)."""
    iid = inv["InvoiceID"]
    if req.method == "GET":
        return json_response(200, _envelope(ctx.now, "HistoryRecords",
                                            [history.render(r) for r in history.listing(org, iid)]))
    if req.method not in ("PUT", "POST"):
        return not_found()
    checked = [history.check_note(raw, i) for i, raw in enumerate(_items(req, "HistoryRecords"))]
    for details, errors in checked:
        if not errors:
            history.record(org, iid, history.NOTE, details, ctx.now)
    failed = [history.render_note(d, ctx.now, e) for d, e in checked if e]
    if failed:
        return _bad_request(10, "ValidationException", "A validation exception occurred", failed)
    return json_response(200, _envelope(ctx.now, "HistoryRecords", [history.render_note(d, ctx.now)
                                                                    for d, _ in checked]))


def _batch(ctx, org, req, key, outcomes, render):
    """The answer to a batch write: with ``summarizeErrors`` (the default) a 400 naming only the failed
    elements; otherwise a 200 with every element and its StatusAttributeString."""
    summarize = wire.parse_bool(req.query.get("summarizeErrors"), True)

    def element(out):
        echo_id = None
        if out.errors and out.existing is None:
            echo_id = wire.ZERO_GUID
        body = render(org, out.record, True, out.errors, out.warnings, echo_id)
        body["StatusAttributeString"] = "ERROR" if out.errors else ("WARNING" if out.warnings else "OK")
        return body

    failed = [o for o in outcomes if o.errors]
    if failed and summarize:
        return _bad_request(10, "ValidationException", "A validation exception occurred",
                            [element(o) for o in failed])
    return json_response(200, _envelope(ctx.now, key, [element(o) for o in outcomes]))


def _list_invoices(ctx, org, req):
    rows = list(org["invoices"].values())
    ims = req.header("if-modified-since")
    if ims:
        since = int(wire.parse_instant(ims))  # to the second
        rows = [r for r in rows if int(r.get("Updated", 0)) >= since]
    ids = _csv(req, "IDs")
    if ids:
        wanted = {i.lower() for i in ids}
        rows = [r for r in rows if r["InvoiceID"] in wanted]
    numbers = _csv(req, "InvoiceNumbers")
    if numbers:
        wanted = set(numbers)
        rows = [r for r in rows if r["InvoiceNumber"] in wanted]
    contacts = _csv(req, "ContactIDs")
    if contacts:
        wanted = {c.lower() for c in contacts}
        rows = [r for r in rows if (r.get("ContactID") or "") in wanted]
    statuses = _csv(req, "Statuses")
    if statuses:
        wanted = {s.upper() for s in statuses}
        rows = [r for r in rows if r["Status"] in wanted]
    term = (req.query.get("searchTerm") or "").lower()
    if term:
        rows = [r for r in rows if term in r["InvoiceNumber"].lower() or term in (r.get("Reference") or "").lower()]
    pred = compile_where(req.query.get("where"))
    if pred is not None:
        rows = [r for r in rows if pred(invoices.filter_row(org, r))]
    order = (req.query.get("order") or "").split()
    if order:
        field, desc = order[0], len(order) > 1 and order[1].upper() == "DESC"
        rows.sort(key=lambda r: _sort_key(invoices.filter_row(org, r).get(field)), reverse=desc)
    summary = wire.parse_bool(req.query.get("summaryOnly"), False)
    rows, pagination = _paginate(req, rows, force=summary)
    # Xero omits line items on un-paged multi-invoice GETs (and on summaryOnly).
    lines = pagination is not None and not summary
    return json_response(200, _envelope(ctx.now, "Invoices", [invoices.render(org, r, lines) for r in rows], pagination))


def _sort_key(value):
    return (value is None, str(value) if not hasattr(value, "__lt__") else value)


# -- payments / contacts -------------------------------------------------------------------


def _payments(ctx, org, req, key):
    if req.method == "GET":
        rows = list(org["payments"].values())
        if key is not None:
            rows = [p for p in rows if p["PaymentID"] == key.lower()]
            if not rows:
                return not_found()
            return json_response(200, _envelope(ctx.now, "Payments", [resources.render_payment(org, rows[0])]))
        rows = _filtered(req, rows, lambda p: resources.payment_row(org, p), lambda p: p.get("Updated", 0))
        rows, pagination = _paginate(req, rows)
        return json_response(200, _envelope(ctx.now, "Payments", [resources.render_payment(org, p) for p in rows],
                                            pagination))
    if req.method not in ("PUT", "POST"):
        return not_found()
    if key is not None:
        return _delete_payment(ctx, org, req, key)
    results = []
    for raw in _items(req, "Payments"):
        pay, inv, errors = resources.apply_payment(org, raw, ctx.now)
        results.append((pay, errors))
        if not errors:
            ctx.event("INVOICE", inv["InvoiceID"], "UPDATE")
            history.payment_recorded(org, inv, pay, ctx.now)
    summarize = wire.parse_bool(req.query.get("summarizeErrors"), True)
    failed = [resources.render_payment(org, p, e) for p, e in results if e]
    if failed and summarize:
        return _bad_request(10, "ValidationException", "A validation exception occurred", failed)
    return json_response(200, _envelope(ctx.now, "Payments", [resources.render_payment(org, p, e) for p, e in results]))


def _delete_payment(ctx, org, req, key):
    """``POST /Payments/{PaymentID}`` with ``{"Status": "DELETED"}``: the only change Xero takes to a payment."""
    if req.method != "POST":
        return not_found()
    pay = org["payments"].get(key.lower())
    if pay is None:
        return not_found()
    data = _items(req, "Payments")[0]
    status = str((data or {}).get("Status") or "").strip().upper() if isinstance(data, dict) else ""
    errors = resources.delete_payment(org, pay, ctx.now) if status == "DELETED" else [m.MSG_PAYMENT_DELETE_ONLY]
    if errors:
        return _bad_request(10, "ValidationException", "A validation exception occurred",
                            [resources.render_payment(org, pay, errors)])
    history.payment_removed(org, pay, ctx.now)
    if pay.get("InvoiceID"):
        ctx.event("INVOICE", pay["InvoiceID"], "UPDATE")
    return json_response(200, _envelope(ctx.now, "Payments", [resources.render_payment(org, pay)]))


def _filtered(req, rows, row_of, updated_of, order_default=None):
    """If-Modified-Since, ``where`` and ``order`` over rows, through each row's filterable fields."""
    ims = req.header("if-modified-since")
    if ims:
        since = int(wire.parse_instant(ims))
        rows = [r for r in rows if int(updated_of(r)) >= since]
    pred = compile_where(req.query.get("where"))
    if pred is not None:
        rows = [r for r in rows if pred(row_of(r))]
    order = (req.query.get("order") or order_default or "").split()
    if order:
        field, desc = order[0], len(order) > 1 and order[1].upper() == "DESC"
        rows.sort(key=lambda r: _sort_key(_path(row_of(r), field)), reverse=desc)
    return rows


def _path(row, dotted):
    for part in dotted.split("."):
        row = row.get(part) if isinstance(row, dict) else None
    return row


# -- credit notes ----------------------------------------------------------------------------


def _credit_notes(ctx, org, req, key, sub=None):
    unitdp = 4 if req.query.get("unitdp") == "4" else 2
    note = credit_notes.find(org, key) if key is not None else None
    if key is not None and note is None:
        return not_found()
    if sub is not None:
        if sub.strip("/").lower() == "allocations" and req.method == "PUT":
            return _allocate(ctx, org, req, note)
        return not_found()
    if req.method == "GET":
        if note is not None:
            return json_response(200, _envelope(ctx.now, "CreditNotes", [credit_notes.render(org, note)]))
        rows = _filtered(req, list(org["credit_notes"].values()), lambda n: credit_notes.filter_row(org, n),
                         lambda n: n.get("Updated", 0))
        rows, pagination = _paginate(req, rows)
        # As for invoices: an un-paged list leaves out line items.
        return json_response(200, _envelope(ctx.now, "CreditNotes",
                                            [credit_notes.render(org, n, pagination is not None) for n in rows],
                                            pagination))
    if req.method not in ("PUT", "POST") or (note is not None and req.method != "POST"):
        return not_found()
    norms = [credit_notes.normalize(raw, i) for i, raw in enumerate(_items(req, "CreditNotes"))]
    mode = "update" if note is not None else ("create" if req.method == "PUT" else "upsert")
    outcomes = []
    for data in norms:
        out = credit_notes.apply(org, data, mode, ctx.now, unitdp, note)
        outcomes.append(out)
        if not out.errors:
            rec = out.record
            ctx.event("CREDITNOTE", rec["CreditNoteID"], "UPDATE" if out.existing else "CREATE",
                      {"Type": rec["Type"], "Status": rec["Status"]})
    return _batch(ctx, org, req, "CreditNotes", outcomes, credit_notes.render)


def _allocate(ctx, org, req, note):
    """``PUT /CreditNotes/{CreditNoteID}/Allocations``: [{Invoice: {InvoiceID}, Amount, Date}]."""
    results = []
    for raw in _items(req, "Allocations"):
        alloc, inv, errors = credit_notes.allocate(org, note, raw, ctx.now)
        results.append((alloc, errors))
        if not errors:
            history.credit_applied(org, inv, note, alloc, ctx.now)
            ctx.event("INVOICE", inv["InvoiceID"], "UPDATE")
            ctx.event("CREDITNOTE", note["CreditNoteID"], "UPDATE", {"Type": note["Type"], "Status": note["Status"]})
    summarize = wire.parse_bool(req.query.get("summarizeErrors"), True)
    failed = [credit_notes.render_allocation(org, a, e) for a, e in results if e]
    if failed and summarize:
        return _bad_request(10, "ValidationException", "A validation exception occurred", failed)
    return json_response(200, _envelope(ctx.now, "Allocations",
                                        [credit_notes.render_allocation(org, a, e) for a, e in results]))


# -- tracking categories / attachments ---------------------------------------------------------


def _tracking_categories(ctx, org, req, key):
    if key is not None:
        cat = tracking.find_category(org, key)
        if cat is None:
            return not_found()
        return json_response(200, _envelope(ctx.now, "TrackingCategories", [tracking.render_category(cat, True)]))
    include = wire.parse_bool(req.query.get("includeArchived"), False)
    rows = _filtered(req, tracking.listing(org, include), tracking.category_row, lambda c: 0)
    return json_response(200, _envelope(ctx.now, "TrackingCategories",
                                        [tracking.render_category(c, include) for c in rows]))


def _attachments(ctx, org, req, inv, sub):
    """``/Invoices/{id}/Attachments[/{FileName or AttachmentID}]``."""
    part, _, name = sub.partition("/")
    if part.lower() != "attachments":
        return not_found()
    name = unquote(name.strip("/"))
    base_url = "http://" + (req.header("host") or "api.xero.com")
    iid = inv["InvoiceID"]
    if req.method == "GET":
        if not name:
            return json_response(200, _envelope(ctx.now, "Attachments", [attachments.render(a, base_url, iid)
                                                                        for a in attachments.listing(org, iid)]))
        att = attachments.find(org, iid, name)
        if att is None:
            return not_found()
        return Response(200, attachments.content(att), content_type=att["MimeType"])
    if req.method not in ("PUT", "POST") or not name or "/" in name:
        return not_found()
    att, errors = attachments.put(org, iid, name, req.body, req.header("content-type"),
                                  wire.parse_bool(req.query.get("IncludeOnline"), False), ctx.now)
    if errors:
        return _bad_request(10, "ValidationException", "A validation exception occurred",
                            [attachments.render(att, base_url, iid, errors)])
    history.file_attached(org, iid, att["FileName"], ctx.now)
    return json_response(200, _envelope(ctx.now, "Attachments", [attachments.render(att, base_url, iid)]))


def _contacts(ctx, org, req, key):
    if req.method == "GET":
        if key is not None:
            hit = resources.find_contact(org, key)
            return json_response(200, _envelope(ctx.now, "Contacts", [resources.render_contact(hit)])) if hit else not_found()
        rows = list(org["contacts"].values())
        if not wire.parse_bool(req.query.get("includeArchived"), False):
            rows = [c for c in rows if c["ContactStatus"] != "ARCHIVED"]
        ids = _csv(req, "IDs")
        if ids:
            wanted = {i.lower() for i in ids}
            rows = [c for c in rows if c["ContactID"] in wanted]
        term = (req.query.get("searchTerm") or "").lower()
        if term:
            rows = [c for c in rows if any(term in (c.get(f) or "").lower()
                                           for f in ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"))]
        rows = _filtered(req, rows, resources.contact_row, lambda c: c.get("UpdatedDate") or 0)
        rows, pagination = _paginate(req, rows)
        return json_response(200, _envelope(ctx.now, "Contacts", [resources.render_contact(c) for c in rows], pagination))
    if req.method not in ("PUT", "POST"):
        return not_found()
    results = []
    for raw in _items(req, "Contacts"):
        if key is not None and isinstance(raw, dict):
            raw = dict(raw, ContactID=key)
        contact, errors, existed = resources.apply_contact(org, raw, req.method == "POST", ctx.now,
                                                           "Contacts[%d]" % len(results))
        results.append((contact, errors))
        if not errors:
            ctx.event("CONTACT", contact["ContactID"], "UPDATE" if existed else "CREATE")
    summarize = wire.parse_bool(req.query.get("summarizeErrors"), True)
    failed = [resources.render_contact(c, e) for c, e in results if e]
    if failed and summarize:
        return _bad_request(10, "ValidationException", "A validation exception occurred", failed)
    return json_response(200, _envelope(ctx.now, "Contacts", [resources.render_contact(c, e) for c, e in results]))
