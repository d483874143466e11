"""The periodic jobs, for RQ's cron scheduler: `python manage.py rqcron config.cron`.

Run one scheduler per deployment (RQ's cron scheduler coordinates through Redis); the jobs go to the
maintenance queue and any worker runs them.
"""

from rq import cron

from integrations_core.jobs import check_connections, reconcile_connections, sweep_stuck_syncs
from xero_plugin.webhooks import events_retry

cron.register(sweep_stuck_syncs, queue_name="maintenance", interval=60, name="sweep-stuck-syncs")
# Hourly: a revoked connection shows expired within the hour, and refresh tokens (60 days idle at Xero)
# are renewed long before they could lapse.
cron.register(check_connections, queue_name="maintenance", cron="17 * * * *", name="check-connections")
# Every 30 minutes over a 2-hour window: drift (an invoice edited in the remote) is flagged within the hour.
cron.register(reconcile_connections, queue_name="maintenance", interval=1800, name="reconcile-connections")
# Every 10 minutes: Xero webhook events whose read-back from Xero failed past their job's retries.
cron.register(events_retry, queue_name="maintenance", interval=600, name="retry-xero-webhook-events")
