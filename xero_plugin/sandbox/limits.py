"""Xero's rate limits per (app, organisation): 5 concurrent, 60 per fixed minute,
5,000 per fixed day, plus 10,000 per minute across the whole app (XERO.md 6.4).

Windows are fixed and start at a tenant's first call ("reset at different times for
each tenant"); they run on the sandbox clock, so ``clock_scale`` shortens them. The app
minute window is the same kind of fixed window, keyed by the app (client id) alone, so every
tenant's calls count against it; it starts at the app's first call.

A call is counted once, when it is admitted; a refused call (429) counts against nothing
(XERO.md does not say whether Xero counts its 429s).

Retry-After: Xero documents it for the minute and day limits only, never for concurrent
(XERO.md 6.4). For ``appminute`` XERO.md has "(not documented)"; the sandbox sends the
seconds until the app's window resets, as for the per-organisation minute [INFERRED].
"""

from __future__ import annotations

import math
import threading


class RateLimiter:
    """Counts calls and in-flight requests; decides 429s and the remaining-headers."""

    def __init__(self, clock, limits: dict):
        self.clock = clock
        self.limits = limits            # shared dict: minute, day, concurrent, app_minute (per app, all tenants)
        self._lock = threading.Lock()
        self._windows = {}              # (scope, key) -> [window_start, count]
        self._inflight = {}             # key -> count
        self.refusals = {}              # X-Rate-Limit-Problem -> 429s answered, since the last reset

    def reset(self, limits: dict) -> None:
        """Forget all counters (and adopt a new limits dict)."""
        with self._lock:
            self.limits = limits
            self._windows.clear()
            self._inflight.clear()
            self.refusals = {}

    def _window(self, scope, key, length, now):
        win = self._windows.get((scope, key))
        if win is None or now >= win[0] + length:
            win = self._windows[(scope, key)] = [now, 0]
        return win

    def acquire(self, client_id: str, tenant_id: str):
        """Try to start a call. Returns (problem or None, retry_after_real_seconds or None, headers)."""
        key = (client_id, (tenant_id or "").lower())
        now = self.clock.now()
        lim = self.limits
        with self._lock:
            day = self._window("day", key, 86400, now)
            minute = self._window("minute", key, 60, now)
            app = self._window("app", client_id, 60, now)
            problem, window, length = None, None, None
            if day[1] >= lim["day"]:
                problem, window, length = "day", day, 86400
            elif minute[1] >= lim["minute"]:
                problem, window, length = "minute", minute, 60
            elif app[1] >= lim["app_minute"]:
                problem, window, length = "appminute", app, 60
            elif self._inflight.get(key, 0) >= lim["concurrent"]:
                problem = "concurrent"
            if problem is not None:
                self.refusals[problem] = self.refusals.get(problem, 0) + 1
            else:
                day[1] += 1
                minute[1] += 1
                app[1] += 1
                self._inflight[key] = self._inflight.get(key, 0) + 1
            headers = [("X-DayLimit-Remaining", max(0, lim["day"] - day[1])),
                       ("X-MinLimit-Remaining", max(0, lim["minute"] - minute[1])),
                       ("X-AppMinLimit-Remaining", max(0, lim["app_minute"] - app[1]))]
        retry_after = None
        if window is not None:
            # Retry-After is in REAL seconds so a client that sleeps it waits the right time
            # under clock_scale; at clock_scale=1 this is exactly Xero's value.
            retry_after = max(1, math.ceil(self.clock.to_real(window[0] + length - now)))
        return problem, retry_after, headers

    def release(self, client_id: str, tenant_id: str) -> None:
        """A call that ``acquire`` admitted has finished."""
        key = (client_id, (tenant_id or "").lower())
        with self._lock:
            n = self._inflight.get(key, 0) - 1
            if n > 0:
                self._inflight[key] = n
            else:
                self._inflight.pop(key, None)
