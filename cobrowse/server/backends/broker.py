"""Publications between the processes that hold a session's connections: the interface.

Public names:

- ``Broker``: the interface (``publish``, ``publish_view``, ``subscribe``, ``unsubscribe``).
- ``Deliver``: the callback a process gets every publication of its sessions with.
- ``VIEW``, ``TO_AGENTS``, ``TO_AGENT``, ``TO_VISITOR``, ``ENDED``, ``CLOSE``: the kinds of
  publication.

A publication is ``(code, kind, number, text)``: a view (``VIEW``, ``number`` its sequence
number, ``text`` as the visitor sent it), a message for the session's agents or its visitor
(``TO_AGENTS``, ``TO_VISITOR``), a message for one agent (``TO_AGENT``, ``text`` being the
agent's id, a space and the message), the end of the session (``ENDED``, ``text`` being the
`ended` message), or a request to close one connection (``CLOSE``, ``number`` the close code,
``text`` the connection id). ``publish`` hands it to this process at once (``deliver`` is
called before ``publish`` returns) and to every other process that subscribed to the session,
in order.
"""

from collections.abc import Callable
from typing import Final, Protocol

VIEW: Final = "view"
TO_AGENTS: Final = "agents"
TO_AGENT: Final = "agent"
TO_VISITOR: Final = "visitor"
ENDED: Final = "ended"
CLOSE: Final = "close"

# ``deliver(code, kind, number, text)``: a plain function, called once per publication.
Deliver = Callable[[str, str, int, str], None]


class Broker(Protocol):
    """Carries each session's publications to the processes holding its connections."""

    async def publish(self, code: str, kind: str, number: int, text: str) -> None:
        """Deliver the publication here at once, then to the session's other processes."""

    async def publish_view(self, code: str, text: str, full: bool) -> int:
        """Number a view of the visitor (``views.record``) and publish it (``VIEW``); return
        its number."""

    async def subscribe(self, code: str) -> None:
        """Receive the session's publications here (this process holds one of its connections)."""

    async def unsubscribe(self, code: str) -> None:
        """Stop receiving them (this process holds none of its connections any more)."""
