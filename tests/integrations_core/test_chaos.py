"""`chaos_sync` (what `make chaos` runs), small: every scenario once, on PostgreSQL and Redis with real worker
and scheduler processes and the real SDK against the local Xero, each judged against the local Xero's own copy
(every invoice there once, at its latest version, voided when cancelled, or failed/locked with the right
message; nothing left queued or syncing). One run serves a test per fault; `make chaos` runs them larger."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.chaos import SCENARIOS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chaos_run():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        pytest.skip("the chaos run needs PostgreSQL and Redis (make test sets them)")
    # Each scenario at its smallest; Xero down for 10 s (the retry policy follows the outage's length).
    args = ["chaos_sync", "--invoices", "62", "--workers", "3", "--outage-seconds", "10"]
    run = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=900)
    assert "{" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    return run.returncode, json.loads(run.stdout[run.stdout.index("{"):]), run.stderr[-3000:]


def test_the_run_exits_0_with_nothing_lost_or_duplicated(chaos_run):
    code, figures, log = chaos_run
    assert code == 0, json.dumps(figures, indent=1)[-3000:] + log
    assert figures["lost"] == figures["duplicated"] == figures["stale"] == figures["left_in_flight"] == 0
    assert figures["duplicates"] == 0 and figures["lost_triggers"] == 0
    assert set(figures["scenarios"]) == set(SCENARIOS)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_fault_loses_duplicates_and_leaves_nothing(chaos_run, name):
    _, figures, _ = chaos_run
    scenario = figures["scenarios"][name]
    assert scenario["settled"], scenario
    assert (scenario["lost"], scenario["duplicated"], scenario["stale"], scenario["left_in_flight"]) == (0, 0, 0, 0)
    assert scenario["in_xero"] == scenario["invoices"]
    assert scenario["ok"] + scenario["actionable"] == scenario["invoices"]
    assert scenario["injected"], "the fault was not injected"
    assert scenario["connection"] == "connected"
