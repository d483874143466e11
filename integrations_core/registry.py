"""The plugin manager: specs, plugins from the `integrations.plugins` entry points, dispatch by provider."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import threading
from collections.abc import Mapping
from types import MappingProxyType

import pluggy

from . import hookspecs
from .errors import UnknownProvider
from .hookspecs import ProviderInfo

ENTRY_POINT_GROUP = "integrations.plugins"
log = logging.getLogger(__name__)


class _PluginManager(pluggy.PluginManager):
    """Pluggy's manager, keeping the provider table (read on every push) until a plugin comes or goes."""

    provider_table: Mapping[str, ProviderInfo] | None = None

    def register(self, plugin, name=None):
        self.provider_table = None
        return super().register(plugin, name)

    def unregister(self, plugin=None, name=None):
        self.provider_table = None
        return super().unregister(plugin, name)


@dataclasses.dataclass(frozen=True)
class FailedPlugin:
    """A plugin that could not be loaded: its entry point and why, in one line. The others work without it."""

    name: str
    target: str
    error: str


_lock = threading.Lock()
_manager: _PluginManager | None = None
_failed: list[FailedPlugin] = []


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def entry_points() -> list[importlib.metadata.EntryPoint]:
    """The installed plugins' entry points (group `integrations.plugins`)."""
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def _load(pm: _PluginManager) -> list[FailedPlugin]:
    """Register each entry point's plugin on its own: one that fails to import, to register or to describe
    itself (`provider_info`) is left out and reported. Of plugins claiming one provider key, the one whose entry
    point has the key's name stays (none, if none has); the others are reported."""
    failed, loaded = [], []
    for entry in entry_points():
        if pm.get_plugin(entry.name) is not None or pm.is_blocked(entry.name):
            continue
        try:
            plugin = entry.load()
            pm.register(plugin, name=entry.name)
        except Exception as exc:  # a broken plugin must not take the others down
            failed.append(FailedPlugin(entry.name, entry.value, _one_line(exc)))
            continue
        try:
            pm.check_pending()
            loaded.append((entry, plugin, plugin.provider_info() if hasattr(plugin, "provider_info") else None))
        except Exception as exc:
            pm.unregister(plugin)
            failed.append(FailedPlugin(entry.name, entry.value, _one_line(exc)))
    claims: dict[str, list] = {}
    for entry, plugin, info in loaded:
        if info is not None:
            claims.setdefault(info.key, []).append((entry, plugin))
    for key, claimants in claims.items():
        if len(claimants) == 1:
            continue
        owner = [c for c in claimants if c[0].name == key]
        for entry, plugin in claimants:
            if len(owner) == 1 and owner[0][1] is plugin:
                continue
            pm.unregister(plugin)
            failed.append(FailedPlugin(entry.name, entry.value, f"RuntimeError: it declares the provider key "
                                                                f"{key!r}, which another plugin has"))
    return failed


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loaded once from the entry points (built-ins included). A plugin that
    fails to load is reported (`failed_plugins`) and left out; every other provider works."""
    global _manager, _failed
    if _manager is None:
        with _lock:
            if _manager is None:
                pm = _PluginManager(hookspecs.PROJECT)
                pm.add_hookspecs(hookspecs)
                failed = _load(pm)
                pm.provider_table = MappingProxyType(_providers(pm))
                _failed = failed
                _manager = pm
                for broken in failed:
                    log.error("accounting plugin %s (%s) not loaded: %s", broken.name, broken.target, broken.error)
    return _manager


def failed_plugins() -> list[FailedPlugin]:
    """The plugins that could not be loaded, with why (for `integrations_plugins` and /health/)."""
    get_plugin_manager()
    return list(_failed)


def reset() -> None:
    """Forget the loaded plugins, so the next call loads the entry points again (tests, installs)."""
    global _manager, _failed
    with _lock:
        _manager = None
        _failed = []


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


def implements(key: str, hook_name: str) -> bool:
    """Whether the provider's plugin implements the optional hook `hook_name` (e.g. `push_invoices`)."""
    caller = getattr(hook(), hook_name)
    return any(getattr(impl.plugin, "provider_info", None) and impl.plugin.provider_info().key == key
               for impl in caller.get_hookimpls())


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
