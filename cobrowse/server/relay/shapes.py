"""The shapes the relay's parts pass each other.

Public names:

- ``Session``: a session's record, as the store gives it (``backends.store`` describes it).
- ``Message``: a client's message, decoded and checked by ``protocol.decode``.
- ``Move``: the coroutine that handles one type of message: ``move(conn, message, text)``,
  ``text`` being the frame as it came.
"""

from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    from cobrowse.server.relay.connection import Connection

Session = dict[str, Any]
Message = dict[str, Any]
Move = Callable[["Connection", Message, str], Awaitable[None]]
