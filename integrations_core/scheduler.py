"""The process that moves delayed jobs (coalesced pushes, retries) onto their queues when they are due.

RQ's scheduler holds a lock per queue for about a minute and a worker started `--with-scheduler` tries to
take a free lock only every ten minutes, so when the machine running it dies every delayed job waits up to
that long. This is RQ's scheduler run on its own, with a lock of a few seconds that it refreshes every
second, and with standbys that try for the lock every second: run two or more (on different machines)
and when the one holding the lock dies, another takes over within `LOCK_SECONDS`.
"""

from __future__ import annotations

from rq.scheduler import RQScheduler

LOCK_SECONDS = 5


class StandbyScheduler(RQScheduler):
    """RQ's scheduler with a short lock, taken over by a standby within seconds of the holder's death."""

    @property
    def should_reacquire_locks(self) -> bool:
        return self._queue_names != self.acquired_locks

    def acquire_locks(self, auto_start=False):
        locks = super().acquire_locks(auto_start)
        self._shorten_locks()
        return locks

    def heartbeat(self):
        super().heartbeat()
        self._shorten_locks()

    def _shorten_locks(self) -> None:
        # RQ refreshes its locks for a minute; a lock this scheduler holds is cut back to LOCK_SECONDS.
        if not self._acquired_locks:
            return
        with self.connection.pipeline() as pipeline:
            for name in self._acquired_locks:
                pipeline.expire(self.get_locking_key(name), LOCK_SECONDS)
            pipeline.execute()
