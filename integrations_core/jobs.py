"""RQ jobs: ids in, one service call. Kept thin so that they can be enqueued by dotted path.

Services name these jobs by path ("integrations_core.jobs.push_sync") rather than importing this module,
so the services never import it back: the core has no import cycle.
"""

from .credit_notes import credit_note_push
from .health import connections_check_all
from .remote import reconcile_all
from .runs import resync_run_execute, resync_runs_sweep
from .sync import sync_push, sync_sweep


def push_sync(sync_id: int) -> str | None:
    """Push one invoice sync (queue: pushes)."""
    return sync_push(sync_id=sync_id)


def sweep_stuck_syncs() -> int:
    """Queue again the syncs left `syncing` by a dead worker (queue: maintenance, on the cron)."""
    resync_runs_sweep()
    return sync_sweep()


def check_connections() -> int:
    """Check every connected connection's health (queue: maintenance, on the cron). Returns how many failed."""
    return sum(1 for result in connections_check_all() if not result.ok)


def reconcile_connections() -> int:
    """Compare recently changed remote invoices with what we synced (queue: maintenance, on the cron)."""
    return reconcile_all()


def run_resync(run_id: int, turn: int = 0) -> None:
    """Do one turn of a manual re-sync run: its next chunk, then it queues the next turn (queue: bulk)."""
    resync_run_execute(run_id=run_id, turn=turn)


def push_credit_note(credit_note_id: int) -> str:
    """Make one approved credit note in its remote (queue: pushes)."""
    return credit_note_push(credit_note_id=credit_note_id)
