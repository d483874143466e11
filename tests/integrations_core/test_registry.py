"""Plugins come from the `integrations.plugins` entry points: built-ins, and any installed package."""

import json
import sys
import textwrap

import pytest
from django.core.management import call_command

from integrations_core import registry
from integrations_core.models import InvoiceSync, SyncState
from tests.factories import ConnectionFactory, make_invoice

PLUGIN_SOURCE = textwrap.dedent('''
    """A plugin distributed on its own: it knows nothing of the core but the hook markers."""
    from integrations_core.hookspecs import ProviderInfo, PushResult, hookimpl

    PUSHED = []

    class Ledger:
        @hookimpl
        def provider_info(self):
            return ProviderInfo(key="ledgerly", name="Ledgerly")

        @hookimpl
        def supports_resync(self, connection):
            return True if connection.provider == "ledgerly" else None

        @hookimpl
        def push_invoice(self, connection, invoice, sync):
            if connection.provider != "ledgerly":
                return None
            PUSHED.append((invoice.number, invoice.version))
            return PushResult(remote_id="L-" + invoice.number, remote_status="OPEN")

    plugin = Ledger()
''')


@pytest.fixture
def installed_plugin(tmp_path):
    """A throw-away distribution on the path, declaring the entry point as a pip install would."""
    (tmp_path / "ledgerly_plugin.py").write_text(PLUGIN_SOURCE)
    dist = tmp_path / "ledgerly_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ledgerly-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[integrations.plugins]\nledgerly = ledgerly_plugin:plugin\n")
    sys.path.insert(0, str(tmp_path))
    registry.reset()
    yield
    sys.path.remove(str(tmp_path))
    sys.modules.pop("ledgerly_plugin", None)
    registry.reset()


def _listed(capsys) -> dict:
    call_command("integrations_plugins", "--json")
    return {row["key"]: row for row in json.loads(capsys.readouterr().out)}


FRAMEWORK = (("netsuite", "NetSuite"), ("unleashed", "Unleashed"), ("myob_business", "MYOB Business"),
             ("myob_advanced", "MYOB Advanced"), ("cin7", "Cin7"))


def test_registry_lists_the_six_providers_the_framework_ones_with_resync(capsys):
    listed = _listed(capsys)
    assert set(listed) == {key for key, _ in FRAMEWORK} | {"xero"}
    for key, name in FRAMEWORK:
        assert listed[key]["name"] == name and listed[key]["supports_resync"] is True
    assert listed["xero"]["supports_resync"] is False


@pytest.mark.django_db
def test_registry_loads_an_installed_distribution_without_core_changes(installed_plugin, capsys, supplier, worker):
    listed = _listed(capsys)
    assert listed["ledgerly"] == {"key": "ledgerly", "name": "Ledgerly", "supports_resync": True,
                                  "manual_resync": "", "concurrency": None}

    ConnectionFactory(supplier=supplier, provider="ledgerly")
    invoice = make_invoice(supplier)
    worker.run()

    sync = InvoiceSync.objects.get(invoice=invoice)
    assert (sync.state, sync.remote_id) == (SyncState.SYNCED, f"L-{invoice.number}")
    assert sys.modules["ledgerly_plugin"].PUSHED == [(invoice.number, 1)]


def test_registry_rejects_a_misspelt_hook():
    import pluggy

    from integrations_core import hookspecs
    from integrations_core.hookspecs import hookimpl

    class Typo:
        @hookimpl
        def push_invoce(self, connection):  # noqa: misspelt on purpose
            return None

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(Typo())
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_registry_unknown_provider_is_a_clear_error():
    from integrations_core.errors import UnknownProvider

    with pytest.raises(UnknownProvider, match="No accounting plugin is installed for provider 'sage'"):
        registry.provider("sage")


def test_registry_provider_table_follows_plugins_registered_at_run_time():
    from integrations_core.errors import UnknownProvider
    from integrations_core.hookspecs import ProviderInfo, hookimpl

    class Late:
        @hookimpl
        def provider_info(self):
            return ProviderInfo(key="latecomer", name="Latecomer")

    assert registry.provider("netsuite") is registry.provider("netsuite")  # built once, not per call
    plugin = Late()
    registry.get_plugin_manager().register(plugin)
    try:
        assert registry.provider("latecomer").name == "Latecomer"
        assert "latecomer" in registry.providers()
    finally:
        registry.get_plugin_manager().unregister(plugin)
    with pytest.raises(UnknownProvider):
        registry.provider("latecomer")
    registry.reset()
    assert registry.provider("netsuite").name == "NetSuite"


@pytest.fixture
def broken_plugins(tmp_path):
    """Two distributions that cannot work: one fails to import, one claims Xero's key. Installed beside the rest."""
    (tmp_path / "brokenledger.py").write_text("import no_such_module_anywhere\n")
    (tmp_path / "copycat.py").write_text(
        "from integrations_core.hookspecs import ProviderInfo, hookimpl\n\n"
        "class Copycat:\n    @hookimpl\n    def provider_info(self):\n"
        "        return ProviderInfo(key='xero', name='Not Xero')\n\nplugin = Copycat()\n")
    for name, target in (("brokenledger", "brokenledger:plugin"), ("copycat", "copycat:plugin")):
        dist = tmp_path / f"{name}-0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (dist / "entry_points.txt").write_text(f"[integrations.plugins]\n{name} = {target}\n")
    sys.path.insert(0, str(tmp_path))
    registry.reset()
    yield
    sys.path.remove(str(tmp_path))
    for name in ("brokenledger", "copycat"):
        sys.modules.pop(name, None)
    registry.reset()


@pytest.mark.django_db
def test_a_plugin_that_fails_to_load_is_reported_and_every_other_provider_works(broken_plugins, capsys, client,
                                                                                supplier, netsuite, worker):
    listed = _listed(capsys)
    assert listed["brokenledger"]["failed"] == "ModuleNotFoundError: No module named 'no_such_module_anywhere'"
    assert "declares the provider key 'xero'" in listed["copycat"]["failed"]
    assert listed["xero"]["name"] == "Xero" and listed["netsuite"]["supports_resync"] is True

    call_command("integrations_plugins")
    table = capsys.readouterr().out
    assert "brokenledger   FAILED to load (brokenledger:plugin): ModuleNotFoundError" in table

    health = client.get("/health/", HTTP_ACCEPT="application/json")
    assert health.status_code == 500
    assert any("brokenledger failed to load" in value for value in health.json().values())

    invoice = make_invoice(supplier)  # the others push as ever
    worker.run()
    assert invoice.syncs.get(connection=netsuite).state == "synced"
