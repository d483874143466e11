"""Xero's browser routes (webhooks are routed in config/urls.py). The connect flow is the framework's;
these paths exist because Xero's app registration names /xero/callback/ as its redirect URI."""

from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from integrations_core import connect_views

urlpatterns = [
    path("connect/", staff_member_required(connect_views.staff_start), {"provider": "xero"}, name="xero-connect"),
    path("callback/", connect_views.callback, name="xero-callback"),
    path("tenant/", connect_views.choose_tenant, name="xero-choose-tenant"),
]
