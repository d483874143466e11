"""The sandbox clock: real time scaled by ``clock_scale`` plus any time travel.

``clock_scale=600`` makes one real second worth ten sandbox minutes, so rate-limit
windows, token lifetimes and idempotency retention shrink together for tests.
"""

from __future__ import annotations

import datetime as dt
import threading
import time


class SandboxClock:
    """Monotonic, scalable, advanceable clock returning epoch seconds."""

    def __init__(self, scale: float = 1.0, start: float | None = None):
        if scale <= 0:
            raise ValueError("clock_scale must be positive")
        self.scale = float(scale)
        self._real0 = time.monotonic()
        self._sandbox0 = time.time() if start is None else start
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Sandbox epoch seconds."""
        return self._sandbox0 + (time.monotonic() - self._real0) * self.scale + self._offset

    def utcnow(self) -> dt.datetime:
        """Sandbox time as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.now(), dt.timezone.utc)

    def undo_travel(self) -> None:
        """Forget every `advance` (a reset starts the world again at the real, scaled time)."""
        with self._lock:
            self._offset = 0.0

    def advance(self, seconds: float) -> float:
        """Jump forward (time travel); returns the new sandbox time."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def to_real(self, sandbox_seconds: float) -> float:
        """How many real seconds a sandbox interval takes."""
        return sandbox_seconds / self.scale

    def set_now(self, epoch: float) -> None:
        """Restore a saved time (state file); never moves backwards."""
        with self._lock:
            gap = epoch - self.now()
            if gap > 0:
                self._offset += gap
