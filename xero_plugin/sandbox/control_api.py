"""The sandbox's own control API under ``/_sandbox/`` (JSON in, JSON out).

Used by tests (through ``control.SandboxControl``) to seed tokens, inject faults,
move the clock, relax limits, act "as if in Xero" and read back what happened.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from collections import Counter

from . import attachments, credit_notes, history, invoices, oauth, resources, seed, tracking, wire
from .messages import json_response


def _ok(obj=None, status=200):
    return json_response(status, obj if obj is not None else {"ok": True})


def _fail(message, status=400):
    return json_response(status, {"error": message})


def handle(app, req):
    """Dispatch ``/_sandbox/<name>``."""
    name = req.path[len("/_sandbox/"):].strip("/").lower()
    handler = _ROUTES.get((req.method, name))
    if handler is None:
        return _fail("unknown control call %s %s" % (req.method, req.path), 404)
    try:
        body = json.loads(req.body) if req.body else {}  # plain floats here, not Decimal
    except ValueError:
        return _fail("body is not JSON")
    try:
        return handler(app, req, body or {})
    except (KeyError, ValueError, TypeError) as exc:
        return _fail("%s: %s" % (type(exc).__name__, exc))


def _reset(app, req, body):
    app.state.reset()
    app.limiter.reset(app.state.limits)
    app.faults.clear()
    app.webhooks.clear()
    return _ok()


def _add_organisations(app, req, body):
    count = int(body["count"])
    if not 1 <= count <= 10000:
        raise ValueError("count must be 1 to 10000")
    with app.state.lock:
        first = 1 + sum(1 for o in app.state.orgs.values() if o["name"].startswith("Extra Organisation "))
        added = seed.extra_organisations(first, count, app.state.clock.now())
        app.state.orgs.update(added)
    return _ok(list(added))


def _tenants(app, req, body):
    return _ok([{"tenantId": t, "tenantName": o["name"], "region": o["region"], "currency": o["currency"]}
                for t, o in app.state.orgs.items()])


def _auto_approve(app, req, body):
    with app.state.lock:
        if body.get("enabled") is False:
            app.state.auto_approve = None
        else:
            app.state.auto_approve = {"tenants": body.get("tenants"), "deny": bool(body.get("deny"))}
    return _ok({"auto_approve": app.state.auto_approve})


def _tokens(app, req, body):
    state = app.state
    with state.lock:
        tenants = body.get("tenant_ids") or list(state.orgs)
        scopes = body.get("scopes") or oauth.DEFAULT_SCOPES
        if oauth.unknown_scopes(scopes):
            raise ValueError("unknown scopes %s" % oauth.unknown_scopes(scopes))
        user_id = body.get("user_id") or next(iter(state.users))
        client_id = body.get("client_id") or state.client_id
        event = str(uuid.uuid4())
        oauth.connect(state, user_id, client_id, tenants, event)
        return _ok(oauth.issue_tokens(state, user_id, client_id, list(scopes), event))


def _add_fault(app, req, body):
    return _ok(app.faults.add(**body))


def _faults(app, req, body):
    return _ok(app.faults.pending())


def _clear_faults(app, req, body):
    app.faults.clear()
    return _ok()


def _limits(app, req, body):
    with app.state.lock:
        for key in ("minute", "day", "concurrent", "app_minute"):
            if body.get(key) is not None:
                if int(body[key]) < 0:
                    raise ValueError("%s must not be negative" % key)
                app.state.limits[key] = int(body[key])
        if body.get("reset_counters"):
            app.limiter.reset(app.state.limits)
        return _ok(dict(app.state.limits))


def _refusals(app, req, body):
    """The 429s answered since the last reset, by X-Rate-Limit-Problem (minute, day, concurrent, appminute)."""
    with app.limiter._lock:
        return _ok(dict(app.limiter.refusals))


def _config(app, req, body):
    with app.state.lock:
        unknown = set(body) - set(app.state.config)
        if unknown:
            raise KeyError("unknown config keys %s" % sorted(unknown))
        for key in ("api_latency", "api_latency_jitter"):
            if key in body and float(body[key]) < 0:
                raise ValueError("%s must not be negative" % key)
        app.state.config.update(body)
        return _ok(dict(app.state.config))


def _clock(app, req, body):
    if req.method == "POST":
        app.state.clock.advance(float(body.get("advance_seconds", 0)))
    now = app.state.clock.now()
    return _ok({"now": now, "iso": wire.iso_no_zone(now), "scale": app.state.clock.scale})


def _revoke(app, req, body):
    with app.state.lock:
        n = oauth.revoke_user(app.state, body.get("user_id"), body.get("client_id"),
                              disconnect=bool(body.get("disconnect")))
    return _ok({"revoked": n})


def _disconnect(app, req, body):
    tid = body["tenant_id"].lower()
    with app.state.lock:
        before = len(app.state.connections)
        app.state.connections = [c for c in app.state.connections if c["tenant_id"] != tid]
        return _ok({"removed": before - len(app.state.connections)})


def _org(app, tenant_id):
    org = app.state.org(tenant_id or "")
    if org is None:
        raise KeyError("unknown tenant %s" % tenant_id)
    return org


def _mark_invoice(app, req, body):
    """Change an invoice as a user would in Xero: PAID, VOIDED, AUTHORISED, DELETED, or field edits."""
    state = app.state
    with state.lock:
        org = _org(app, body["tenant_id"])
        inv = invoices.find_invoice(org, body["invoice"])
        if inv is None:
            return _fail("no such invoice", 404)
        now = state.clock.now()
        status = (body.get("status") or "").upper()
        if status == "PAID":
            due = inv["Total"] - inv["AmountPaid"] - inv["AmountCredited"]
            bank = next(a for a in org["accounts"] if a["Code"] == "090")
            pay = resources.record_payment(org, inv, due, bank, invoices.org_today(org, now),
                                           inv.get("CurrencyRate") or invoices.ONE, "Paid in Xero", now)
            history.payment_recorded(org, inv, pay, now, history.XERO_USER)
        elif status:
            before, inv["Status"] = inv["Status"], status
            history.status_changed(org, inv, before, now, history.XERO_USER)
        changes = body.get("changes") or {}
        for key, value in changes.items():
            # Amounts are kept as Decimal, like everything the Accounting API writes.
            inv[key] = Decimal(str(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
        if changes:
            history.status_changed(org, inv, inv["Status"], now, history.XERO_USER)  # the same status: "Edited"
        org.pop("numbers", None)  # an edited InvoiceNumber invalidates the index
        inv["Updated"] = now
        rendered = invoices.render(org, inv)
    app.webhooks.publish(org["tenant_id"], [("INVOICE", inv["InvoiceID"], "UPDATE")])
    return _ok(rendered)


# -- contacts, tracking, payments, credit notes, attachments (as a user does in Xero) ----------------


def _contact(org, key):
    contact = resources.find_contact_any(org, key)
    if contact is None:
        raise KeyError("no contact %s" % key)
    return contact


def _contact_status(app, req, body):
    """Archive (or, with ``restore``, un-archive) a contact by ContactID, ContactNumber or Name."""
    with app.state.lock:
        org = _org(app, body["tenant_id"])
        contact = _contact(org, body["contact"])
        errors = resources.set_contact_status(org, contact, "ACTIVE" if body.get("restore") else "ARCHIVED",
                                              app.state.clock.now())
        if errors:
            return _fail(errors[0])
        rendered = resources.render_contact(contact)
    app.webhooks.publish(org["tenant_id"], [("CONTACT", contact["ContactID"], "UPDATE")])
    return _ok(rendered)


def _contacts(app, req, body):
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        return _ok([resources.render_contact(c) for c in org["contacts"].values()])


def _tracking(app, req, body):
    """GET: every category (archived too, options too); POST: add a category with its options."""
    with app.state.lock:
        org = _org(app, body.get("tenant_id") or req.query.get("tenant_id"))
        if req.method == "POST":
            try:
                cat = tracking.add_category(org, body["name"], body.get("options") or (),
                                            body.get("status") or "ACTIVE")
            except tracking.TrackingError as exc:
                return _fail(str(exc))
            return _ok(tracking.render_category(cat, True))
        return _ok([tracking.render_category(c, True) for c in org["tracking_categories"]])


def _category(org, key):
    cat = tracking.find_category(org, key)
    if cat is None:
        raise KeyError("no tracking category %s" % key)
    return cat


def _tracking_option(app, req, body):
    """Add an option to a category."""
    with app.state.lock:
        cat = _category(_org(app, body["tenant_id"]), body["category"])
        try:
            tracking.add_option(cat, body["name"])
        except tracking.TrackingError as exc:
            return _fail(str(exc))
        return _ok(tracking.render_category(cat, True))


def _tracking_status(app, req, body):
    """Archive (or restore, with ``status``) a category, or one option of it."""
    with app.state.lock:
        org = _org(app, body["tenant_id"])
        cat = _category(org, body["category"])
        status = (body.get("status") or "ARCHIVED").upper()
        try:
            if body.get("option"):
                opt = tracking.find_option(cat, body["option"])
                if opt is None:
                    raise KeyError("no option %s in %s" % (body["option"], cat["Name"]))
                tracking.set_option_status(opt, status)
            else:
                tracking.set_category_status(org, cat, status)
        except tracking.TrackingError as exc:
            return _fail(str(exc))
        return _ok(tracking.render_category(cat, True))


def _invoice_of(org, key):
    inv = invoices.find_invoice(org, key)
    if inv is None:
        raise KeyError("no invoice %s" % key)
    return inv


def _payments(app, req, body):
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        rows = list(org["payments"].values())
        if req.query.get("invoice"):
            iid = _invoice_of(org, req.query["invoice"])["InvoiceID"]
            rows = [p for p in rows if p.get("InvoiceID") == iid]
        return _ok([resources.render_payment(org, p) for p in rows])


def _delete_payment(app, req, body):
    """Delete a payment as a user (an adviser: lock dates do not stop it) does in Xero."""
    with app.state.lock:
        org = _org(app, body["tenant_id"])
        pay = org["payments"].get(str(body["payment_id"]).lower())
        if pay is None:
            return _fail("no such payment", 404)
        errors = resources.delete_payment(org, pay, app.state.clock.now(), check_locks=False)
        if errors:
            return _fail(errors[0])
        history.payment_removed(org, pay, app.state.clock.now(), history.XERO_USER)
        rendered = resources.render_payment(org, pay)
    if pay.get("InvoiceID"):
        app.webhooks.publish(org["tenant_id"], [("INVOICE", pay["InvoiceID"], "UPDATE")])
    return _ok(rendered)


def _credit_notes(app, req, body):
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        number = req.query.get("number")
        rows = [n for n in org["credit_notes"].values() if number is None or n["CreditNoteNumber"] == number]
        return _ok([credit_notes.render(org, n) for n in rows])


def _attachments(app, req, body):
    """An invoice's attachments, each with its content (base64)."""
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        iid = _invoice_of(org, req.query["invoice"])["InvoiceID"]
        base_url = "http://" + (req.header("host") or "127.0.0.1")
        return _ok([dict(attachments.render(a, base_url, iid), Content=a["Content"])
                    for a in attachments.listing(org, iid)])


