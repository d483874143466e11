"""URL routes: the admin, the queue dashboard, and each package's own routes."""
from django.contrib import admin
from django.urls import include, path

from xero_plugin import webhooks

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("xero/webhooks/", webhooks.receive, name="xero-webhooks"),
    path("xero/", include("xero_plugin.urls")),
]
