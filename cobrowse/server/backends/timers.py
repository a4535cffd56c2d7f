"""Timers every process of a deployment shares: the interface.

Public names:

- ``Timers``: the interface (``schedule``, ``cancel``).
- ``Fire``: the coroutine function a due timer runs, on one live process.
"""

from collections.abc import Awaitable, Callable
from typing import Protocol

# ``fire(key)``: runs once per due timer, on one live process.
Fire = Callable[[str], Awaitable[None]]


class Timers(Protocol):
    """One timer per key; a due timer runs ``fire(key)`` once, on one process."""

    async def schedule(self, key: str, delay: float) -> None:
        """Run ``fire(key)`` in ``delay`` seconds, replacing the timer ``key`` had."""

    async def cancel(self, key: str) -> None:
        """Forget the timer ``key`` had, if any."""