def _history(app, req, body):
    """An invoice's history and notes (number or id), newest first, as ``GET /Invoices/{id}/History`` lists it."""
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        iid = _invoice_of(org, req.query["invoice"])["InvoiceID"]
        return _ok([history.render(r) for r in history.listing(org, iid)])


def _branding_themes(app, req, body):
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        return _ok([resources.render_branding_theme(t) for t in org["branding_themes"]])


def _redirect_uris(app, req, body):
    """GET: an app's registered redirect URIs; POST ``{"uris", "add", "client_id"}``: replace (or add to) them."""
    state = app.state
    with state.lock:
        client = state.apps.get(body.get("client_id") or req.query.get("client_id") or state.client_id)
        if client is None:
            raise KeyError("unknown client")
        if req.method == "POST":
            uris = body.get("uris")
            if isinstance(uris, str) or not all(isinstance(u, str) and u for u in uris or ()):
                raise ValueError("uris must be a list of URIs")
            current = client.get("redirect_uris", []) if body.get("add") else []
            client["redirect_uris"] = list(dict.fromkeys(list(current) + list(uris)))
        return _ok(list(client.get("redirect_uris", [])))


def _day_or_none(value):
    return None if value in (None, "") else wire.parse_day(str(value))


def _lock_dates(app, req, body):
    """Set an organisation's PeriodLockDate and EndOfYearLockDate (ISO days; null removes a lock)."""
    with app.state.lock:
        org = _org(app, body.get("tenant_id") or req.query.get("tenant_id"))
        if req.method == "POST":
            org["period_lock_date"] = _day_or_none(body.get("period"))
            org["end_of_year_lock_date"] = _day_or_none(body.get("end_of_year"))
        return _ok({"period": org.get("period_lock_date"), "end_of_year": org.get("end_of_year_lock_date")})


