"""What the contract suite needs from each provider's test set-up: a harness per provider.

A harness makes a connected connection, a product the remote accepts, and reads the remote's copies
of an invoice. Plugins built on the stub store get `StubHarness` without writing one; others register
theirs in `HARNESSES` (one line).
"""

from __future__ import annotations

from integrations_core import registry
from integrations_core.models import Connection, Product, Supplier
from plugins.stub import store
from plugins.stub.plugin import StubPlugin
from tests.factories import ConnectionFactory, ProductFactory


class Harness:
    """The interface. `request` is pytest's, for harnesses that need fixtures (a local server)."""

    def __init__(self, provider: str, request):
        self.provider = provider
        self.request = request

    def connected(self, supplier: Supplier) -> Connection:
        """A connected connection of this provider, ready to push."""
        raise NotImplementedError

    def product(self, supplier: Supplier) -> Product:
        """A product whose account codes and tax type the remote accepts."""
        return ProductFactory(supplier=supplier)

    def remote_copies(self, connection: Connection, number: str) -> list[dict]:
        """Every copy of invoice `number` the remote holds: [{"status": ..., "total": Decimal (before tax)}]."""
        raise NotImplementedError


class StubHarness(Harness):
    def connected(self, supplier):
        return ConnectionFactory(supplier=supplier, provider=self.provider)

    def remote_copies(self, connection, number):
        return [{"status": r.status, "total": store.payload_total(r.payload)}
                for r in store.remote_invoices(connection) if r.number == number]


def _xero_harness():
    from tests.xero_plugin.contract_harness import XeroHarness

    return XeroHarness


# provider key -> a callable returning the harness class (imported lazily: it may need its fixtures).
HARNESSES = {
    "xero": _xero_harness,
}


def harness_for(provider: str, request) -> Harness:
    """The harness of a registered provider; a plugin on the stub store needs none of its own."""
    if provider in HARNESSES:
        return HARNESSES[provider]()(provider, request)
    plugin = next(
        (impl.plugin for impl in registry.get_plugin_manager().hook.provider_info.get_hookimpls()
         if impl.plugin.provider_info().key == provider),
        None,
    )
    if isinstance(plugin, StubPlugin) or getattr(plugin, "uses_stub_store", False):
        return StubHarness(provider, request)
    raise LookupError(f"provider {provider!r} has no contract harness: add one to tests/contract/harness.py")
