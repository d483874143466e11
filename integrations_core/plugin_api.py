"""Everything a provider plugin may call in the core, in one place.

A provider package imports from the core only `integrations_core.hookspecs` (the contract and its types),
`.errors` (categories, `ClassifiedError`, `PushError`, `InvalidInput`), `.models` (what it reads and its own
link tables) and this module; its management commands may use the core's services. An import-graph test holds
the rule. Everything here is a stable name: the modules behind it may move.

The engine owns every state change of a sync, an attempt and a connection. A plugin returns results and
classified errors from its hooks; when its remote tells it news on its own (a webhook), it hands the news to
the engine with `remote_news` and the engine decides what changes.
"""

from __future__ import annotations

from .api.errors import error_body
from .api.parsers import loads
from .changes import invoice_snapshot as invoice_content
from .clock import now
from .connect_views import callback as connect_callback
from .connect_views import choose_tenant as connect_choose_tenant
from .connect_views import staff_start as connect_staff_start
from .invoices import BALANCE
from .log_context import bind as log_bind
from .log_context import update as log_update
from .metrics import register as register_metrics
from .push_statements import contact_links
from .queue import BULK, MAINTENANCE, PUSHES, enqueue, redis, waiting_jobs
from .remote import remote_news_apply as remote_news
from .scrub import scrub

__all__ = [
    # time: the service's clock (scaled with the local Xero's in benchmarks)
    "now",
    # jobs: run the plugin's own work on a queue (by function or dotted path); the jobs of a queue still to run;
    # the shared Redis for locks and counters across workers
    "enqueue", "waiting_jobs", "redis", "PUSHES", "BULK", "MAINTENANCE",
    # remote news in: "these invoices changed in the remote" -> the engine reads them back and applies them
    "remote_news",
    # secrets out of anything kept or shown
    "scrub",
    # an inbound HTTP endpoint of the plugin (webhooks): JSON parsed with the API's depth limit, errors in its shape
    "loads", "error_body",
    # the shared connect views, for a provider whose app registration names its own callback path
    "connect_staff_start", "connect_callback", "connect_choose_tenant",
    # invoice facts: the content a push sends (as kept for drift and locked changes); the id of "what was owed";
    # each retailer's contact link on a connection (a claimed invoice's read with its claim)
    "invoice_content", "BALANCE", "contact_links",
    # operating it: ids on the log lines of the work in hand (a remote's correlation id); a collector of the
    # plugin's own numbers on /metrics
    "log_bind", "log_update", "register_metrics",
]
