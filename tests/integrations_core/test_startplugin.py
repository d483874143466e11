"""`startplugin` writes a plugin that passes the contract suite unchanged: with --dir, a standalone distribution
that lives outside this repo (installed as pip installs it, tested with the one command where it stands)."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from integrations_core.contract import suite

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ("integrations_core.hookspecs", "integrations_core.errors", "integrations_core.models")


def _broken_distribution(path: Path) -> Path:
    """A second plugin distribution whose module raises on import."""
    (path / "brokenledger").mkdir(parents=True)
    (path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "integrations-brokenledger"\nversion = "0.1.0"\n\n'
        '[project.entry-points."integrations.plugins"]\nbrokenledger = "brokenledger.plugin:plugin"\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["brokenledger*"]\n')
    (path / "brokenledger" / "__init__.py").write_text("")
    (path / "brokenledger" / "plugin.py").write_text('raise RuntimeError("brokenledger is broken on purpose")\n')
    return path


def _outside_env(site: Path) -> dict:
    """A plugin author's terminal: none of this run's PostgreSQL / Redis; the installed distributions and the
    framework on the path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATABASE_CONN_MAX_AGE", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    return env


def _core_imports(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            modules.add(node.module)
    return {m for m in modules if m.split(".")[0] == "integrations_core"}


@pytest.mark.slow
def test_startplugin_dir_writes_a_distribution_that_passes_the_contract_where_it_stands(tmp_path, capsys):
    dist = tmp_path / "cin7core-plugin"
    call_command("startplugin", "Cin7 Core", dir=str(dist))
    package = dist / "cin7core"
    assert {p.name for p in dist.iterdir()} >= {"pyproject.toml", "README.md", "tests", "cin7core"}
    assert {p.name for p in package.iterdir()} >= {"__init__.py", "plugin.py", "remote.py", "contract_harness.py"}
    assert (dist / "tests" / "test_contract.py").is_file()
    assert 'cin7core = "cin7core.plugin:plugin"' in capsys.readouterr().out
    for module in package.glob("*.py"):  # the framework's public surface only
        assert _core_imports(module) <= set(PUBLIC), module.name
    pyproject = (dist / "pyproject.toml").read_text()
    assert '[project.entry-points."integrations.contract_harness"]' in pyproject
    assert "python -m integrations_core.contract cin7core" in (dist / "README.md").read_text()

    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(dist), str(_broken_distribution(tmp_path / "broken"))],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    env = _outside_env(site)

    # At once: the listing, the one command from the plugin's directory, and plain `pytest` there.
    listing = subprocess.Popen(
        [sys.executable, "manage.py", "integrations_plugins", "--json"], cwd=ROOT, text=True,
        env={**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'listing.sqlite3'}"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    contract = subprocess.Popen([sys.executable, "-m", "integrations_core.contract", "cin7core"], cwd=dist, env=env,
                                text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    pytest_there = subprocess.Popen([sys.executable, "-m", "pytest", "-q"], cwd=dist, env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    (listed, listing_err), (ran, _), (ran_there, _) = (p.communicate(timeout=120)
                                                       for p in (listing, contract, pytest_there))

    assert listing.returncode == 0, listing_err[-3000:]
    rows = {row["key"]: row for row in json.loads(listed)}
    assert rows["cin7core"]["name"] == "Cin7 Core" and "failed" not in rows["cin7core"]
    assert "broken on purpose" in rows["brokenledger"]["failed"]
    assert "netsuite" in rows  # the others work beside the broken one

    passed = rf"\b{len(suite.__all__)} passed\b"
    assert contract.returncode == 0 and re.search(passed, ran) and "skipped" not in ran, ran[-3000:]
    assert pytest_there.returncode == 0 and re.search(passed, ran_there), ran_there[-3000:]


def test_startplugin_without_dir_writes_a_package_into_the_project(tmp_path, settings, capsys):
    """Today's shape, in a copy of the project's layout: plugins/<key>/ on the stub store, registered."""
    (tmp_path / "plugins").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project.entry-points."integrations.plugins"]\nnetsuite = "x:y"\n')
    settings.BASE_DIR = tmp_path
    call_command("startplugin", "Ledger Two")
    package = tmp_path / "plugins" / "ledgertwo"
    assert {p.name for p in package.iterdir()} >= {"plugin.py", "README.md", "tests", "__init__.py"}
    assert 'ledgertwo = "plugins.ledgertwo.plugin:plugin"' in (tmp_path / "pyproject.toml").read_text()
    plugin = (package / "plugin.py").read_text()
    compile(plugin, "plugin.py", "exec")
    assert 'contract_harness = "plugins.stub.plugin:StubHarness"' in plugin
    compile((package / "tests" / "test_contract.py").read_text(), "test_contract.py", "exec")
    assert "make install" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["!!!", "9lives", "netsuite"])
def test_startplugin_refuses_a_bad_or_taken_key(tmp_path, name):
    with pytest.raises(CommandError):
        call_command("startplugin", name, dir=str(tmp_path), key=None if name != "9lives" else "9lives")
    assert list(tmp_path.iterdir()) == []


def test_startplugin_refuses_a_directory_that_holds_a_distribution(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    with pytest.raises(CommandError, match="already exist"):
        call_command("startplugin", "Ledger Three", dir=str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]
