"""The plugin manager: specs, plugins from the `integrations.plugins` entry points, dispatch by provider."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from types import MappingProxyType

import pluggy

from . import hookspecs
from .errors import UnknownProvider
from .hookspecs import ProviderInfo

ENTRY_POINT_GROUP = "integrations.plugins"


class _PluginManager(pluggy.PluginManager):
    """Pluggy's manager, keeping the provider table (read on every push) until a plugin comes or goes."""

    provider_table: Mapping[str, ProviderInfo] | None = None

    def register(self, plugin, name=None):
        self.provider_table = None
        return super().register(plugin, name)

    def unregister(self, plugin=None, name=None):
        self.provider_table = None
        return super().unregister(plugin, name)


_lock = threading.Lock()
_manager: _PluginManager | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loaded once from the entry points (built-ins included)."""
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                pm = _PluginManager(hookspecs.PROJECT)
                pm.add_hookspecs(hookspecs)
                pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
                pm.check_pending()
                pm.provider_table = MappingProxyType(_providers(pm))  # duplicate keys fail at start-up
                _manager = pm
    return _manager


def reset() -> None:
    """Forget the loaded plugins, so the next call loads the entry points again (tests, installs)."""
    global _manager
    with _lock:
        _manager = None


def hook():
    """The hook relay: `hook().push_invoice(connection=..., ...)`."""
    return get_plugin_manager().hook


def _providers(pm: pluggy.PluginManager) -> dict[str, ProviderInfo]:
    table: dict[str, ProviderInfo] = {}
    for info in pm.hook.provider_info():
        if info.key in table:
            raise RuntimeError(f"two plugins declare the provider key {info.key!r}")
        table[info.key] = info
    return dict(sorted(table.items()))


def providers() -> Mapping[str, ProviderInfo]:
    """Every registered provider, by key (read-only; built once per set of registered plugins)."""
    pm = get_plugin_manager()
    table = pm.provider_table
    if table is None:
        table = pm.provider_table = MappingProxyType(_providers(pm))
    return table


def provider(key: str) -> ProviderInfo:
    """One provider's info; `UnknownProvider` if no plugin declares the key."""
    try:
        return providers()[key]
    except KeyError:
        raise UnknownProvider(
            f"No accounting plugin is installed for provider {key!r}.",
            field_errors={"provider": [f"Unknown provider {key!r}; known: {', '.join(providers()) or 'none'}."]},
        ) from None


def supports_resync(key: str) -> bool:
    """Whether the framework's Resync / Mark as Resolved apply to the provider."""
    from .models import Connection

    provider(key)
    return bool(hook().supports_resync(connection=Connection(provider=key)))


@dataclasses.dataclass(frozen=True)
class Capabilities:
    key: str
    name: str
    supports_resync: bool
    manual_resync: str
    concurrency: int | None


def capabilities() -> list[Capabilities]:
    """Every provider with its capabilities, for listings (command, API, admin)."""
    return [
        Capabilities(
            key=info.key,
            name=info.name,
            supports_resync=supports_resync(info.key),
            manual_resync=info.manual_resync,
            concurrency=info.concurrency,
        )
        for info in providers().values()
    ]
