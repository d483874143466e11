"""`manage.py demo` tells the help article's story with no services at all, and every step behaves."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow  # the whole demo story in a subprocess
def test_demo_runs_with_no_services_and_every_step_behaves():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    run = subprocess.run([sys.executable, "manage.py", "demo"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.count("[ok ]") == 10 and "[NOT]" not in run.stdout
    assert "Every step behaved as the help article says." in run.stdout
