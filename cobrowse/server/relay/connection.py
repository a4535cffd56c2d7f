"""One open WebSocket of this process, with its bounded outgoing queue.

Public names:

- ``Socket``: what the relay needs of a socket: ``send_text(text)`` and ``close(code)``
  (Starlette's ``WebSocket``, or a test's fake).
- ``Connection(conn_id, socket, role, client, now, address=None, identity=None)``: the socket,
  who it is, what it is attached to, and the queue that one writer at a time sends in order.
- ``QUEUE_CHARS``: what one connection may have waiting to be sent, in characters.
"""

import asyncio
import collections
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cobrowse.server.relay.parts import ViewParts

from cobrowse.server.relay import eager
from cobrowse.server.tokens import Identity

# Two full view logs. An agent past it is sent the view afresh instead; a visitor past it is
# closed.
QUEUE_CHARS = 16 * 1024 * 1024


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int) -> None: ...


class Connection:
    """One open WebSocket of this process.

    ``id`` is unique in the deployment (``process.number``); ``role`` is ``"visitor"`` or
    ``"agent"``; ``client`` is what the join limit counts an agent by; ``address`` the client's
    address (``gate.client_address``, as seen after ``--trusted-proxy``; None if unknown), which
    the start limit counts and the audit trail names; ``identity`` who an agent signed in as
    (``tokens.Identity``; None for the shared key given to the relay alone); ``code`` and ``who``
    (``VISITOR`` or the agent's id) say what it is attached to, None before a start, resume,
    join or rejoin; ``last`` is when its last frame came (the relay's clock); ``silent`` whether
    the record says it went quiet; ``closed`` is set once the server gave up on it: nothing more
    is queued for it or heard from it.

    Outgoing messages wait in a queue that one writer at a time sends in order; ``push`` refuses
    a message that would take the queue past ``QUEUE_CHARS``. The writer starts at once
    (``eager``): a send that need not wait is done before ``push`` returns, and only one held up
    by a slow peer goes on in a task (``writer``). An agent's ``view_seq`` is the
    number of the last view it was sent (None before the first); while it catches up from the
    log, live views wait in ``pending``. A visitor's ``view_parts`` are those of the long view
    it is sending, if it is.
    """

    __slots__ = ("id", "socket", "role", "client", "address", "identity", "code", "who", "last", "silent", "closed",
                 "close_code", "queue", "queued", "writer", "writing", "view_seq", "pending", "view_parts")

    def __init__(self, conn_id: str, socket: Socket, role: str, client: Any, now: float,
                 address: str | None = None, identity: Identity | None = None) -> None:
        self.id = conn_id
        self.socket = socket
        self.role = role
        self.client = client
        self.address = address
        self.identity = identity
        self.code: str | None = None
        self.who: str | None = None
        self.last = now
        self.silent = False
        self.closed = False
        self.close_code: int | None = None
        self.queue: collections.deque[str] = collections.deque()
        self.queued = 0
        self.writer: asyncio.Task[None] | None = None
        self.writing = False
        self.view_seq: int | None = None
        self.pending: list[tuple[int, str]] | None = None
        self.view_parts: "ViewParts | None" = None

    def where(self) -> tuple[str, str]:
        """``(code, who)``: what it is attached to. Only moves that need a session ask, and the
        relay calls those for attached connections only."""
        if self.code is None or self.who is None:
            raise RuntimeError("connection %s is in no session" % self.id)
        return self.code, self.who

    def push(self, text: str) -> bool:
        """Queue ``text``; False (and nothing queued) if that would pass ``QUEUE_CHARS``."""
        if self.closed:
            return True
        if self.queued + len(text) > QUEUE_CHARS:
            return False
        self.queue.append(text)
        self.queued += len(text)
        self._write()
        return True

    def clear(self) -> None:
        self.queue.clear()
        self.queued = 0

    def close(self, code: int) -> None:
        """Send what is queued, then close the socket with ``code``; hear nothing more."""
        if not self.closed:
            self.closed = True
            self.close_code = code
            self._write()

    def _write(self) -> None:
        if self.writing:
            return  # The writer under way sends what was queued too, in order.
        self.writing = True
        self.writer = eager.start(self._send_queued())

    async def _send_queued(self) -> None:
        try:
            while self.queue:
                text = self.queue.popleft()
                self.queued -= len(text)
                await self.socket.send_text(text)
            if self.close_code is not None:
                await self.socket.close(self.close_code)
        except Exception:  # noqa: BLE001 - a peer that is gone is its handler's to clean up.
            self.clear()
        finally:
            self.writing = False

    async def finished(self) -> None:
        """Wait until everything queued was sent (or the peer is gone), and the close with it."""
        while self.writer is not None and not self.writer.done():
            await asyncio.shield(self.writer)
