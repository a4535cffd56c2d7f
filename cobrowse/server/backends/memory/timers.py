"""Timers of one process, on its clock.

Public names:

- ``MemoryTimers(clock=None)``: ``timers.Timers`` on a ``clock.Clock`` (the loop's by default);
  ``start(fire)`` and ``stop()``.
"""

import asyncio

from cobrowse.server.backends.outage import logged
from cobrowse.server.backends.timers import Fire
from cobrowse.server.clock import Cancellable, Clock, LoopClock


class MemoryTimers:
    """Each key's timer is a ``call_later`` of the clock; a due one runs ``fire(key)`` as a task."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or LoopClock()
        self._fire: Fire | None = None
        self._timers: dict[str, Cancellable] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, fire: Fire) -> None:
        self._fire = fire

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def schedule(self, key: str, delay: float) -> None:
        await self.cancel(key)
        self._timers[key] = self.clock.call_later(delay, lambda: self._due(key))

    async def cancel(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def _due(self, key: str) -> None:
        self._timers.pop(key, None)
        assert self._fire is not None, "a timer is scheduled only once the engine started"
        task = asyncio.get_running_loop().create_task(logged(self._fire(key)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
