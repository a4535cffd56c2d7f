"""The server's clock: what the relay and the engines ask for the time and to wait, so that a
test can hand them one it moves by hand and run a 30 s timeout in a millisecond.

Public names:

- ``Clock``: the interface. ``time()`` is a monotonic time in seconds; ``call_later(delay,
  callback)`` runs a plain function once, ``delay`` seconds from now, and returns a handle with
  ``cancel()``; ``sleep(delay)`` is a coroutine that returns ``delay`` seconds from now.
- ``LoopClock``: the real one, the running asyncio loop's (the default everywhere).
"""

import asyncio
from typing import Callable, Protocol


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable: ...

    async def sleep(self, delay: float) -> None: ...


class LoopClock:
    """The running event loop's clock."""

    def time(self) -> float:
        return asyncio.get_running_loop().time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Cancellable:
        return asyncio.get_running_loop().call_later(delay, callback)

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(delay)
