"""The plugin contract suite, shipped with the framework so a plugin outside this repo runs it where it stands.

- `suite.py`: the suite's tests (every registered provider, or the ones asked for).
- `pytest_plugin.py`: the fixtures the tests use (`harness`, parametrized over the providers; `supplier`;
  `worker`) and the `--contract-provider` option. Load it with `-p integrations_core.contract.pytest_plugin`.
- `harness.py`: what the suite needs from each provider's test set-up (`Harness`, duck-typed) and how a
  provider gets one: declared by its distribution under the entry-point group `integrations.contract_harness`
  (``key = "package.module:HarnessClass"``), or named by the plugin object (``contract_harness``, as every
  plugin on the stub store does).
- `factories.py`: the suite's own supplier, customer, product and invoice factories.
- `python -m integrations_core.contract KEY`: runs the suite against provider KEY (SQLite and in-process
  jobs unless DATABASE_URL / REDIS_URL are set); exits non-zero on a failure.

Nothing here imports Django models at import time: the pytest plugin is loaded before Django is set up.
"""

from .harness import HARNESS_GROUP, Harness, NoHarness, declare, declare_fallback, harness_for

__all__ = ["HARNESS_GROUP", "Harness", "NoHarness", "declare", "declare_fallback", "harness_for"]
