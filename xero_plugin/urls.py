"""Xero's browser routes (webhooks are routed in config/urls.py). The connect flow is the framework's;
these paths exist because Xero's app registration names /xero/callback/ as its redirect URI."""

from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from integrations_core import plugin_api

urlpatterns = [
    path("connect/", staff_member_required(plugin_api.connect_staff_start), {"provider": "xero"}, name="xero-connect"),
    path("callback/", plugin_api.connect_callback, name="xero-callback"),
    path("tenant/", plugin_api.connect_choose_tenant, name="xero-choose-tenant"),
]
