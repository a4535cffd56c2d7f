"""Failed joins in this process's memory.

Public names:

- ``MemoryJoinLimiter(attempts, window, clock=None)``: the default ``limiter.JoinLimiter``;
  ``clock`` (a ``clock.Clock``, the loop's by default) times the window.
"""

from collections.abc import Hashable

from cobrowse.server.backends.limiter import JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS, retry_after
from cobrowse.server.clock import Clock, LoopClock


class MemoryJoinLimiter:
    """At most ``attempts`` failed joins per client in any ``window`` seconds, in memory.

    Clients with no recent failure take no memory.
    """

    def __init__(self, attempts: int = JOIN_ATTEMPTS, window: float = JOIN_WINDOW_SECONDS,
                 clock: Clock | None = None) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock or LoopClock()
        self._failures: dict[Hashable, list[float]] = {}  # client -> [times of recent failures, oldest first]
        self._next_sweep = 0.0

    def _recent(self, client: Hashable, now: float) -> list[float]:
        times = self._failures.get(client)
        if times is None:
            return []
        while times and times[0] <= now - self.window:
            times.pop(0)
        if not times:
            del self._failures[client]
        return times

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:
            for client in list(self._failures):
                self._recent(client, now)
            self._next_sweep = now + self.window

    async def retry_after(self, client: Hashable) -> int:
        now = self.clock.time()
        return retry_after(self._recent(client, now), self.attempts, self.window, now)

    async def failed(self, client: Hashable) -> None:
        now = self.clock.time()
        self._sweep(now)
        self._recent(client, now)
        self._failures.setdefault(client, []).append(now)
