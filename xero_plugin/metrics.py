"""Xero's budget per organisation on /metrics: what Xero last said is left of each connected organisation's 60
calls a minute and 5,000 a day (its X-MinLimit-Remaining / X-DayLimit-Remaining headers, kept by `limits`), and
how old that word is. Registered with the core's collector from XeroPluginConfig.ready(): the core imports no
provider."""

from __future__ import annotations

import time

from prometheus_client.core import GaugeMetricFamily

from integrations_core.models import Connection, ConnectionState

from . import limits

PROVIDER = "xero"


class XeroBudgetCollector:
    def collect(self):
        tenants = sorted(set(Connection.objects.filter(provider=PROVIDER, state=ConnectionState.CONNECTED)
                             .exclude(tenant_id="").values_list("tenant_id", flat=True)))
        left = GaugeMetricFamily("integrations_xero_budget_remaining_calls",
                                 "Calls left of the Xero organisation's budget as Xero last reported it, per window "
                                 "(minute: 60, day: 5,000); none until a call was answered.",
                                 labels=["tenant_id", "window"])
        age = GaugeMetricFamily("integrations_xero_budget_report_age_seconds",
                                "How long ago Xero reported the remaining budget (a minute's figure older than a "
                                "minute is spent history: the window has reset since).", labels=["tenant_id"])
        now = time.time()
        for tenant_id, report in limits.reported(tenants).items():
            for window in ("minute", "day"):
                if report[window] is not None:
                    left.add_metric([tenant_id, window], report[window])
            if report["at"] is not None:
                age.add_metric([tenant_id], max(0.0, now - report["at"]))
        app = GaugeMetricFamily("integrations_xero_app_budget_remaining_calls",
                                "Calls left of the app's minute budget across every organisation (10,000 a "
                                "minute), as Xero last reported it (X-AppMinLimit-Remaining).")
        reported = limits.app_reported()
        if reported["minute"] is not None:
            app.add_metric([], reported["minute"])
        return [left, age, app]
