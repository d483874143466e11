"""The request router: faults, auth, limits, idempotency, logging, then the handlers."""

from __future__ import annotations

import hashlib
import random
import re
import time

from . import accounting, control_api, faults, oauth
from .messages import Response, correlation_id, json_response, not_found, text_response

_API_PREFIX = "/api.xro/2.0/"
_ID_SEGMENT = re.compile(r"^(/api\.xro/2\.0/[^/]+|/connections)/.+$", re.I)


class _Ctx:
    """Per-call context for handlers: the sandbox time and the webhook events raised."""

    __slots__ = ("now", "events")

    def __init__(self, now):
        self.now = now
        self.events = []

    def event(self, category, resource_id, event_type, data=None):
        self.events.append((category, resource_id, event_type, data))


def endpoint_name(path: str) -> str:
    """``/api.xro/2.0/Invoices/INV-1`` -> ``/api.xro/2.0/Invoices/{id}`` (for call counts)."""
    m = _ID_SEGMENT.match(path)
    return m.group(1) + "/{id}" if m else path


class SandboxApp:
    """Turns a Request into a Response against one SandboxState."""

    def __init__(self, state, limiter, injector, webhooks):
        self.state, self.limiter, self.faults, self.webhooks = state, limiter, injector, webhooks
        self._seq = 0
        self._random = random.Random()

    def latency(self) -> float:
        """One Accounting API call's latency in REAL seconds: ``api_latency +/- api_latency_jitter``
        (uniform, never below 0)."""
        config = self.state.config
        base = float(config.get("api_latency") or 0)
        jitter = float(config.get("api_latency_jitter") or 0)
        if jitter:
            base += self._random.uniform(-jitter, jitter)
        return max(0.0, base)

    def handle(self, req) -> Response:
        """Entry point from the HTTP layer."""
        low = req.path.lower()
        if low.startswith("/_sandbox/"):
            return control_api.handle(self, req)
        started = time.perf_counter()
        tenant = req.header("xero-tenant-id")
        entry = self._log(req, tenant)
        fault = self.faults.take(req.method, req.path, tenant)
        if fault is not None:
            entry["fault"] = fault["kind"]
        if fault is not None and fault["kind"] in faults.BEFORE:
            resp = faults.before_response(fault, self.state.config["fault_delay"])
        else:
            resp = self._route(req, low, fault)
            if fault is not None and fault["kind"] in faults.AFTER:
                resp = faults.after_commit(fault, resp, self.state.config["fault_delay"])
        entry["status"] = resp.status if resp.action != "drop" else None
        entry["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return resp

    def _log(self, req, tenant):
        with self.state.lock:
            self._seq += 1
            entry = {"seq": self._seq, "time": self.state.clock.now(), "method": req.method, "path": req.path,
                     "query": req.raw_query, "tenant_id": tenant, "idempotency_key": req.header("idempotency-key"),
                     "status": None, "fault": None}
            self.state.request_log.append(entry)
            self.state.call_counts[(req.method, endpoint_name(req.path), (tenant or "").lower())] += 1
        return entry

    def _route(self, req, low, fault) -> Response:
        state = self.state
        if low.startswith(_API_PREFIX):
            rest = req.path[len(_API_PREFIX):].strip("/")
            resource, _, key = rest.partition("/")
            resource = resource.lower()
            # Latency is the Accounting API's only (not identity, OAuth or /_sandbox/): every answer takes it,
            # refusals too; an admitted call spends it holding its concurrent slot, a refusal holds nothing.
            latency = self.latency()
            if resource not in accounting.RESOURCES:
                resp = not_found()
                resp.delay = latency
                return resp
            return self._api(req, resource, key or None, fault, latency)
        with state.lock:
            if low == "/connect/token" and req.method == "POST":
                return oauth.token_endpoint(state, req)
            if low == "/connect/revocation" and req.method == "POST":
                return oauth.revocation_endpoint(state, req)
            if low == "/identity/connect/authorize" and req.method in ("GET", "POST"):
                return oauth.authorize_endpoint(state, req)
            if low == "/connections" or low.startswith("/connections/"):
                conn_id = req.path[len("/connections/"):] or None if len(low) > len("/connections") else None
                return oauth.connections_endpoint(state, req, conn_id)
        return not_found()

    def _api(self, req, resource, key, fault, latency) -> Response:
        state = self.state
        with state.lock:
            token, error = oauth.authenticate(state, req, accounting.scope_for(resource, key), need_tenant=True)
        if error is not None:
            error.delay = latency
            return error
        tenant = req.header("xero-tenant-id").lower()
        client_id = token["client_id"]
        problem, retry_after, headers = self.limiter.acquire(client_id, tenant)
        if problem is not None:
            resp = text_response(429, "Rate limit exceeded", headers=headers)
            resp.headers.append(("X-Rate-Limit-Problem", problem))
            if retry_after is not None:
                resp.headers.append(("Retry-After", str(retry_after)))
            resp.delay = latency  # written after the delay, by the server, holding no slot
            return resp
        # The call holds one of its tenant's concurrent slots until its answer has been written (or the
        # connection dropped): a held-back response is still a call in progress.
        ctx, resp = None, None
        try:
            delay = latency
            if fault is not None and fault["kind"] == "slow":
                delay = fault.get("delay") or state.config["fault_delay"]
            if delay:
                time.sleep(delay)
            with state.lock:
                ctx = _Ctx(state.clock.now())
                resp = self._idempotent(req, client_id, tenant, ctx, lambda: accounting.handle(
                    ctx, state.org(tenant), req, resource, key))
        finally:
            if resp is None:
                self.limiter.release(client_id, tenant)
        resp.on_done.append(lambda: self.limiter.release(client_id, tenant))
        if ctx is not None and ctx.events:
            self.webhooks.publish(tenant, ctx.events)
        resp.headers.extend(headers)
        if resp.get_header("Xero-Correlation-Id") is None:
            resp.headers.append(("Xero-Correlation-Id", correlation_id()))
        return resp

    def _idempotent(self, req, client_id, tenant, ctx, run) -> Response:
        """Replay the first response for a repeated Idempotency-Key; refuse a changed request."""
        key = req.header("idempotency-key")
        if not key or req.method not in ("PUT", "POST", "PATCH"):
            return run()
        cache = self.state.idempotency
        slot = (client_id, tenant, key)
        fingerprint = "%s %s?%s %s" % (req.method, req.path.lower(), req.raw_query,
                                       hashlib.sha256(req.body).hexdigest())
        hit = cache.get(slot)
        if hit is not None and ctx.now < hit["expires"]:
            if hit["fingerprint"] != fingerprint:
                # [INFERRED] wrapper; the message text comes from a 3P fixture.
                return json_response(400, {"ErrorNumber": 10, "Type": "ValidationException",
                                           "Message": "Idempotency Key: %s is used with a different request." % key})
            return Response(hit["status"], hit["body"], [("Content-Type", hit["content_type"])])
        resp = run()
        cache[slot] = {"fingerprint": fingerprint, "status": resp.status, "body": resp.body,
                       "content_type": resp.get_header("Content-Type") or "application/json; charset=utf-8",
                       "expires": ctx.now + self.state.config["idempotency_ttl"]}
        if len(cache) > 50000:
            for k in [k for k, v in cache.items() if v["expires"] <= ctx.now]:
                del cache[k]
        return resp