def _currencies(app, req, body):
    """Add a currency to an organisation (as in Xero's settings), optionally with its day rate."""
    with app.state.lock:
        org = _org(app, body["tenant_id"])
        code = str(body["code"]).strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ValueError("a currency code has three letters")
        if not any(c["Code"] == code for c in org["currencies"]):
            org["currencies"].append(seed.currency_row(code, body.get("description")))
        if body.get("rate") is not None:
            org.setdefault("day_rates", {})[code] = Decimal(str(body["rate"]))
        return _ok(list(org["currencies"]))


def _invoices(app, req, body):
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        number = req.query.get("invoice_number")
        rows = [i for i in org["invoices"].values() if number is None or i["InvoiceNumber"] == number]
        return _ok([invoices.render(org, i) for i in rows])


def _duplicates(app, req, body):
    field = req.query.get("field") or "InvoiceNumber"
    with app.state.lock:
        org = _org(app, req.query.get("tenant_id"))
        counts = Counter(i.get(field) for i in org["invoices"].values() if i.get(field))
    return _ok({k: v for k, v in counts.items() if v > 1})


def _call_counts(app, req, body):
    with app.state.lock:
        return _ok([{"method": m, "endpoint": e, "tenant_id": t or None, "count": n}
                    for (m, e, t), n in sorted(app.state.call_counts.items())])


