"""`chaos_sync` (what `make chaos` runs), small: faults, a SIGKILLed worker, a mid-run token expiry."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_chaos_run_loses_and_duplicates_nothing():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        pytest.skip("the chaos run needs PostgreSQL and Redis (make test sets them)")
    # The run's own Redis database (its slot): this test's queues are idle while it waits, and each test starts
    # by flushing them. A fixed database would be flushed under whichever other run holds that slot.
    env = dict(os.environ)
    run = subprocess.run([sys.executable, "manage.py", "chaos_sync", "--invoices", "150"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(run.stdout[run.stdout.index("{"):])
    assert figures["duplicates"] == 0 and figures["lost_triggers"] == 0
    assert figures["invoices"] == 150 and sum(figures["states"].values()) == 150
