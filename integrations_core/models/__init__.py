"""The data of DESIGN.md: who sells, what is sold and invoiced, where it syncs, and what happened."""

from .access import ApiKey
from .catalog import Customer, Product, Supplier
from .connection import Connection, ConnectionState, ConnectLink, ContactLink, SettingsChange
from .event import RemoteEvent
from .invoice import Invoice, InvoiceLine, InvoiceStatus, LineKind
from .money import CreditNote, CreditNoteState, InvoiceDocument, InvoicePayment, PaymentRecord
from .run import ResyncRun, ResyncRunItem, ResyncRunState
from .sync import InvoiceSync, SyncAttempt, SyncState, Trigger, TriggerKind

__all__ = [
    "ApiKey",
    "Connection",
    "ConnectionState",
    "ConnectLink",
    "ContactLink",
    "CreditNote",
    "CreditNoteState",
    "Customer",
    "Invoice",
    "InvoiceDocument",
    "InvoiceLine",
    "InvoicePayment",
    "InvoiceStatus",
    "InvoiceSync",
    "LineKind",
    "PaymentRecord",
    "Product",
    "RemoteEvent",
    "ResyncRun",
    "ResyncRunItem",
    "ResyncRunState",
    "SettingsChange",
    "Supplier",
    "SyncAttempt",
    "SyncState",
    "Trigger",
    "TriggerKind",
]
