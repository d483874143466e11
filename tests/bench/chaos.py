"""The chaos run: invoices over real RQ worker processes against the local Xero, through a series of
scenarios, each injecting one kind of fault (or several). Nothing may be lost, duplicated or left stale.

Scenarios (run in this order; `chaos_sync --scenario NAME` runs one alone):

- `faults`: 20% of invoice calls failing (timeouts after Xero committed, dropped connections, 500, 503, 429,
  timeouts), a worker SIGKILLed mid-run and the access token expiring mid-run (the workers race to refresh).
- `update_race`: "order updated" racing the claim: invoices updated right after they are generated, some
  inside a transaction held open 0.5 s after the update, some twice.
- `pg_terminate`: every PostgreSQL backend of the workers terminated, several times, mid-run.
- `redis_flush`: FLUSHDB on the run's Redis database (the queues, scheduled retries, concurrency sets, limits,
  locks) while syncs are queued, and again while retries and coalesced pushes are scheduled.
- `cancel_lost_answer`: a push whose answer is lost (Xero committed it), then the order cancelled: once the
  loss is recorded, or while the push is still in flight. Xero must end with it VOIDED.
- `renumbering`: invoices whose number changes after their first push (pushed and known, in flight, or
  with the first answer lost). Xero must hold one invoice under the new number, not two live ones.
- `paid_in_flight`: a payment applied in Xero while a push of the invoice is in flight, told by Xero's
  webhook (delivered by the local Xero to a receiver here and handed to the app's own endpoint).
- `scheduler_kill`: the scheduler process holding the lock SIGKILLed (twice) while retries and coalesced
  pushes are scheduled.
- `xero_down`: the local Xero answering every call 503 (API and identity), then refusing connections
  (its server stopped), for `outage_s` in all, then back.

Each scenario spreads its invoices round-robin over `organisations` organisations of the local Xero (50 in
`make chaos`; 1 is one organisation, as before): a supplier and Xero connection of its own for each (on the
run's organisations, the same ones in every scenario), a fresh worker pool and clean queues. The faults are
armed for whichever organisation's call comes next, so they land across organisations, and the pushes of
many organisations exercise live batching (a push takes its connection's waiting pushes with it) and the
organisations' turns under faults. Each invoice is judged against the local Xero's own copy of its
organisation's invoices: every invoice of ours must be there exactly once (by InvoiceID and by number; one
live copy) at its latest version (number, total, status: VOIDED when cancelled, PAID when paid), or its sync
must be failed/locked with a message and a fix; and nothing may be left queued, syncing or retrying (nor a
webhook event unprocessed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations_core.invoices import LineInput, invoice_cancel, invoice_generate, invoice_update
from integrations_core.models import (Connection, ConnectionState, Invoice, InvoiceStatus, InvoiceSync, RemoteEvent,
                                      SyncAttempt, SyncState)
from integrations_core.sync import sync_sweep

from . import environment
from .environment import WorkerPool, wait_until

log = logging.getLogger(__name__)

FAULTS = ["timeout_after_commit", "drop_after_commit", "500", "503", "429", "timeout"]
IN_FLIGHT = (SyncState.QUEUED, SyncState.SYNCING, SyncState.RETRYING)
ACTIONABLE = (SyncState.FAILED, SyncState.LOCKED)
NOT_LIVE = ("VOIDED", "DELETED")

# The production thresholds, scaled down for a run of minutes (the driver runs the sweep, as the cron does).
STUCK_AFTER_S = 20
QUEUED_STALE_S = 15
BASE_ENV = {
    "XERO_MINUTE_LIMIT": str(10**7), "XERO_DAY_LIMIT": str(10**7), "XERO_READ_TIMEOUT": "1",
    "INTEGRATIONS_RETRY_BASE_SECONDS": "1", "INTEGRATIONS_RETRY_MAX_SECONDS": "5", "INTEGRATIONS_MAX_ATTEMPTS": "10",
    "INTEGRATIONS_STUCK_AFTER_SECONDS": str(STUCK_AFTER_S), "INTEGRATIONS_QUEUED_STALE_SECONDS": str(QUEUED_STALE_S),
}


# -- the run's context ---------------------------------------------------------------------------------------


class Ctx:
    """One scenario's world: its suppliers and connections (one per organisation, `worlds[i]` on `tenants[i]`),
    its worker pool, what it injected and expects."""

    def __init__(self, *, sandbox, tenants: list[str], worlds: list, pool: WorkerPool, code: str, outage_s: float):
        self.sandbox, self.tenants, self.worlds, self.pool = sandbox, list(tenants), list(worlds), pool
        self._by_supplier = {w.supplier.pk: (w, t) for w, t in zip(self.worlds, self.tenants)}
        self.prefix = f"CH-{code}"
        self.outage_s = outage_s
        self.started_at = timezone.now()
        self.serial = 0
        self.invoices: list[Invoice] = []
        self.former_numbers: dict[int, set[str]] = defaultdict(set)
        self.paid_in_xero: set[int] = set()
        self.injected: Counter = Counter()
        self.notes: dict[str, list] = defaultdict(list)
        self.receiver: WebhookReceiver | None = None

    @property
    def connection_ids(self) -> list[int]:
        return [w.connection.pk for w in self.worlds]

    def syncs(self):
        """This scenario's syncs (of every organisation's connection)."""
        return InvoiceSync.objects.filter(connection_id__in=self.connection_ids)

    def world_of(self, invoice: Invoice):
        return self._by_supplier[invoice.supplier_id][0]

    def tenant_of(self, invoice: Invoice) -> str:
        return self._by_supplier[invoice.supplier_id][1]

    def invoice(self, quantity: int = 1) -> Invoice:
        """A new invoice through the invoice service ("invoice generated"), of the next organisation in turn."""
        world = self.worlds[self.serial % len(self.worlds)]
        self.serial += 1
        invoice = invoice_generate(
            supplier=world.supplier, customer="Chaos Venue", number=f"{self.prefix}-{self.serial:05d}",
            issue_date=dt.date(2026, 11, 1), currency="AUD", lines=[self._line(world, quantity)])
        self.invoices.append(invoice)
        return invoice

    @staticmethod
    def _line(world, quantity: int) -> LineInput:
        product = world.product
        return LineInput(description=product.name, quantity=quantity, unit_price=Decimal("10.50"), product=product)

    def update(self, invoice: Invoice, quantity: int | None = None, hold: float = 0.0, **fields) -> Invoice:
        """An "order updated" through the invoice service (what the storefront's upsert calls), committed at
        once or (`hold`) in a transaction kept open that long after the update."""
        lines = [self._line(self.world_of(invoice), quantity)] if quantity is not None else None
        with transaction.atomic():
            invoice, _ = invoice_update(invoice=invoice, lines=lines, **fields)
            if hold:
                time.sleep(hold)
        self.injected["updates"] += 1
        self.injected["updates_in_slow_transaction"] += bool(hold)
        return invoice

    def renumber(self, invoice: Invoice) -> Invoice:
        invoice = Invoice.objects.get(pk=invoice.pk)
        self.former_numbers[invoice.pk].add(invoice.number)
        self.injected["renumbered"] += 1
        return self.update(invoice, number=f"{invoice.number}-R")

    def cancel(self, invoice: Invoice) -> None:
        invoice_cancel(invoice=Invoice.objects.get(pk=invoice.pk))
        self.injected["cancelled"] += 1

    def fault(self, kind: str, count: int, **options) -> None:
        """Arm a fault of the local Xero for the next `count` invoice writes (POST .../Invoices)."""
        if count > 0:
            self.sandbox.control.inject_fault(kind, count=count, path="/Invoices", method="POST", **options)
            self.injected[f"fault_{kind}"] += count

    def states(self, invoices) -> dict[int, str]:
        ids = [i.pk for i in invoices]
        return dict(self.syncs().filter(invoice_id__in=ids).values_list("invoice_id", "state"))

    def each_when(self, invoices, states, action: Callable[[Invoice], object], timeout: float = 8,
                  interval: float = 0.01) -> tuple[list[Invoice], list[Invoice]]:
        """Call `action` on each invoice as soon as its sync is in one of `states`; those that never got
        there within `timeout` are returned second (their action not taken)."""
        pending = {i.pk: i for i in invoices}
        done = []
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for pk, state in self.states(pending.values()).items():
                if state in states and action(pending[pk]) is not False:
                    done.append(pending.pop(pk))
            time.sleep(interval)
        return done, list(pending.values())

    def in_flight(self) -> int:
        return self.syncs().filter(state__in=IN_FLIGHT).count()

    def unprocessed_events(self) -> int:
        return RemoteEvent.objects.filter(received_at__gte=self.started_at, processed_at__isnull=True).count()

    def settle(self, timeout: float) -> bool:
        """Wait until nothing of this scenario is in flight, running the sweep (as the cron does) meanwhile."""
        def settled() -> bool:
            self.injected["workers_restarted"] += self.pool.revive()
            sync_sweep(stuck_after=STUCK_AFTER_S, queued_after=QUEUED_STALE_S)
            return not self.in_flight() and not self.unprocessed_events()

        return wait_until(settled, timeout=timeout, interval=1)


class WebhookReceiver:
    """Where the local Xero delivers its webhooks during the run: each delivery (raw body and signature) goes
    to the app's own endpoint (`xero_plugin.webhooks.receive`: verify, record, queue `process_events`), whose
    answer goes back to Xero."""

    def __init__(self):
        from django.db import connection as db
        from django.test import RequestFactory

        from xero_plugin.webhooks import receive

        receiver = self
        self.statuses: Counter = Counter()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = RequestFactory().post("/xero/webhooks/", data=body, content_type="application/json",
                                                headers={"x-xero-signature": self.headers.get("x-xero-signature", "")})
                try:
                    status = receive(request).status_code
                except Exception:  # the app's failure is Xero's 500: it delivers again
                    status = 500
                finally:
                    db.close()  # this thread's connection
                receiver.statuses[status] += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):  # noqa: A002 - http.server's signature
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/xero/webhooks/"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _expire_tokens(ctx: Ctx) -> None:
    """Every organisation's access token expired at once: each connection's next call refreshes it. Counted in
    `injected["token_expired"]`, one a connection."""
    for connection in Connection.objects.filter(pk__in=ctx.connection_ids):
        token = {**connection.credentials["token"], "expires_at": 0}
        Connection.objects.filter(pk=connection.pk).update(credentials={**connection.credentials, "token": token})
        ctx.injected["token_expired"] += 1


# -- the scenarios -------------------------------------------------------------------------------------------


def faults(ctx: Ctx, n: int) -> None:
    """20% faults of every kind, a worker SIGKILLed mid-run, the token expiring mid-run."""
    rounds = 10
    per_round = max(1, n // rounds)
    made = 0
    for round_no in range(rounds):
        count = per_round if round_no < rounds - 1 else n - made
        ctx.fault(FAULTS[round_no % len(FAULTS)], max(1, round(count / 5)), delay=1.5)
        for _ in range(count):
            ctx.invoice()
        made += count
        if round_no == rounds // 3:
            ctx.pool.kill(1)  # SIGKILL mid-job: its sync stays `syncing` until the sweep
            ctx.injected["workers_killed"] += 1
        if round_no == rounds // 2:
            _expire_tokens(ctx)  # every worker now wants to refresh at once, for every organisation


def update_race(ctx: Ctx, n: int) -> None:
    """Each invoice updated right after it is generated, while its first push is being claimed: at once, in a
    transaction held open 0.5 s after the update, or twice (the second in a slow transaction)."""
    for i in range(n):
        if i % 4 == 0:
            ctx.fault("slow", 1, delay=0.4)  # this first push is still in flight when the update lands
        invoice = ctx.invoice()
        mode = i % 3
        if mode == 0:
            ctx.update(invoice, quantity=2)
        elif mode == 1:
            ctx.update(invoice, quantity=2, hold=0.5)
        else:
            invoice = ctx.update(invoice, quantity=2)
            time.sleep(random.uniform(0, 0.1))
            ctx.update(invoice, quantity=3, hold=0.5)


def pg_terminate(ctx: Ctx, n: int) -> None:
    """Invoices (and updates) in bursts, every worker's PostgreSQL backend terminated every few invoices and
    while the last ones are pushed: mid-claim, mid-push, mid-record, idle in the pool, wherever they are."""
    bursts = 5
    made = 0
    for burst in range(bursts):
        count = n // bursts if burst < bursts - 1 else n - made
        ctx.fault("slow", 2, delay=0.5)  # some pushes in flight across a termination
        for i in range(count):
            invoice = ctx.invoice()
            if i % 4 == 0:
                ctx.update(invoice, quantity=2)
            if i % 3 == 2:
                _terminate(ctx)
        made += count
        time.sleep(random.uniform(0.05, 0.4))
        _terminate(ctx)
    time.sleep(1.5)  # the coalesced updates are being pushed now
    _terminate(ctx)


def _terminate(ctx: Ctx) -> None:
    ctx.injected["backends_terminated"] += environment.terminate_backends()
    ctx.injected["terminations"] += 1


def redis_flush(ctx: Ctx, n: int) -> None:
    """FLUSHDB while syncs are queued behind busy workers, and again while retries and coalesced pushes are
    scheduled: Redis loses every job, registry, concurrency set, limit counter and lock it held."""
    first = n // 2
    workers = len(ctx.pool.processes)
    ctx.fault("slow", workers * 2, delay=0.8)  # the workers are busy: a backlog builds up
    ctx.fault("503", max(1, first // 6))  # some retries get scheduled
    batch = [ctx.invoice() for _ in range(first)]
    for invoice in batch[::3]:
        ctx.update(invoice, quantity=2)  # coalesced pushes, scheduled
    wait_until(lambda: ctx.syncs().filter(state=SyncState.QUEUED).count() >= 5,
               timeout=3, interval=0.02)
    _flush(ctx)
    ctx.fault("503", max(1, (n - first) // 4))
    ctx.fault("timeout_after_commit", max(1, (n - first) // 8), delay=1.5)
    rest = [ctx.invoice() for _ in range(n - first)]
    for invoice in rest[::3]:
        ctx.update(invoice, quantity=2)
    wait_until(lambda: ctx.syncs().filter(state=SyncState.RETRYING).exists(),
               timeout=3, interval=0.02)
    _flush(ctx)


def _flush(ctx: Ctx) -> None:
    states = Counter(ctx.syncs().values_list("state", flat=True))
    ctx.notes["flushed_with"].append({"queued": states[SyncState.QUEUED], "syncing": states[SyncState.SYNCING],
                                      "retrying": states[SyncState.RETRYING],
                                      "scheduled_jobs": environment.scheduled_jobs()})
    environment.flush_queues()
    ctx.injected["flushes"] += 1


def cancel_lost_answer(ctx: Ctx, n: int) -> None:
    """Pushes whose answer is lost though Xero committed them, then the order cancelled: half once the loss
    is recorded (the sync retrying: dropped connections, the retry's answer lost too), half while the push
    is still in flight (the answer held back past the read timeout)."""
    half = n // 2
    ctx.fault("drop_after_commit", 2 * half)
    batch = [ctx.invoice() for _ in range(half)]
    cancelled, missed = ctx.each_when(batch, {SyncState.RETRYING}, ctx.cancel)
    ctx.injected["cancelled_after_lost_answer"] += len(cancelled)
    for invoice in missed:  # their answer came through after all: cancelled all the same
        ctx.cancel(invoice)
    ctx.sandbox.control.clear_faults()
    ctx.fault("timeout_after_commit", 2 * (n - half), delay=2.0)  # the voids may take some
    batch = [ctx.invoice() for _ in range(n - half)]
    cancelled, missed = ctx.each_when(batch, {SyncState.SYNCING}, lambda i: (time.sleep(0.05), ctx.cancel(i)))
    ctx.injected["cancelled_while_answer_held"] += len(cancelled)
    for invoice in missed:
        ctx.cancel(invoice)


def renumbering(ctx: Ctx, n: int) -> None:
    """Invoices renumbered after their first push: known (synced), in flight, or with the answer lost."""
    third = max(1, n // 3)
    batch = [ctx.invoice() for _ in range(third)]
    done, missed = ctx.each_when(batch, {SyncState.SYNCED}, ctx.renumber)
    ctx.injected["renumbered_after_synced"] += len(done)
    for invoice in missed:
        ctx.renumber(invoice)
    ctx.fault("slow", third, delay=0.6)
    batch = [ctx.invoice() for _ in range(third)]
    done, missed = ctx.each_when(batch, {SyncState.SYNCING}, ctx.renumber)
    ctx.injected["renumbered_in_flight"] += len(done)
    for invoice in missed:
        ctx.renumber(invoice)
    ctx.sandbox.control.clear_faults()
    rest = n - 2 * third
    ctx.fault("drop_after_commit", 2 * rest)
    batch = [ctx.invoice() for _ in range(rest)]
    done, missed = ctx.each_when(batch, {SyncState.RETRYING}, ctx.renumber)
    ctx.injected["renumbered_after_lost_answer"] += len(done)
    for invoice in missed:
        ctx.renumber(invoice)


def paid_in_flight(ctx: Ctx, n: int) -> None:
    """A payment applied in Xero while a push of the invoice is in flight, and told by Xero's webhook:
    half during an update's push (held before Xero processes it), half during a first push that Xero has
    committed but whose answer is held back past the read timeout."""
    ctx.receiver = WebhookReceiver()
    ctx.sandbox.control.set_webhook(ctx.receiver.url)
    half = n // 2
    batch = [ctx.invoice() for _ in range(half)]
    wait_until(lambda: all(s == SyncState.SYNCED for s in ctx.states(batch).values()), timeout=15, interval=0.1)
    ctx.fault("slow", half, delay=0.8)
    batch = [ctx.update(invoice, quantity=2) for invoice in batch]
    _pay_when_in_flight(ctx, batch)
    ctx.sandbox.control.clear_faults()
    ctx.fault("timeout_after_commit", n - half, delay=2.0)
    batch = [ctx.invoice() for _ in range(n - half)]
    _pay_when_in_flight(ctx, batch)


def _pay_when_in_flight(ctx: Ctx, invoices: list[Invoice]) -> None:
    from xero_plugin.sandbox.control import SandboxControlError

    def pay(invoice: Invoice):
        try:
            ctx.sandbox.control.mark_invoice(ctx.tenant_of(invoice), invoice.number, status="PAID")
        except SandboxControlError:
            return False  # not in Xero yet: the push has not been processed
        ctx.paid_in_xero.add(invoice.pk)
        return True

    paid, missed = ctx.each_when(invoices, {SyncState.SYNCING}, pay)
    ctx.injected["paid_in_xero_while_push_in_flight"] += len(paid)
    wait_until(lambda: all(s not in IN_FLIGHT for s in ctx.states(missed).values()), timeout=10, interval=0.1)
    for invoice in missed:  # the push was too quick to catch: paid in Xero after it, all the same
        if pay(invoice):
            ctx.injected["paid_in_xero_after_push"] += 1


def scheduler_kill(ctx: Ctx, n: int) -> None:
    """The scheduler process holding the lock SIGKILLed while retries (backoff of seconds here) and coalesced
    "order updated" pushes are scheduled, and more scheduled before another takes over; twice."""
    parts = 3
    made = 0
    killed_at = None
    for part in range(parts):
        if killed_at is not None:  # how long until another scheduler held the lock
            found = wait_until(lambda: ctx.pool.scheduler_holder() is not None, timeout=15, interval=0.1)
            ctx.notes["takeover_s"].append(round(time.monotonic() - killed_at, 1) if found else None)
        count = n // parts if part < parts - 1 else n - made
        ctx.fault("503", max(1, count // 3))
        ctx.fault("500", max(1, count // 6))
        batch = [ctx.invoice() for _ in range(count)]
        made += count
        for invoice in batch[::2]:
            ctx.update(invoice, quantity=2)
        if part < parts - 1:
            wait_until(lambda: environment.scheduled_jobs() >= 3, timeout=5, interval=0.05)
            holder = ctx.pool.scheduler_holder()
            ctx.notes["killed_with"].append({"scheduled_jobs": environment.scheduled_jobs(),
                                             "retrying": _count(ctx, SyncState.RETRYING),
                                             "queued": _count(ctx, SyncState.QUEUED),
                                             "lock_holder_found": holder is not None})
            ctx.pool.kill_scheduler(0 if holder is None else holder)
            killed_at = time.monotonic()
            ctx.injected["schedulers_killed"] += 1
            for invoice in batch[1::3]:  # coalesced pushes scheduled while no scheduler holds the lock
                ctx.update(invoice, quantity=3)


def _count(ctx: Ctx, state: str) -> int:
    return ctx.syncs().filter(state=state).count()


def xero_down(ctx: Ctx, n: int) -> None:
    """Xero down for `outage_s`: first every call (API and identity) answered 503, then connections refused
    (the local Xero's server stopped); then back. Invoices are generated and updated before, during and after."""
    before, during_503, during_refused = n // 4, n // 4, n // 4
    after = n - before - during_503 - during_refused
    early = [ctx.invoice() for _ in range(before)]
    wait_until(lambda: all(s == SyncState.SYNCED for s in ctx.states(early).values()), timeout=15, interval=0.2)
    phase = ctx.outage_s / 2
    ctx.sandbox.control.inject_fault("503", count=10**9, variant="maintenance")  # every call, identity included
    ctx.injected["outage_503_s"] += phase
    _expire_tokens(ctx)  # the next call refreshes the token: identity is down too
    _trickle(ctx, during_503, phase, early[: before // 2])
    ctx.sandbox.stop()  # connection refused
    try:
        ctx.injected["outage_refused_s"] += phase
        _trickle(ctx, during_refused, phase, early[before // 2:])
    finally:
        ctx.sandbox.start()
        ctx.sandbox.control.clear_faults()
    for _ in range(after):
        ctx.invoice()


def _trickle(ctx: Ctx, count: int, seconds: float, to_update: list[Invoice]) -> None:
    """`count` new invoices and an update of each of `to_update`, interleaved and spread over `seconds`."""
    steps: list[Invoice | None] = [None] * count
    for i, invoice in enumerate(to_update):
        steps.insert(min(len(steps), 2 * i + 1), invoice)
    deadline = time.monotonic() + seconds
    for done, invoice in enumerate(steps):
        if invoice is None:
            ctx.invoice()
        else:
            ctx.update(invoice, quantity=2)
        time.sleep(max(0.0, (deadline - time.monotonic()) / max(1, len(steps) - done)))
    time.sleep(max(0.0, deadline - time.monotonic()))


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    code: str
    run: Callable[[Ctx, int], None]
    share: float  # of --invoices, when several run
    minimum: int
    settle_s: float
    env: dict = dataclasses.field(default_factory=dict)


SCENARIOS = {s.name: s for s in [
    Scenario("faults", "FA", faults, share=80, minimum=10, settle_s=45),
    Scenario("update_race", "UR", update_race, share=36, minimum=6, settle_s=30),
    Scenario("pg_terminate", "PG", pg_terminate, share=50, minimum=10, settle_s=30),
    Scenario("redis_flush", "RF", redis_flush, share=50, minimum=8, settle_s=40),
    Scenario("cancel_lost_answer", "CA", cancel_lost_answer, share=24, minimum=4, settle_s=30),
    Scenario("renumbering", "RN", renumbering, share=30, minimum=6, settle_s=30),
    Scenario("paid_in_flight", "PD", paid_in_flight, share=20, minimum=4, settle_s=30),
    # Retries seconds apart, so that some are scheduled (not yet due) when the scheduler dies.
    Scenario("scheduler_kill", "SK", scheduler_kill, share=40, minimum=6, settle_s=30,
             env={"INTEGRATIONS_RETRY_BASE_SECONDS": "4", "INTEGRATIONS_RETRY_MAX_SECONDS": "8"}),
    # Its retry policy comes from the outage's length (outage_retry_env).
    Scenario("xero_down", "XD", xero_down, share=70, minimum=8, settle_s=60),
]}


def outage_retry_env(outage_s: float, base_s: float = 2.0) -> dict:
    """A retry policy whose shortest budget (every wait at its lowest, half the step) outlasts the outage by a
    quarter, as production's (5 attempts from 30 s: at least 225 s) outlasts one of 2-3 minutes; with the step
    capped at a quarter of the outage, so that a sync waits at most that long once Xero is back."""
    cap = max(5.0, outage_s / 4)
    attempts, budget = 1, 0.0
    while budget < 1.25 * outage_s:
        budget += min(cap, base_s * 2 ** (attempts - 1)) / 2
        attempts += 1
    return {"INTEGRATIONS_RETRY_BASE_SECONDS": str(base_s), "INTEGRATIONS_RETRY_MAX_SECONDS": str(cap),
            "INTEGRATIONS_MAX_ATTEMPTS": str(attempts)}


def allocate(total: int, names: list[str]) -> dict[str, int]:
    """Split `total` invoices over the scenarios by share (each at least its minimum; all to one alone)."""
    shares = sum(SCENARIOS[n].share for n in names)
    counts = {n: max(SCENARIOS[n].minimum, int(total * SCENARIOS[n].share / shares)) for n in names}
    counts[names[0]] += total - sum(counts.values())
    return counts


# -- the run -------------------------------------------------------------------------------------------------


def run(*, sandbox, tenant_id: str, invoices: int, workers: int = 4, scenarios: list[str] | None = None,
        outage_s: float = 120, organisations: int = 1) -> dict:
    """The scenarios in turn, each over `organisations` organisations of the local Xero: `tenant_id` and (more
    than one) clones of Demo Company (NZ) added for the run; each scenario's invoices round-robin over them
    (over fewer when a scenario has fewer invoices than that)."""
    from .world import xero_env, xero_world

    names = scenarios or list(SCENARIOS)
    counts = allocate(invoices, names)
    tenants = [tenant_id, *(sandbox.control.add_organisations(organisations - 1) if organisations > 1 else [])]
    settings.XERO_MINUTE_LIMIT = settings.XERO_DAY_LIMIT = 10**7
    settings.INTEGRATIONS_QUEUED_STALE_SECONDS = QUEUED_STALE_S  # this process fires triggers too
    settings.INTEGRATIONS_STUCK_AFTER_SECONDS = STUCK_AFTER_S
    started = time.perf_counter()
    results = {}
    for name in names:
        scenario = SCENARIOS[name]
        sandbox.control.clear_faults()
        sandbox.control.set_webhook(None)
        sandbox.control.relax_limits()
        environment.flush_queues()  # what the last scenario left in Redis (its scheduler's lock, say) goes
        used = tenants[: max(1, min(len(tenants), counts[name]))]
        worlds = [xero_world(sandbox, tenant) for tenant in used]
        env = {**xero_env(sandbox), **BASE_ENV, **scenario.env}
        if name == "xero_down":
            env.update(outage_retry_env(outage_s))
        scenario_started = time.perf_counter()
        posts_before = _invoice_posts(sandbox)
        settled, error = False, None
        with WorkerPool(workers, env=env) as pool:
            ctx = Ctx(sandbox=sandbox, tenants=used, worlds=worlds, pool=pool, code=scenario.code,
                      outage_s=outage_s)
            try:
                scenario.run(ctx, counts[name])
            except Exception as exc:  # the run's own failure: reported, and what was made is judged all the same
                log.exception("chaos scenario %s failed", name)
                error = f"{type(exc).__name__}: {exc}"
            finally:
                sandbox.control.clear_faults()
            # The last retries of an outage come up to a quarter of it after Xero is back.
            settled = ctx.settle(max(scenario.settle_s, outage_s / 4 + 40) if name == "xero_down"
                                 else scenario.settle_s)
            sandbox.control.set_webhook(None)
        if ctx.receiver is not None:
            ctx.receiver.close()
        results[name] = judge(ctx, {tenant: sandbox.control.invoices(tenant) for tenant in used})
        # Batch calls: a push that took its connection's waiting pushes with it makes one POST for them all.
        results[name].update(invoice_posts=_invoice_posts(sandbox) - posts_before, settled=settled,
                             wall_s=round(time.perf_counter() - scenario_started, 1))
        if error:
            results[name]["error"] = error
        # Its webhooks' read-backs and the next scenarios' must not use these connections.
        Connection.objects.filter(pk__in=ctx.connection_ids).update(state=ConnectionState.DISCONNECTED,
                                                                    disconnected_at=timezone.now())
    return _totals(results, sandbox, tenants, workers, time.perf_counter() - started)


def _invoice_posts(sandbox) -> int:
    """POST .../Invoices calls the local Xero has had (each an upsert of one invoice or of a batch; not voids)."""
    return sum(row["count"] for row in sandbox.control.call_counts()
               if row["method"] == "POST" and row["endpoint"].rstrip("/").lower().endswith("/invoices"))


def _totals(results: dict, sandbox, tenants: list[str], workers: int, wall: float) -> dict:
    keys = ("lost", "duplicated", "stale", "left_in_flight", "actionable")
    totals = {k: sum(r[k] for r in results.values()) for k in keys}
    states: Counter = Counter()
    for r in results.values():
        states.update(r["states"])
    duplicates = {tenant: sandbox.control.duplicate_invoice_numbers(tenant) for tenant in tenants}
    figures = {
        "invoices": sum(r["invoices"] for r in results.values()), "organisations": len(tenants), "workers": workers,
        **totals,
        # Xero invoice numbers held more than once in an organisation (summed over the organisations), and the
        # former `lost` figure (anything neither at its latest version in Xero nor actionable, or left in flight).
        "duplicates": sum(len(d) for d in duplicates.values()),
        "lost_triggers": totals["lost"] + totals["stale"] + totals["left_in_flight"],
        "states": dict(states), "in_xero": sum(r["in_xero"] for r in results.values()),
        "wall_s": round(wall, 1), "scenarios": results}
    held_twice = {f"org {tenants.index(t)}": d for t, d in duplicates.items() if d}
    if held_twice:
        figures["duplicate_numbers"] = held_twice
    return figures


def failing(figures: dict) -> bool:
    """Anything lost, duplicated, stale or left in flight, or a scenario that could not run."""
    return (any(figures[k] for k in ("lost", "duplicated", "stale", "left_in_flight", "duplicates"))
            or any("error" in r for r in figures["scenarios"].values()))


# -- judging against the local Xero --------------------------------------------------------------------------


def _amount(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _expected_status(invoice: Invoice) -> str:
    return {InvoiceStatus.VOID: "VOIDED", InvoiceStatus.PAID: "PAID"}.get(invoice.status, "AUTHORISED")


def judge(ctx: Ctx, xero: dict[str, list[dict]]) -> dict:
    """Each invoice of the scenario against its organisation's copy in Xero (`xero`: tenant id -> the local
    Xero's invoices of it): ok, actionable (failed/locked with a message and a fix), lost, duplicated, stale or
    left in flight. Figures and a few examples of each problem."""
    by_id = {t: {x["InvoiceID"]: x for x in held} for t, held in xero.items()}
    by_number = {t: defaultdict(list) for t in xero}
    for t, held in xero.items():
        for x in held:
            by_number[t][x["InvoiceNumber"]].append(x)
    org = {t: i for i, t in enumerate(ctx.tenants)}
    suppliers = [w.supplier.pk for w in ctx.worlds]
    invoices = list(Invoice.objects.filter(supplier_id__in=suppliers).order_by("pk"))
    syncs = {s.invoice_id: s for s in ctx.syncs()}
    attempts = Counter(SyncAttempt.objects.filter(sync__connection_id__in=ctx.connection_ids)
                       .values_list("sync__invoice_id", flat=True))
    verdicts: Counter = Counter()
    problems: dict[str, list[str]] = defaultdict(list)
    claimed: set[tuple[str, str]] = set()
    for invoice in invoices:
        tenant = ctx.tenant_of(invoice)
        sync = syncs.get(invoice.pk)
        candidates = {}
        if sync is not None and sync.remote_id in by_id[tenant]:
            candidates[sync.remote_id] = by_id[tenant][sync.remote_id]
        for number in {invoice.number} | ctx.former_numbers.get(invoice.pk, set()):
            candidates.update((x["InvoiceID"], x) for x in by_number[tenant].get(number, []))
        claimed.update((tenant, x) for x in candidates)
        verdict, why = _verdict(ctx, invoice, sync, candidates, by_id[tenant], by_number[tenant])
        verdicts[verdict] += 1
        if verdict == "ok" and candidates and (sync.remote_id not in candidates):
            verdicts["xero_id_not_recorded"] += 1  # right in Xero, but its InvoiceID is not the one we hold
        if verdict not in ("ok", "actionable") and len(problems[verdict]) < 8:
            state = (f"sync {sync.state} v{sync.synced_version}/v{invoice.version}, {attempts[invoice.pk]} attempts"
                     if sync else "no sync")
            problems[verdict].append(f"{invoice.number} (org {org[tenant]}): {why} ({state})")
    orphans = [(t, x) for t, held in xero.items() for x in held
               if x["InvoiceNumber"].startswith(ctx.prefix + "-") and (t, x["InvoiceID"]) not in claimed
               and x["Status"] not in NOT_LIVE]
    for t, x in orphans[:8]:
        problems["duplicated"].append(f"{x['InvoiceNumber']} (org {org[t]}): live in Xero ({x['InvoiceID']}) "
                                      "but none of ours")
    events_left = ctx.unprocessed_events()
    if events_left:
        problems["left_in_flight"].append(f"{events_left} webhook events never processed")
    connections = Counter(Connection.objects.filter(pk__in=ctx.connection_ids).values_list("state", flat=True))
    states = Counter(s.state for s in syncs.values())
    figures = {
        "invoices": len(invoices),
        "organisations": len(ctx.worlds),
        "lost": verdicts["lost"] + verdicts["no_sync"],
        "duplicated": verdicts["duplicated"] + len(orphans),
        "stale": verdicts["stale"],
        "left_in_flight": verdicts["in_flight"] + events_left,
        "actionable": verdicts["actionable"],
        "ok": verdicts["ok"],
        "xero_id_not_recorded": verdicts["xero_id_not_recorded"],
        "states": dict(states),
        "in_xero": sum(1 for held in xero.values() for x in held if x["InvoiceNumber"].startswith(ctx.prefix + "-")),
        # Every connection's state: one word when they all agree (they should all be connected).
        "connection": next(iter(connections)) if len(connections) == 1 else dict(connections),
        "injected": {k: (round(v, 1) if isinstance(v, float) else v) for k, v in ctx.injected.items() if v},
        **ctx.notes,
        **_attempts(ctx),
    }
    accepted = Counter(s.error_category for s in syncs.values() if s.state in ACTIONABLE)
    if accepted:
        figures["failed_or_locked_by_category"] = dict(accepted)
    if ctx.receiver is not None:
        figures["webhook_deliveries"] = {str(k): v for k, v in ctx.receiver.statuses.items()}
    if problems:
        figures["examples"] = dict(problems)
    return figures


def _attempts(ctx: Ctx) -> dict:
    """The pushes made, and how many failed: the faults did bite."""
    attempts = SyncAttempt.objects.filter(sync__connection_id__in=ctx.connection_ids)
    return {"pushes": attempts.count(), "failed_pushes": attempts.filter(outcome=SyncAttempt.Outcome.FAILED).count()}


def _verdict(ctx: Ctx, invoice: Invoice, sync: InvoiceSync | None, candidates: dict, by_id: dict,
             by_number: dict) -> tuple[str, str]:
    if sync is None:
        return "no_sync", "no sync for its trigger"
    if sync.state in IN_FLIGHT:
        return "in_flight", f"still {sync.state}"
    same_number = by_number.get(invoice.number, [])
    live = [x for x in candidates.values() if x["Status"] not in NOT_LIVE]
    if len(same_number) > 1 or len(live) > 1:
        held = ", ".join(f"{x['InvoiceNumber']} {x['Status']}" for x in candidates.values())
        return "duplicated", f"{len(candidates)} in Xero ({held})"
    copy = by_id.get(sync.remote_id) or (same_number[0] if same_number else None) or (live[0] if live else None)
    actionable = sync.state in ACTIONABLE and bool(sync.error_message and sync.error_fix)
    expected = _expected_status(invoice)
    if invoice.pk in ctx.paid_in_xero and invoice.status != InvoiceStatus.PAID:
        # Paid in Xero: the webhook's news must reach this side, whatever the sync says.
        return "stale", f"paid in Xero, {invoice.status} here"
    if copy is None:
        if expected == "VOIDED":
            return "ok", "cancelled before it reached Xero"
        return ("actionable", "not in Xero") if actionable else ("lost", "not in Xero")
    total_field = "Total" if copy.get("LineAmountTypes") == "Inclusive" else "SubTotal"
    wrong = []
    if copy["InvoiceNumber"] != invoice.number:
        wrong.append(f"number {copy['InvoiceNumber']}")
    if _amount(copy[total_field]) != _amount(invoice.total):
        wrong.append(f"total {_amount(copy[total_field])} not {_amount(invoice.total)}")
    if copy["Status"] != expected:
        wrong.append(f"{copy['Status']} not {expected}")
    if not wrong and sync.state == SyncState.SYNCED and sync.synced_version != invoice.version:
        wrong.append(f"Xero right but synced v{sync.synced_version} recorded")
    if not wrong:
        return "ok", ""
    return ("actionable", "; ".join(wrong)) if actionable else ("stale", "Xero has " + "; ".join(wrong))
