"""`python -m integrations_core.contract PROVIDER_KEY [PROVIDER_KEY ...] [-- PYTEST_ARGS ...]`

Runs the plugin contract suite against the named providers, from anywhere (a plugin's own directory: it is
put on the path, so its package imports from the source tree; its distribution must be installed, e.g.
`pip install -e .`, for its entry points to be seen). Exits with pytest's status: 0 when every test passed.

The environment, unless given: DJANGO_SETTINGS_MODULE=config.settings; DATABASE_URL a throwaway SQLite
database (pytest-django tests on an in-memory copy); no REDIS_URL, so jobs run in-process. With REDIS_URL set
jobs go through RQ and the suite empties that Redis database before each test: give it one of its own.
A provider without a contract harness fails here (`make test` skips it instead).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

SUITE = Path(__file__).resolve().with_name("suite.py")
PLUGIN = "integrations_core.contract.pytest_plugin"
INI = """\
[pytest]
addopts = -p no:cacheprovider
django_find_project = false
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        argv, extra = argv[:argv.index("--")], argv[argv.index("--") + 1:]
    parser = argparse.ArgumentParser(
        prog="python -m integrations_core.contract",
        description="Run the accounting plugin contract suite against installed providers.",
        epilog="Arguments after -- go to pytest, e.g. -- -x -k push.")
    parser.add_argument("providers", nargs="+", metavar="PROVIDER_KEY", help="the provider key(s) to test")
    args = parser.parse_args(argv)
    missing = [name for name in ("pytest", "pytest_django") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"The contract suite needs pytest and pytest-django (missing: {', '.join(missing)}): "
              "pip install pytest pytest-django", file=sys.stderr)
        return 2
    import pytest

    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    with tempfile.TemporaryDirectory(prefix="integrations-contract-") as tmp:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'contract.sqlite3'}"
        ini = Path(tmp) / "pytest.ini"
        ini.write_text(INI)
        code = pytest.main([
            str(SUITE), "-c", str(ini), "--rootdir", str(SUITE.parent), "-p", PLUGIN, "--contract-require-harness",
            *(f"--contract-provider={key}" for key in args.providers), "-rfEs", *extra,
        ])
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
