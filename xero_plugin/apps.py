from django.apps import AppConfig


class XeroPluginConfig(AppConfig):
    name = "xero_plugin"
    verbose_name = "Xero"

    def ready(self):
        # Xero's budget per organisation on /metrics (the core's collector reads what providers register).
        from integrations_core import plugin_api

        from .metrics import XeroBudgetCollector

        plugin_api.register_metrics("xero_budget", XeroBudgetCollector())
