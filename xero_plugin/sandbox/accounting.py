"""The Accounting API endpoints (``/api.xro/2.0/...``): envelopes, batches with
``summarizeErrors``, GET filters and paging. Auth, limits and idempotency are the
caller's job (app.py); everything here runs under ``state.lock``."""

from __future__ import annotations

from . import invoices, resources, wire
from .messages import Response, correlation_id, json_response, not_found
from .query import QueryError, compile_where

RESOURCES = {"invoices": "invoices", "payments": "payments", "contacts": "contacts", "accounts": "settings",
             "taxrates": "settings", "organisation": "settings", "currencies": "settings"}


def _envelope(now, key, items, pagination=None, warnings=None) -> dict:
    body = {"Id": correlation_id(), "Status": "OK", "ProviderName": "Xero Sandbox",
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
    try:
        if resource == "invoices":
            return _invoices(ctx, org, req, key)
        if resource == "payments":
            return _payments(ctx, org, req, key)
        if resource == "contacts":
            return _contacts(ctx, org, req, key)
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


def _invoices(ctx, org, req, key):
    unitdp = 4 if req.query.get("unitdp") == "4" else 2
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
    summarize = wire.parse_bool(req.query.get("summarizeErrors"), True)

    def element(out):
        echo_id = None
        if out.errors and out.existing is None:
            echo_id = wire.ZERO_GUID
        body = invoices.render(org, out.record, True, out.errors, out.warnings, echo_id)
        body["StatusAttributeString"] = "ERROR" if out.errors else ("WARNING" if out.warnings else "OK")
        return body

    failed = [o for o in outcomes if o.errors]
    if failed and summarize:
        return _bad_request(10, "ValidationException", "A validation exception occurred",
                            [element(o) for o in failed])
    return json_response(200, _envelope(ctx.now, "Invoices", [element(o) for o in outcomes]))


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
        return json_response(200, _envelope(ctx.now, "Payments", [resources.render_payment(org, p) for p in rows]))
    if req.method not in ("PUT", "POST") or key is not None:
        return not_found()
    results = []
    for raw in _items(req, "Payments"):
        pay, inv, errors = resources.apply_payment(org, raw, ctx.now)
        results.append((pay, errors))
        if not errors:
            ctx.event("INVOICE", inv["InvoiceID"], "UPDATE")
    summarize = wire.parse_bool(req.query.get("summarizeErrors"), True)
    failed = [resources.render_payment(org, p, e) for p, e in results if e]
    if failed and summarize:
        return _bad_request(10, "ValidationException", "A validation exception occurred", failed)
    return json_response(200, _envelope(ctx.now, "Payments", [resources.render_payment(org, p, e) for p, e in results]))


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
        pred = compile_where(req.query.get("where"))
        if pred is not None:
            rows = [c for c in rows if pred(resources.contact_row(c))]
        rows, pagination = _paginate(req, rows)
        return json_response(200, _envelope(ctx.now, "Contacts", [resources.render_contact(c) for c in rows], pagination))
    if req.method not in ("PUT", "POST"):
        return not_found()
    results = []
    for raw in _items(req, "Contacts"):
        if key is not None and isinstance(raw, dict):
            raw = dict(raw, ContactID=key)
        contact, errors = resources.apply_contact(org, raw, req.method == "POST", ctx.now)
        results.append((contact, errors))
        if not errors:
            ctx.event("CONTACT", contact["ContactID"], "UPDATE" if raw.get("ContactID") else "CREATE")
    summarize = wire.parse_bool(req.query.get("summarizeErrors"), True)
    failed = [resources.render_contact(c, e) for c, e in results if e]
    if failed and summarize:
        return _bad_request(10, "ValidationException", "A validation exception occurred", failed)
    return json_response(200, _envelope(ctx.now, "Contacts", [resources.render_contact(c, e) for c, e in results]))
