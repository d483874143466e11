"""NetSuite: a stub connector (no real remote; the stub store plays NetSuite) on the integrations framework,
so the framework's Resync and Mark as Resolved apply to it."""

from plugins.stub.plugin import StubPlugin

plugin = StubPlugin(key="netsuite", name="NetSuite")
