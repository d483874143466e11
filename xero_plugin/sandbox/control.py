"""``SandboxControl``: a small Python client for the sandbox's ``/_sandbox/`` API."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


class SandboxControlError(RuntimeError):
    """A control call was refused."""


class SandboxControl:
    """Drive a running sandbox (in this process or another) over HTTP."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, name: str, body=None, **query):
        url = "%s/_sandbox/%s" % (self.base_url, name)
        query = {k: v for k, v in query.items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise SandboxControlError("%s %s -> %d %s" % (method, name, exc.code, exc.read().decode())) from None

    # -- world -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seed data, the limits and config the sandbox was started with (Xero's unless
        ``app_minute_limit`` / ``api_latency`` were given), no tokens, faults or logs."""
        self._call("POST", "reset", {})

    def tenants(self) -> list:
        """``[{"tenantId", "tenantName", "region", "currency"}]`` for the seeded organisations."""
        return self._call("GET", "tenants")

    def add_organisations(self, count: int) -> list:
        """Seed `count` more organisations like Demo Company (NZ) (until the next reset); their tenant ids."""
        return self._call("POST", "organisations", {"count": count})

    def health(self) -> dict:
        return self._call("GET", "health")

    # -- OAuth -----------------------------------------------------------------------------

    def auto_approve(self, tenant_ids=None, deny: bool = False, enabled: bool = True) -> dict:
        """Make ``GET /identity/connect/authorize`` redirect at once (approving these tenants, or all)."""
        return self._call("POST", "auto_approve", {"tenants": tenant_ids, "deny": deny, "enabled": enabled})

    def issue_tokens(self, tenant_ids=None, scopes=None, user_id=None, client_id=None) -> dict:
        """Connect tenants and mint tokens without a browser; returns Xero's token response."""
        return self._call("POST", "tokens", {"tenant_ids": tenant_ids, "scopes": scopes, "user_id": user_id,
                                             "client_id": client_id})

    def set_redirect_uris(self, uris, add: bool = False, client_id=None) -> list:
        """Register the app's redirect URIs (replacing them, or adding to them); returns them all.
        ``/identity/connect/authorize`` accepts only a registered one, matched exactly."""
        return self._call("POST", "redirect_uris", {"uris": list(uris), "add": add, "client_id": client_id})

    def redirect_uris(self, client_id=None) -> list:
        """The app's registered redirect URIs."""
        return self._call("GET", "redirect_uris", client_id=client_id)

    def revoke_tokens(self, user_id=None, disconnect: bool = False) -> int:
        """Revoke every access and refresh token (of one user, or all); optionally drop connections."""
        return self._call("POST", "revoke_tokens", {"user_id": user_id, "disconnect": disconnect})["revoked"]

    def disconnect_tenant(self, tenant_id: str) -> int:
        """Remove every connection to a tenant (as if disconnected in Xero)."""
        return self._call("POST", "disconnect", {"tenant_id": tenant_id})["removed"]

    # -- faults, limits, clock, config -----------------------------------------------------------

    def inject_fault(self, kind: str, count: int = 1, path=None, method=None, tenant_id=None, delay=None,
                     **extra) -> dict:
        """Arm a fault for the next ``count`` matching calls (see ``faults.KINDS``)."""
        return self._call("POST", "faults", {"kind": kind, "count": count, "path": path, "method": method,
                                             "tenant_id": tenant_id, "delay": delay, **extra})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def faults(self) -> list:
        return self._call("GET", "faults")

    def set_limits(self, minute=None, day=None, concurrent=None, app_minute=None, reset_counters=False) -> dict:
        """Change the per-tenant limits and the app-wide ``app_minute`` (None keeps a limit); returns the
        limits now in force. ``reset_counters`` forgets every window and in-flight count."""
        return self._call("POST", "limits", {"minute": minute, "day": day, "concurrent": concurrent,
                                             "app_minute": app_minute, "reset_counters": reset_counters})

    def limits(self) -> dict:
        """The limits in force: ``minute``, ``day``, ``concurrent`` (per organisation) and ``app_minute``
        (per app, across all its tenants)."""
        return self._call("GET", "limits")

    def set_app_minute_limit(self, calls: int, reset_counters: bool = False) -> dict:
        """Calls a minute per app across all tenants (Xero: 10,000); e.g. 100 to make it bind."""
        return self.set_limits(app_minute=calls, reset_counters=reset_counters)

    def refusals(self) -> dict:
        """The 429s answered since the last reset, by X-Rate-Limit-Problem: {"minute": n, "appminute": n, ...}."""
        return self._call("GET", "refusals")

    def relax_limits(self) -> dict:
        """Limits high enough for bulk tests."""
        return self.set_limits(minute=10**9, day=10**9, concurrent=10**6, app_minute=10**9, reset_counters=True)

    def set_config(self, **values) -> dict:
        """Tune lifetimes and delays (keys of ``state.DEFAULT_CONFIG``)."""
        return self._call("POST", "config", values)

    def config(self) -> dict:
        """The config in force (keys of ``state.DEFAULT_CONFIG``)."""
        return self._call("GET", "config")

    def set_latency(self, ms: float, jitter_ms: float = 0) -> dict:
        """Every Accounting API call takes ``ms`` +/- ``jitter_ms`` real milliseconds (uniform, never below 0);
        identity, OAuth and ``/_sandbox/`` are not delayed. ``set_latency(0)`` turns it off."""
        return self.set_config(api_latency=ms / 1000.0, api_latency_jitter=jitter_ms / 1000.0)

    def advance_clock(self, seconds: float) -> float:
        """Time travel: move the sandbox clock forward; returns the new sandbox epoch seconds."""
        return self._call("POST", "clock", {"advance_seconds": seconds})["now"]

    def now(self) -> float:
        """The sandbox clock (epoch seconds)."""
        return self._call("GET", "clock")["now"]

    # -- acting as Xero's UI -----------------------------------------------------------------

    def mark_invoice(self, tenant_id: str, invoice_number_or_id: str, status=None, **changes) -> dict:
        """Change an invoice as if in Xero: status "PAID" (pays it in full to 090), "VOIDED",
        "AUTHORISED", "DELETED"; keyword changes edit stored fields (e.g. Reference="x")."""
        return self._call("POST", "invoices/mark", {"tenant_id": tenant_id, "invoice": invoice_number_or_id,
                                                    "status": status, "changes": changes})

    def set_lock_dates(self, tenant_id: str, period=None, end_of_year=None) -> dict:
        """Set an organisation's period lock date and end of year lock date (``date`` or ISO day; None
        removes that lock), as an adviser does in Xero. Documents dated on or before them are refused."""
        return self._call("POST", "lock_dates", {"tenant_id": tenant_id, "period": _iso(period),
                                                 "end_of_year": _iso(end_of_year)})

    def lock_dates(self, tenant_id: str) -> dict:
        """``{"period", "end_of_year"}`` of an organisation (ISO days or None)."""
        return self._call("GET", "lock_dates", tenant_id=tenant_id)

    def add_currency(self, tenant_id: str, code: str, description=None, rate=None) -> list:
        """Add a currency to an organisation (optionally its day rate: units per one base unit);
        returns its currencies."""
        return self._call("POST", "currencies", {"tenant_id": tenant_id, "code": code, "description": description,
                                                 "rate": None if rate is None else str(rate)})

    def archive_contact(self, tenant_id: str, name_or_id: str) -> dict:
        """Archive a contact (by ContactID, ContactNumber or Name) as if in Xero; fires a CONTACT webhook.
        Invoices and credit notes for it are then refused."""
        return self._call("POST", "contacts/status", {"tenant_id": tenant_id, "contact": name_or_id})

    def restore_contact(self, tenant_id: str, name_or_id: str) -> dict:
        """Un-archive a contact (refused if an active contact has its name)."""
        return self._call("POST", "contacts/status", {"tenant_id": tenant_id, "contact": name_or_id,
                                                      "restore": True})

    def add_tracking_category(self, tenant_id: str, name: str, options=(), status: str = "ACTIVE") -> dict:
        """Add a tracking category with its options (Xero allows two active categories); returns it with
        its TrackingCategoryID and each option's TrackingOptionID."""
        return self._call("POST", "tracking", {"tenant_id": tenant_id, "name": name, "options": list(options),
                                               "status": status})

    def add_tracking_option(self, tenant_id: str, category: str, name: str) -> dict:
        """Add an option to a category (by name or id); returns the category."""
        return self._call("POST", "tracking/options", {"tenant_id": tenant_id, "category": category, "name": name})

    def archive_tracking_category(self, tenant_id: str, category: str, status: str = "ARCHIVED") -> dict:
        """Archive a category (``status="ACTIVE"`` restores it); returns it."""
        return self._call("POST", "tracking/status", {"tenant_id": tenant_id, "category": category,
                                                      "status": status})

    def archive_tracking_option(self, tenant_id: str, category: str, option: str, status: str = "ARCHIVED") -> dict:
        """Archive one option of a category (``status="ACTIVE"`` restores it); returns the category."""
        return self._call("POST", "tracking/status", {"tenant_id": tenant_id, "category": category,
                                                      "option": option, "status": status})

    def delete_payment(self, tenant_id: str, payment_id: str) -> dict:
        """Delete a payment as if in Xero (lock dates do not stop it): the invoice is due again and back to
        AUTHORISED if it was PAID; fires the invoice's webhook. Returns the payment (Status DELETED)."""
        return self._call("POST", "payments/delete", {"tenant_id": tenant_id, "payment_id": payment_id})

    # -- read-back ---------------------------------------------------------------------------

    def contacts(self, tenant_id: str) -> list:
        """Every contact of a tenant, archived ones too (Xero JSON shape)."""
        return self._call("GET", "contacts", tenant_id=tenant_id)

    def tracking_categories(self, tenant_id: str) -> list:
        """Every tracking category with all its options, archived ones too."""
        return self._call("GET", "tracking", tenant_id=tenant_id)

    def branding_themes(self, tenant_id: str) -> list:
        """The organisation's branding themes."""
        return self._call("GET", "branding_themes", tenant_id=tenant_id)

    def payments(self, tenant_id: str, invoice=None) -> list:
        """Every payment of a tenant (deleted ones too), optionally of one invoice (number or id)."""
        return self._call("GET", "payments", tenant_id=tenant_id, invoice=invoice)

    def credit_notes(self, tenant_id: str, number=None) -> list:
        """Every credit note of a tenant (Xero JSON shape, with allocations), optionally one number."""
        return self._call("GET", "credit_notes", tenant_id=tenant_id, number=number)

    def attachments(self, tenant_id: str, invoice: str) -> list:
        """An invoice's attachments (number or id), each with ``Content`` (base64)."""
        return self._call("GET", "attachments", tenant_id=tenant_id, invoice=invoice)

    def history(self, tenant_id: str, invoice_number_or_id: str) -> list:
        """An invoice's history and notes, newest first: ``[{"Changes", "DateUTCString", "DateUTC", "User",
        "Details"}]`` as ``GET /Invoices/{id}/History`` answers them."""
        return self._call("GET", "history", tenant_id=tenant_id, invoice=invoice_number_or_id)

    def invoices(self, tenant_id: str, invoice_number=None) -> list:
        """Every stored invoice of a tenant (Xero JSON shape), optionally one InvoiceNumber."""
        return self._call("GET", "invoices", tenant_id=tenant_id, invoice_number=invoice_number)

    def duplicate_invoice_numbers(self, tenant_id: str, field: str = "InvoiceNumber") -> dict:
        """``{value: count}`` for values of ``field`` held by more than one invoice."""
        return self._call("GET", "duplicates", tenant_id=tenant_id, field=field)

    def call_counts(self) -> list:
        """``[{"method", "endpoint", "tenant_id", "count"}]`` (endpoint ids collapsed to ``{id}``)."""
        return self._call("GET", "call_counts")

    def call_count(self, method=None, endpoint_contains=None, tenant_id=None) -> int:
        """Sum of call counts matching the filters (endpoint matched case-insensitively)."""
        return sum(row["count"] for row in self.call_counts()
                   if (method is None or row["method"] == method.upper())
                   and (endpoint_contains is None or endpoint_contains.lower() in row["endpoint"].lower())
                   and (tenant_id is None or row["tenant_id"] == tenant_id.lower()))

    def request_log(self, limit: int | None = None) -> list:
        """Logged API requests (not control calls), oldest first."""
        return self._call("GET", "requests", limit=limit)

    def clear_request_log(self) -> None:
        self._call("DELETE", "requests")

    # -- webhooks ----------------------------------------------------------------------------

    def set_webhook(self, url, key=None) -> dict:
        """Where to POST events (None disables) and, optionally, a new webhook key."""
        return self._call("POST", "webhook", {"url": url, "key": key})

    def intent_to_receive(self) -> dict:
        """Run Xero's Intent to Receive; ``{"ok": bool, "results": [...]}``."""
        return self._call("POST", "webhook/intent_to_receive", {})

    def webhook_deliveries(self, flush: bool = True, timeout: float = 5.0) -> list:
        """Deliveries made so far (after waiting for the queue to drain when ``flush``)."""
        return self._call("GET", "webhook/deliveries", flush="1" if flush else None, timeout=timeout)

    def save(self, path=None) -> str:
        """Write the state file now."""
        return self._call("POST", "save", {"path": path})["path"]


def _iso(day):
    """A ``date``/``datetime`` or ISO string -> ISO day string (None stays None)."""
    if day is None:
        return None
    return day.isoformat()[:10] if hasattr(day, "isoformat") else str(day)
