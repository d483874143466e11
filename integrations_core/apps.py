from django.apps import AppConfig


class IntegrationsCoreConfig(AppConfig):
    name = "integrations_core"
    verbose_name = "Accounting integrations"
