"""A clock that moves only when a test moves it: ``ManualClock``.

Public names:

- ``ManualClock(start)``: ``cobrowse.server.clock.Clock`` (``time``, ``call_later``, ``sleep``)
  on a time that stands still until ``await advance(seconds)``: it moves the time on to each
  callback or sleeper due meanwhile, in order, runs it, and lets the event loop run what that
  started (``settle``, then every coroutine function in ``settlers``) before it moves on.
- ``settle()``: let the event loop run what is ready to run (tasks just started, callbacks),
  a few rounds, without waiting for any I/O.
"""

import asyncio
import heapq
import itertools

# Rounds of the event loop that ``settle`` lets run: a timer's task, the writer task it starts,
# and the connection's end that a close starts take three; the rest is headroom.
SETTLE_ROUNDS = 25


async def settle():
    for _ in range(SETTLE_ROUNDS):
        await asyncio.sleep(0)


class Handle:
    """A callback due at ``when``; ``cancel()`` keeps it from running."""

    __slots__ = ("when", "callback", "cancelled")

    def __init__(self, when, callback):
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self):
        self.cancelled = True


class ManualClock:
    """The time of one test: ``now`` seconds, moved by ``advance`` only."""

    def __init__(self, start=1000.0):
        self.now = start
        self.settlers = []
        self._due = []  # (when, order, Handle), a heap
        self._order = itertools.count()

    def time(self):
        return self.now

    def call_later(self, delay, callback):
        handle = Handle(self.now + max(0.0, delay), callback)
        heapq.heappush(self._due, (handle.when, next(self._order), handle))
        return handle

    async def sleep(self, delay):
        future = asyncio.get_running_loop().create_future()
        handle = self.call_later(delay, lambda: future.done() or future.set_result(None))
        try:
            await future
        finally:
            handle.cancel()

    async def advance(self, seconds):
        """Move the time on by ``seconds``, running what falls due on the way, at its time."""
        until = self.now + seconds
        await self._settle()
        while self._due and self._due[0][0] <= until:
            when, _, handle = heapq.heappop(self._due)
            if handle.cancelled:
                continue
            self.now = max(self.now, when)
            handle.callback()
            await self._settle()
        self.now = until
        await self._settle()

    async def _settle(self):
        await settle()
        for settler in self.settlers:
            await settler()
        await settle()
