"""Coroutines run at once, as Python 3.12's eager tasks run (``asyncio.eager_task_factory``):
most sends complete without waiting, and a task made for each of them would cost more than the
send itself (one allocation and one turn of the event loop per message).

Public names:

- ``start(coroutine)``: run ``coroutine`` now, up to its first real wait; None if it finished
  without one, else the task that carries it on from there.
"""

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


def start(coroutine: Coroutine[Any, Any, None]) -> "asyncio.Task[None] | None":
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_carry_on(coroutine, waiting))


async def _carry_on(coroutine: Coroutine[Any, Any, None], waiting: Any) -> None:
    await _Resumed(coroutine, waiting)


class _Resumed:
    """Awaiting it goes on with ``coroutine`` where it stopped, holding up its task on what it
    was waiting for, and passing on what the task sends or throws in."""

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting: Any) -> None:
        self.coroutine = coroutine
        self.waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        waiting = self.waiting
        while True:
            try:
                sent = yield waiting
            except BaseException as error:  # noqa: BLE001 - a cancel goes on into the coroutine.
                try:
                    waiting = self.coroutine.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    waiting = self.coroutine.send(sent)
                except StopIteration:
                    return
