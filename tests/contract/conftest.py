"""For `make test`: the installed contract suite's fixtures (`harness` over every registered provider,
`supplier`, `worker`; see integrations_core/contract/pytest_plugin.py), and the project's own harnesses."""

from integrations_core.contract.pytest_plugin import (  # noqa: F401
    contract_environment, contract_provider, harness, pytest_generate_tests, supplier, worker)
from tests.contract import harness as _project_harnesses  # noqa: F401  (declares them)
