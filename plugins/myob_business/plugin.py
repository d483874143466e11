"""MYOB Business: a stub connector (no real remote; the stub store plays MYOB Business) on the integrations framework, so the
framework's Resync and Mark as Resolved apply to it."""

from plugins.stub.plugin import StubPlugin

plugin = StubPlugin(key="myob_business", name="MYOB Business")
