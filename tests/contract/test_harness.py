"""Where each provider's contract harness comes from, and that a provider without one is skipped (with how to
declare one), never failed: installing a plugin never turns `make test` red."""

import pytest

from integrations_core import registry
from integrations_core.contract import NoHarness, harness_for
from integrations_core.contract.harness import harness_class
from integrations_core.contract.pytest_plugin import harness_or_skip
from integrations_core.hookspecs import ProviderInfo, hookimpl
from plugins.stub.plugin import StubHarness
from tests.xero_plugin.contract_harness import XeroHarness


class _Bare:
    """An installed plugin that declares no harness."""

    def __init__(self, key, **attributes):
        self.key = key
        self.__dict__.update(attributes)

    @hookimpl
    def provider_info(self):
        return ProviderInfo(key=self.key, name=self.key.title())


@pytest.fixture
def installed():
    pm = registry.get_plugin_manager()
    added = []

    def install(plugin):
        pm.register(plugin, name=plugin.key)
        added.append(plugin)
        return plugin

    yield install
    for plugin in added:
        pm.unregister(plugin)


def test_built_in_providers_have_their_harnesses():
    assert {key: harness_class(key) for key in ("netsuite", "unleashed", "cin7", "xero")} == {
        "netsuite": StubHarness, "unleashed": StubHarness, "cin7": StubHarness, "xero": XeroHarness}


def test_a_provider_without_a_harness_has_none_and_is_told_how_to_declare_one(installed):
    installed(_Bare("bareledger"))
    with pytest.raises(NoHarness, match=r'entry-points\."integrations\.contract_harness"\] bareledger = '):
        harness_for("bareledger", None)


def test_the_harness_fixture_skips_a_provider_without_one_and_the_one_command_fails_it(installed, request):
    installed(_Bare("bareledger"))
    with pytest.raises(pytest.skip.Exception, match="has no contract harness"):
        harness_or_skip(request, "bareledger")
    with pytest.raises(pytest.fail.Exception, match="has no contract harness"):
        harness_or_skip(request, "bareledger", strict=True)


def test_a_plugin_marked_uses_stub_store_gets_the_stub_harness(installed):
    installed(_Bare("stubbyledger", uses_stub_store=True))
    assert harness_class("stubbyledger") is StubHarness


def test_a_declared_harness_that_cannot_load_is_reported_not_raised(installed):
    installed(_Bare("oddledger", contract_harness="no_such_module.anywhere:Harness"))
    with pytest.raises(NoHarness, match="could not be loaded: ModuleNotFoundError"):
        harness_class("oddledger")
