"""This process's connections: which are open, which session each is attached to here, and
what is done with a message one of them cannot take.

Public names:

- ``Here(engine, clock, tasks, resync, stats)``: ``open(socket, role, client, address,
  identity)`` registers a new
  ``Connection``, ``gone(conn)`` a closed one; ``attach(conn, code, who)`` attaches it to a
  session here (subscribing this process to the session's publications while it holds any of
  its connections), ``forget(conn)`` takes it out again; ``codes()`` are the sessions with a
  connection here, ``members(code)`` a session's connections here by ``who``;
  ``send(conn, text)`` and ``refuse(conn, error)`` queue a message for one.

Only this process's sockets are here; the session's record (``store``) says which connection,
on which process, is attached for the visitor and for each agent.
"""

import itertools
from typing import Any, Callable

from cobrowse.core import protocol
from cobrowse.core.constants import CLOSE_TOO_SLOW
from cobrowse.server.backends.engine import Engine
from cobrowse.server.clock import Clock
from cobrowse.server.relay.connection import Connection, Socket
from cobrowse.server.relay.stats import RelayStats
from cobrowse.server.relay.tasks import Tasks
from cobrowse.server.tokens import Identity


class Here:
    """This process's connections (see the module's docstring).

    ``resync(conn)`` is called for an agent that could not take what it was sent: what waited
    for it is dropped and it is sent the view afresh. A visitor in that case is closed with
    ``CLOSE_TOO_SLOW``.
    """

    def __init__(self, engine: Engine, clock: Clock, tasks: Tasks, resync: Callable[[Connection], None],
                 stats: RelayStats) -> None:
        self.engine = engine
        self.stats = stats
        self.clock = clock
        self.tasks = tasks
        self.resync = resync
        self.connections: dict[str, Connection] = {}  # connection id -> Connection
        self._attached: dict[str, dict[str, Connection]] = {}  # code -> {who: Connection}
        self._numbers = itertools.count(1)

    def open(self, socket: Socket, role: str, client: Any = None, address: str | None = None,
             identity: Identity | None = None) -> Connection:
        conn_id = "%s.%d" % (self.engine.process, next(self._numbers))
        conn = Connection(conn_id, socket, role, client, self.clock.time(), address, identity)
        self.connections[conn_id] = conn
        return conn

    def gone(self, conn: Connection) -> None:
        self.connections.pop(conn.id, None)

    def codes(self) -> list[str]:
        """The sessions with a connection here, now."""
        return list(self._attached)

    def members(self, code: str) -> dict[str, Connection]:
        """The session's connections here by ``who`` (a copy: safe to change them meanwhile)."""
        return dict(self._attached.get(code) or {})

    async def attach(self, conn: Connection, code: str, who: str) -> None:
        conn.code, conn.who = code, who
        members = self._attached.get(code)
        if members is None:
            members = self._attached[code] = {}
            await self.engine.subscribe(code)
        members[who] = conn

    def forget(self, conn: Connection) -> tuple[str, str] | None:
        """Take ``conn`` out of its session here (not in the record); return the ``(code,
        who)`` it was attached to, if any."""
        code, who = conn.code, conn.who
        conn.code = conn.who = None
        if code is None or who is None:
            return None
        members = self._attached.get(code)
        if members is not None and members.get(who) is conn:
            del members[who]
            if not members:
                del self._attached[code]
                self.tasks.spawn(self.engine.unsubscribe(code))
        return code, who

    def send(self, conn: Connection, text: str) -> None:
        if conn.push(text):
            self.stats.sent(text)
            return
        conn.clear()
        if conn.role == "agent":
            self.stats.resyncs += 1
            self.resync(conn)
        else:
            self.stats.too_slow += 1
            self.forget(conn)
            conn.close(CLOSE_TOO_SLOW)

    def refuse(self, conn: Connection, error: protocol.ProtocolError) -> None:
        """Answer with an error; ``retryAfter`` travels when the error carries one."""
        self.send(conn, protocol.encode("error", code=error.code, message=error.message,
                                        retryAfter=getattr(error, "retry_after", None)))