def _requests(app, req, body):
    limit = int(req.query.get("limit") or 0)
    with app.state.lock:
        rows = list(app.state.request_log)
    return _ok(rows[-limit:] if limit else rows)


def _clear_requests(app, req, body):
    with app.state.lock:
        app.state.request_log.clear()
        app.state.call_counts.clear()
    return _ok()


def _webhook(app, req, body):
    with app.state.lock:
        app.state.webhook["url"] = body.get("url")
        if body.get("key"):
            app.state.webhook["key"] = body["key"]
        return _ok(dict(app.state.webhook))


def _intent(app, req, body):
    return _ok(app.webhooks.intent_to_receive())


def _deliveries(app, req, body):
    if req.query.get("flush", "").lower() in ("1", "true"):
        app.webhooks.flush(float(req.query.get("timeout") or 5))
    return _ok(list(app.webhooks.deliveries))


def _save(app, req, body):
    path = body.get("path") or app.state_file
    if not path:
        raise ValueError("no state file configured")
    app.state.save(path)
    return _ok({"path": path})


def _health(app, req, body):
    return _ok({"ok": True, "now": app.state.clock.now()})


_ROUTES = {
    ("GET", "health"): _health,
    ("POST", "reset"): _reset,
    ("GET", "tenants"): _tenants,
    ("POST", "organisations"): _add_organisations,
    ("POST", "auto_approve"): _auto_approve,
    ("POST", "tokens"): _tokens,
    ("POST", "faults"): _add_fault,
    ("GET", "faults"): _faults,
    ("DELETE", "faults"): _clear_faults,
    ("POST", "limits"): _limits,
    ("GET", "limits"): _limits,
    ("GET", "refusals"): _refusals,
    ("POST", "config"): _config,
    ("GET", "config"): _config,
    ("POST", "clock"): _clock,
    ("GET", "clock"): _clock,
    ("POST", "revoke_tokens"): _revoke,
    ("POST", "disconnect"): _disconnect,
    ("POST", "invoices/mark"): _mark_invoice,
    ("GET", "redirect_uris"): _redirect_uris,
    ("POST", "redirect_uris"): _redirect_uris,
    ("GET", "lock_dates"): _lock_dates,
    ("POST", "lock_dates"): _lock_dates,
    ("POST", "currencies"): _currencies,
    ("GET", "invoices"): _invoices,
    ("GET", "contacts"): _contacts,
    ("POST", "contacts/status"): _contact_status,
    ("GET", "tracking"): _tracking,
    ("POST", "tracking"): _tracking,
    ("POST", "tracking/options"): _tracking_option,
    ("POST", "tracking/status"): _tracking_status,
    ("GET", "payments"): _payments,
    ("POST", "payments/delete"): _delete_payment,
    ("GET", "credit_notes"): _credit_notes,
    ("GET", "attachments"): _attachments,
    ("GET", "history"): _history,
    ("GET", "branding_themes"): _branding_themes,
    ("GET", "duplicates"): _duplicates,
    ("GET", "call_counts"): _call_counts,
    ("GET", "requests"): _requests,
    ("DELETE", "requests"): _clear_requests,
    ("POST", "webhook"): _webhook,
    ("POST", "webhook/intent_to_receive"): _intent,
    ("GET", "webhook/deliveries"): _deliveries,
    ("POST", "save"): _save,
}
