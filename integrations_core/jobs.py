"""RQ jobs: ids in, one service call. Kept thin so that they can be enqueued by dotted path."""


def push_sync(sync_id: int) -> str | None:
    """Push one invoice sync (queue: pushes)."""
    from .sync import sync_push

    return sync_push(sync_id=sync_id)


def sweep_stuck_syncs() -> int:
    """Queue again the syncs left `syncing` by a dead worker (queue: maintenance, on the cron)."""
    from .runs import resync_runs_sweep
    from .sync import sync_sweep

    resync_runs_sweep()
    return sync_sweep()


def check_connections() -> int:
    """Check every connected connection's health (queue: maintenance, on the cron). Returns how many failed."""
    from .health import connections_check_all

    return sum(1 for result in connections_check_all() if not result.ok)


def reconcile_connections() -> int:
    """Compare recently changed remote invoices with what we synced (queue: maintenance, on the cron)."""
    from .remote import reconcile_all

    return reconcile_all()


def run_resync(run_id: int) -> None:
    """Do one manual re-sync run (queue: bulk)."""
    from .runs import resync_run_execute

    resync_run_execute(run_id=run_id)


def push_credit_note(credit_note_id: int) -> str:
    """Make one approved credit note in its remote (queue: pushes)."""
    from .credit_notes import credit_note_push

    return credit_note_push(credit_note_id=credit_note_id)
