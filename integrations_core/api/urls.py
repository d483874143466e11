"""/api/v1/ routes. A trailing slash is optional (`/invoices/7/diagnosis` and `/invoices/7/diagnosis/`)."""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from .operations import describe
from .views.connections import ConnectionViewSet
from .views.credit_notes import CreditNoteViewSet
from .views.invoices import InvoiceViewSet
from .views.providers import ProviderList
from .views.runs import ResyncRunViewSet
from .views.syncs import SyncViewSet


class Router(DefaultRouter):
    include_root_view = False

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = Router()
router.register("connections", describe(ConnectionViewSet), basename="connection")
router.register("invoices", describe(InvoiceViewSet), basename="invoice")
router.register("syncs", describe(SyncViewSet), basename="sync")
router.register("resync-runs", describe(ResyncRunViewSet), basename="resync-run")
router.register("credit-notes", describe(CreditNoteViewSet), basename="credit-note")

urlpatterns = [re_path(r"^providers/?$", ProviderList.as_view(), name="provider-list"), *router.urls]
