"""All sandbox state in memory (optionally mirrored to a JSON file).

One ``SandboxState`` holds the organisations (accounts, tax rates, contacts, invoices,
payments, credit notes, tracking categories, branding themes, attachments, invoice history),
the OAuth world (users, codes, tokens, connections), the idempotency cache,
the request log and the knobs tests turn (limits, config, auto-approve, webhook target).
Callers take ``state.lock`` around any read-modify-write.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter, deque
from decimal import Decimal

from . import seed

DEFAULT_CONFIG = {
    "access_token_ttl": 1800,           # sandbox seconds (Xero: 30 min)
    "refresh_grace": 1800,              # old refresh token still works 30 min after rotation
    "refresh_idle": 60 * 86400,         # refresh token dies after 60 days unused
    "code_ttl": 300,                    # [INFERRED] Xero's code lifetime is unpublished; 5 min
    "idempotency_ttl": 360,             # 6 minutes
    "fault_delay": 2.0,                 # REAL seconds a "timeout" fault sleeps
    "webhook_retries": 3,
    "webhook_retry_delay": 0.2,         # REAL seconds between webhook retries
    "max_body_bytes": 3_500_000,
    "api_latency": 0.0,                 # REAL seconds every Accounting API call takes, holding one of its
                                        # tenant's concurrent slots until it has answered
    "api_latency_jitter": 0.0,          # REAL seconds: each call's latency is drawn uniformly from
                                        # api_latency +/- this (never below 0)
}
DEFAULT_LIMITS = {"minute": 60, "day": 5000, "concurrent": 5, "app_minute": 10000}
REQUEST_LOG_SIZE = 20000


class SandboxState:
    """The mutable world of the sandbox."""

    def __init__(self, clock, client_id: str, client_secret: str, webhook_key: str, redirect_uris=None):
        self.lock = threading.RLock()
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        # The default app's registered redirect URIs, as configured when the sandbox started; a reset
        # restores them.
        self.redirect_uris = list(seed.DEFAULT_REDIRECT_URIS if redirect_uris is None else redirect_uris)
        # What a reset restores: Xero's values, unless the sandbox was started with others (``set_defaults``).
        self.config_defaults = dict(DEFAULT_CONFIG)
        self.limit_defaults = dict(DEFAULT_LIMITS)
        self.reset(webhook_key=webhook_key)

    def set_defaults(self, config=None, limits=None) -> None:
        """Start-up settings (e.g. ``app_minute``, ``api_latency``): in force now and after every reset."""
        with self.lock:
            for name, values, defaults, current in (("config", config, self.config_defaults, self.config),
                                                    ("limits", limits, self.limit_defaults, self.limits)):
                unknown = set(values or ()) - set(defaults)
                if unknown:
                    raise KeyError("unknown %s keys %s" % (name, sorted(unknown)))
                defaults.update(values or {})
                current.update(values or {})  # in place: the rate limiter shares ``limits``

    def reset(self, webhook_key: str | None = None) -> None:
        """Back to the seed: fresh organisations, no tokens, no faults, default limits."""
        with self.lock:
            self.clock.undo_travel()
            now = self.clock.now()
            self.orgs = seed.seed_organisations(now)
            self.apps = {self.client_id: {"client_secret": self.client_secret,
                                          "redirect_uris": list(self.redirect_uris)}}
            self.users = {seed.DEFAULT_USER["user_id"]: dict(seed.DEFAULT_USER)}
            self.codes = {}
            self.access_tokens = {}
            self.refresh_tokens = {}
            self.connections = []
            self.idempotency = {}
            self.config = dict(self.config_defaults)
            self.limits = dict(self.limit_defaults)
            self.auto_approve = None       # None, or {"tenants": [...], "deny": bool}
            self.webhook = {"url": None, "key": webhook_key or getattr(self, "webhook", {}).get("key")}
            self.request_log = deque(maxlen=REQUEST_LOG_SIZE)
            self.call_counts = Counter()
            self.sequence = 0              # webhook event sequence

    # -- lookups ---------------------------------------------------------------------------

    def org(self, tenant_id: str):
        """The organisation record for a tenant id (case-insensitive), or None."""
        org = self.orgs.get(tenant_id)
        if org is None and tenant_id:
            org = self.orgs.get(tenant_id.lower())
        return org

    def connections_for(self, user_id: str, client_id: str) -> list:
        """The user's live connections for an app."""
        return [c for c in self.connections if c["user_id"] == user_id and c["client_id"] == client_id]

    def is_connected(self, user_id: str, client_id: str, tenant_id: str) -> bool:
        """Whether the user has connected the app to this tenant."""
        tid = (tenant_id or "").lower()
        return any(c["tenant_id"] == tid for c in self.connections_for(user_id, client_id))

    # -- persistence -----------------------------------------------------------------------

    _PERSISTED = ("orgs", "apps", "users", "codes", "access_tokens", "refresh_tokens",
                  "connections", "config", "limits", "webhook", "sequence")

    def save(self, path: str) -> None:
        """Write the durable parts of the state as JSON (atomically)."""
        with self.lock:
            data = {name: getattr(self, name) for name in self._PERSISTED}
            data["clock_now"] = self.clock.now()
            text = json.dumps(data, default=_encode)
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)

    def load(self, path: str) -> bool:
        """Load a state file written by ``save``; False when it does not exist."""
        if not os.path.exists(path):
            return False
        with open(path) as fh:
            data = json.load(fh, object_hook=_decode)
        with self.lock:
            for name in self._PERSISTED:
                if name in data:
                    setattr(self, name, data[name])
            # Keys added since the file was written (e.g. api_latency_jitter) take their defaults.
            self.config = {**self.config_defaults, **self.config}
            self.limits = {**self.limit_defaults, **self.limits}
            # The URIs this run was started with stay registered (a state file may come from a run on
            # another port).
            app = self.apps.setdefault(self.client_id, {"client_secret": self.client_secret})
            app["redirect_uris"] = _union(app.get("redirect_uris") or [], self.redirect_uris)
            for org in self.orgs.values():  # state files written before currencies and lock dates existed
                org.setdefault("currencies", [seed.currency_row(org["currency"])])
                org.setdefault("day_rates", {})
                org.setdefault("period_lock_date", None)
                org.setdefault("end_of_year_lock_date", None)
                org.setdefault("credit_notes", {})  # ... and before credit notes, tracking, branding, attachments
                org.setdefault("attachments", {})
                org.setdefault("history", {})  # ... and before invoice history and notes
                org.setdefault("tracking_categories", [])
                org.setdefault("branding_themes", seed.seed_branding_themes(org["tenant_id"], org.get("created", 0)))
                org.setdefault("next_credit_number", 1)
            self.clock.set_now(data.get("clock_now", 0))
        return True


def _union(first, second) -> list:
    return list(dict.fromkeys(list(first) + list(second)))


def _encode(obj):
    if isinstance(obj, Decimal):
        return {"__decimal__": str(obj)}
    raise TypeError("cannot persist %r" % type(obj))


def _decode(obj):
    if len(obj) == 1 and "__decimal__" in obj:
        return Decimal(obj["__decimal__"])
    return obj
