"""A local Xero for tests, ``make run`` and the dev-only benchmarks (``tests/bench``, outside this package).

One loopback server speaks the Accounting API (``/api.xro/2.0``), identity
(``/connections``), OAuth 2.0 (authorize page, ``/connect/token``, ``/connect/revocation``)
and its own control API (``/_sandbox/``). No Django. See ``seed`` for the seeded
organisations, accounts, tax types and contacts, and ``faults`` for fault kinds.

    sandbox = XeroSandbox(clock_scale=600).start()
    tokens = sandbox.control.issue_tokens([TENANT_NZ])
    ...
    sandbox.stop()
"""

from .control import SandboxControl, SandboxControlError
from .runtime import XeroSandbox, main
from .seed import (ALL_TENANTS, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REDIRECT_URIS, DEFAULT_WEBHOOK_KEY,
                   TENANT_AU, TENANT_NZ, TENANT_NZ2, branding_theme_id, contact_id)
from .webhooks import sign as webhook_signature

__all__ = ["XeroSandbox", "SandboxControl", "SandboxControlError", "main", "TENANT_NZ", "TENANT_AU", "TENANT_NZ2",
           "ALL_TENANTS", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "DEFAULT_REDIRECT_URIS", "DEFAULT_WEBHOOK_KEY",
           "contact_id", "branding_theme_id",
           "webhook_signature"]
