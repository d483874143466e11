"""MYOB Advanced: a stub connector (no real remote; the stub store plays MYOB Advanced) on the integrations framework, so the
framework's Resync and Mark as Resolved apply to it."""

from plugins.stub.plugin import StubPlugin

plugin = StubPlugin(key="myob_advanced", name="MYOB Advanced")
