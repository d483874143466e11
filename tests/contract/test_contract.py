"""The plugin contract suite, run by `make test` against every registered plugin (built-in or installed).

The suite ships with the framework (integrations_core/contract/suite.py) so that a plugin outside this repo
runs it too: `python -m integrations_core.contract KEY`. Its fixtures come from tests/contract/conftest.py; a
provider with no contract harness is skipped, with how to declare one.
"""

from integrations_core.contract.suite import *  # noqa: F401,F403  (the suite's tests)
