"""Xero's browser routes: connect, callback, tenant choice (webhooks are routed in config/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("connect/", views.connect, name="xero-connect"),
    path("callback/", views.callback, name="xero-callback"),
    path("tenant/", views.choose_tenant, name="xero-choose-tenant"),
]
