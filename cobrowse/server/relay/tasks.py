"""The relay's background work: coroutines run as tasks of their own, failures logged.

Public names:

- ``Tasks``: ``spawn(coroutine)`` runs it as a task, kept in ``running`` until it is done.
"""

import asyncio
from typing import Any, Coroutine

from cobrowse.server.backends.outage import logged


class Tasks:
    """Tasks the relay started and does not await: a failure is logged with its traceback."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> "asyncio.Task[None]":
        task = asyncio.get_running_loop().create_task(logged(coroutine))
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return task
