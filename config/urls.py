"""URL routes: the admin, the queue dashboard, and each package's own routes."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]
