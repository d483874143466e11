"""The project's own contract harnesses: the ones that need this repo's test fixtures (Xero's needs the local
Xero), declared in-process so that no shipped distribution names test code. Every other provider brings its
own: an entry point of the group `integrations.contract_harness` in its distribution, or a `contract_harness`
on the plugin object (every plugin on the stub store has the store's). See integrations_core/contract/harness.py.
"""

from integrations_core.contract.harness import Harness, declare, declare_fallback, harness_for  # noqa: F401

PROJECT_HARNESSES = {
    "xero": "tests.xero_plugin.contract_harness:XeroHarness",
}

for _provider, _target in PROJECT_HARNESSES.items():
    declare(_provider, _target)


def stub_store(provider, plugin):
    """A plugin generated before plugins named their harness, marked `uses_stub_store`: the stub store's."""
    return "plugins.stub.plugin:StubHarness" if getattr(plugin, "uses_stub_store", False) else None


declare_fallback(stub_store)
