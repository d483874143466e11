"""Cin7: a stub connector (no real remote; the stub store plays Cin7) on the integrations framework, so the
framework's Resync and Mark as Resolved apply to it."""

from plugins.stub.plugin import StubPlugin

plugin = StubPlugin(key="cin7", name="Cin7")
