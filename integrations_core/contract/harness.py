"""What the contract suite needs from each provider's test set-up: a harness, and where a provider's comes from.

A harness makes a connected connection, a product the remote accepts, and reads the remote's copies of an
invoice. It is duck-typed: any class built as ``HarnessClass(provider, request)`` (``request`` is pytest's,
for a harness that needs fixtures, e.g. a local server) with the methods of `Harness` will do, so a plugin's
harness needs nothing beyond `integrations_core.models`. `product` is optional (the suite's default product
is used without it).

Where a provider's harness comes from, first match wins:

1. `declare(key, "module:Class")`, in-process (the project's own test set-up uses it for Xero's harness,
   which needs the local Xero's fixtures from the project's tests);
2. the entry point ``key`` of the group ``integrations.contract_harness`` in the plugin's distribution::

       [project.entry-points."integrations.contract_harness"]
       myledger = "myledger.contract_harness:MyLedgerHarness"

3. the plugin object's own ``contract_harness`` attribute (a class or "module:Class"): every plugin on the
   stub store (`plugins.stub.plugin.StubPlugin`) names the store's harness so;
4. a resolver given to `declare_fallback` (the project's: plugins with ``uses_stub_store = True``).

Any other provider has none: the suite skips it and says how to declare one (`NoHarness`). The core names no
provider here: each brings its own harness.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # nothing here may import models at import time (the pytest plugin loads before Django)
    from integrations_core.models import Connection, Product, Supplier

HARNESS_GROUP = "integrations.contract_harness"

_declared: dict[str, Any] = {}
_fallbacks: list[Callable[[str, Any], Any]] = []


class NoHarness(LookupError):
    """The provider has no contract harness (or its declared one cannot be loaded); the message says why and how."""


def how_to_declare(provider: str) -> str:
    return (f'declare one in the plugin\'s pyproject.toml: [project.entry-points."{HARNESS_GROUP}"] '
            f'{provider} = "yourpackage.contract_harness:YourHarness" (see integrations_core/contract/harness.py)')


class Harness:
    """The interface (subclassing it is optional)."""

    def __init__(self, provider: str, request):
        self.provider = provider
        self.request = request

    def connected(self, supplier: Supplier) -> Connection:
        """A connected connection of this provider, ready to push."""
        raise NotImplementedError

    def product(self, supplier: Supplier) -> Product:
        """A product whose account codes and tax type the remote accepts."""
        from . import factories

        return factories.product(supplier)

    def remote_copies(self, connection: Connection, number: str) -> list[dict]:
        """Every copy of invoice `number` the remote holds: [{"status": ..., "total": Decimal (before tax)}]."""
        raise NotImplementedError


def declare(provider: str, harness: str | type) -> None:
    """Give `provider` a harness in this process ("module:Class" or the class), ahead of any entry point."""
    _declared[provider] = harness


def declare_fallback(resolver: Callable[[str, Any], Any]) -> None:
    """`resolver(provider, plugin)` gives a harness (class or "module:Class") or None, for providers that
    declare none themselves."""
    _fallbacks.append(resolver)


def _load(target: str | type) -> type:
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


def _target(provider: str):
    """The declared harness of `provider` and where it was declared; (None, None) for none."""
    if provider in _declared:
        return _declared[provider], "declared in-process"
    for entry in importlib.metadata.entry_points(group=HARNESS_GROUP):
        if entry.name == provider:
            return entry.value, f"entry point {HARNESS_GROUP}:{entry.name}"
    plugin = _plugin_of(provider)
    if getattr(plugin, "contract_harness", None) is not None:
        return plugin.contract_harness, f"{type(plugin).__name__}.contract_harness"
    for resolver in _fallbacks:
        if (found := resolver(provider, plugin)) is not None:
            return found, f"fallback {getattr(resolver, '__name__', resolver)}"
    return None, None


def _plugin_of(provider: str):
    from integrations_core import registry

    for impl in registry.get_plugin_manager().hook.provider_info.get_hookimpls():
        try:
            if impl.plugin.provider_info().key == provider:
                return impl.plugin
        except Exception:  # noqa: BLE001  (a plugin that cannot describe itself is not this one)
            continue
    return None


def harness_class(provider: str) -> type:
    """The harness class of `provider`; `NoHarness` (with how to declare one) if it has none or it cannot load."""
    target, source = _target(provider)
    if target is None:
        raise NoHarness(f"provider {provider!r} has no contract harness: {how_to_declare(provider)}")
    try:
        return _load(target)
    except Exception as exc:  # a broken harness is reported as such, not as a broken suite
        raise NoHarness(f"provider {provider!r}: its contract harness {target!r} ({source}) could not be "
                        f"loaded: {type(exc).__name__}: {exc}") from exc


def harness_for(provider: str, request) -> Any:
    """A harness for a registered provider, ready for the suite."""
    harness = harness_class(provider)(provider, request)
    if not hasattr(harness, "provider"):
        harness.provider = provider
    if not hasattr(harness, "product"):
        from . import factories

        harness.product = factories.product
    missing = [name for name in ("connected", "remote_copies") if not callable(getattr(harness, name, None))]
    if missing:
        raise NoHarness(f"provider {provider!r}: its contract harness {type(harness).__name__} has no "
                        f"{' or '.join(missing)} method")
    return harness
