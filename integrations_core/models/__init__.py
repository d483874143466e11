"""The data of DESIGN.md: who sells, what is sold and invoiced, where it syncs, and what happened."""

from .access import ApiKey
from .catalog import Customer, Product, Supplier
from .connection import Connection, ConnectionState, ConnectLink
from .event import RemoteEvent
from .invoice import Invoice, InvoiceLine, InvoiceStatus
from .run import ResyncRun, ResyncRunState
from .sync import InvoiceSync, SyncAttempt, SyncState, Trigger, TriggerKind

__all__ = [
    "ApiKey",
    "Connection",
    "ConnectionState",
    "ConnectLink",
    "Customer",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "InvoiceSync",
    "Product",
    "RemoteEvent",
    "ResyncRun",
    "ResyncRunState",
    "Supplier",
    "SyncAttempt",
    "SyncState",
    "Trigger",
    "TriggerKind",
]
