"""Which server processes of a deployment are running: the interface.

Public names:

- ``Presence``: the interface (``process``, ``alive``).
- ``Died``: the coroutine function that hears of a process found dead.
- ``process_of(conn)``: the process a connection id belongs to.
"""

from collections.abc import Awaitable, Callable
from typing import Protocol

# ``died(process, codes)``: runs on one live process when another is found dead, with the
# sessions the dead one had subscribed to.
Died = Callable[[str, list[str]], Awaitable[None]]


class Presence(Protocol):
    """This process's id, unique in the deployment, and whether another is still running."""

    @property
    def process(self) -> str:
        """This process's id."""

    async def alive(self, process: str) -> bool:
        """Whether process ``process`` is still running."""


def process_of(conn: str) -> str:
    """The id of the process holding connection ``conn`` (ids are ``process.number``)."""
    return conn.rsplit(".", 1)[0]
