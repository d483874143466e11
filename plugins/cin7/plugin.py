"""Cin7: a stub connector (no real remote; the stub store plays Cin7) on the integrations framework, so the
framework's Resync and Mark as Resolved apply to it. Cin7 has no OAuth: the supplier types in its account id
and API key (Cin7 Core: Integrations > API), as it does there."""

from integrations_core.hookspecs import SettingField
from plugins.stub.plugin import StubPlugin

plugin = StubPlugin(
    key="cin7", name="Cin7",
    credentials=(SettingField("account_id", "Account ID", help="Cin7 Core: Integrations > API > Account ID"),
                 SettingField("api_key", "API key", help="Cin7 Core: Integrations > API > Application key")),
    credentials_help="Create an API application in Cin7 Core (Integrations > API) and paste its account id and key.",
)
