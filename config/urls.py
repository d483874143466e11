"""URL routes: a landing page, the admin, the queue dashboard, the API and its schema, health, metrics, and each package's own routes."""
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from integrations_core import connect_views
from integrations_core.health_views import HealthView
from integrations_core.http_errors import json_or_html_404, json_or_html_500
from integrations_core.metrics_views import metrics
from xero_plugin import webhooks

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("integrations_core.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("health/", HealthView.as_view(), name="health"),
    path("metrics", metrics, name="metrics"),
    path("connect/start/<str:ticket>/", connect_views.start, name="connect-start"),
    path("connect/admin/<slug:provider>/", staff_member_required(connect_views.staff_start), name="connect-admin"),
    path("connect/callback/", connect_views.callback, name="connect-callback"),
    path("connect/tenant/", connect_views.choose_tenant, name="connect-choose-tenant"),
    path("connect/credentials/", connect_views.credentials, name="connect-credentials"),
    path("xero/webhooks/", webhooks.receive, name="xero-webhooks"),
    path("xero/", include("xero_plugin.urls")),
]

handler404 = json_or_html_404
handler500 = json_or_html_500
