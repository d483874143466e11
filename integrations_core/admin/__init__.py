"""The Django admin for support staff: suppliers, connections (no secret anywhere), invoices with their syncs,
attempts and diagnosis, products, API keys and re-sync runs; actions that call the same services as the API."""

from django.contrib import admin

from . import connections, events, invoices, keys, money, runs, suppliers  # noqa: F401  (registers the model admins)

admin.site.site_header = "Accounting integrations: support"
admin.site.site_title = "Integrations support"
admin.site.index_title = "Suppliers, connections and invoice syncs"
# The landing page is the support dashboard (templatetags/support_dashboard.py), above the list of models.
admin.site.index_template = "admin/integrations_core/index.html"
