from django.apps import AppConfig


class XeroPluginConfig(AppConfig):
    name = "xero_plugin"
    verbose_name = "Xero"
