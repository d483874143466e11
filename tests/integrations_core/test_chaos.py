"""`chaos_sync` (what `make chaos` runs), small: its `faults` scenario (Xero faults, a SIGKILLed worker, a
mid-run token expiry). The other scenarios (Redis flushed, PostgreSQL backends terminated, updates racing the
claim, payments in Xero mid-push, cancels and renumbers after lost answers, the scheduler killed, Xero down)
take minutes together: `make chaos` runs them all, `chaos_sync --scenario NAME` one."""

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
    args = ["chaos_sync", "--scenario", "faults", "--invoices", "150"]
    run = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(run.stdout[run.stdout.index("{"):])
    assert figures["duplicates"] == 0 and figures["lost_triggers"] == 0
    assert figures["invoices"] == 150 and sum(figures["states"].values()) == 150
    faults = figures["scenarios"]["faults"]
    assert faults["lost"] == faults["duplicated"] == faults["stale"] == faults["left_in_flight"] == 0
    assert faults["in_xero"] == 150 and faults["failed_pushes"] > 0  # the faults did bite
