"""`startplugin` writes a plugin package that passes the contract suite unchanged."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def _install(tmp_path: Path, key: str) -> None:
    """Declare the package's entry point as `pip install` would (a dist-info beside it)."""
    dist = tmp_path / f"{key}_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {key}-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[integrations.plugins]\n{key} = {key}.plugin:plugin\n")


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(tmp_path)])
    if env.get("DATABASE_URL", "").startswith("postgres"):
        # A database of its own: this run's test database is in use by the outer run.
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/integrations_startplugin"
    if env.get("REDIS_URL"):
        env["REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + "/14"
    return env


def test_startplugin_package_passes_the_contract_suite(tmp_path, capsys):
    call_command("startplugin", "Cin7 Core", dir=str(tmp_path))
    package = tmp_path / "cin7core"
    assert {p.name for p in package.iterdir()} >= {"plugin.py", "README.md", "tests", "__init__.py"}
    assert 'cin7core = "cin7core.plugin:plugin"' in capsys.readouterr().out
    _install(tmp_path, "cin7core")
    env = _env(tmp_path)

    listed = subprocess.run([sys.executable, "manage.py", "integrations_plugins", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert '"key": "cin7core"' in listed.stdout and '"name": "Cin7 Core"' in listed.stdout

    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(package / "tests" / "test_contract.py"), "-q", "-p", "tests.conftest",
         "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


@pytest.mark.parametrize("name", ["!!!", "9lives", "netsuite"])
def test_startplugin_refuses_a_bad_or_taken_key(tmp_path, name):
    with pytest.raises(CommandError):
        call_command("startplugin", name, dir=str(tmp_path), key=None if name != "9lives" else "9lives")
    assert list(tmp_path.iterdir()) == []
