"""The relay: the wire protocol's state moves (``docs/protocol.md``), over any engine.

Public names:

- ``Relay(engine, *, agent_wait_timeout, network_timeout, idle_timeout, control_timeout,
  session_limit, clock, audit, wall)``: this process's side of every session.
  ``open(socket, role, client, address, identity)`` gives a ``Connection`` for an accepted
  socket (``identity``: who a signed-in agent is), ``receive(conn, text)`` handles one frame from it,
  ``closed(conn)`` its end; ``drain()`` hands every connection on to the other processes;
  ``start()``, ``stop()``; ``deliver(code, kind, number, text)`` is the engine's callback;
  ``stats`` (a ``stats.RelayStats``) is what it counted.

Each message type is one move: ``moves[role][type]`` names the coroutine and whether the
connection must be in a session first (or must not be, for the moves that put it in one). A new message type is a new move and a table entry. The
moves are the visitor's (``visitor``), the agents' (``agent``), the view relay's (``views``),
remote control's (``control``, each guarded by the page's allowing it) and the agent tools'
(``tools``); what they share is in ``here`` (this process's connections), ``sessions`` (a
session as a whole), ``timers`` and ``recovery``. Each move that the audit trail records is
written by the process that makes it, on ``audit`` (an ``audit.AuditTrail``; none by default),
before it takes effect; ``wall`` is the time of day its lines carry.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any, cast

from cobrowse.core import protocol
from cobrowse.core.constants import CLOSE_DRAINING
from cobrowse.server.audit import AuditTrail, Auditor, NullTrail
from cobrowse.server.backends.broker import CLOSE, ENDED, TO_AGENT, TO_AGENTS, TO_VISITOR, VIEW
from cobrowse.server.backends.engine import Engine
from cobrowse.server.backends.outage import Unavailable
from cobrowse.server.backends.records import VISITOR
from cobrowse.server.clock import Clock, LoopClock
from cobrowse.server.relay.agent import AgentMoves
from cobrowse.server.relay.connection import Connection, Socket
from cobrowse.server.relay.control import ControlMoves
from cobrowse.server.relay.here import Here
from cobrowse.server.relay.recovery import Recovery
from cobrowse.server.relay.replies import ALREADY_JOINED, ALREADY_STARTED, NOT_JOINED, NOT_STARTED, PONG, UNAVAILABLE, out_of_order
from cobrowse.server.relay.sessions import Sessions
from cobrowse.server.relay.shapes import Move
from cobrowse.server.relay.stats import RelayStats
from cobrowse.server.relay.tasks import Tasks
from cobrowse.server.relay.timeouts import (AGENT_WAIT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, NETWORK_TIMEOUT_SECONDS,
                                            SERVER_TIMEOUT_SECONDS, Timeouts)
from cobrowse.server.relay.timers import Timers
from cobrowse.server.relay.tools import ToolMoves
from cobrowse.server.relay.views import ViewFanOut
from cobrowse.server.relay.visitor import VisitorMoves
from cobrowse.server.tokens import Identity

DIRECTIONS = {"visitor": protocol.VISITOR_TO_SERVER, "agent": protocol.AGENT_TO_SERVER}
# What a connection is told of a move out of order: one that needs a session before it is in
# one, and one that puts it in one once it is.
OUT_OF_ORDER = {"visitor": (NOT_STARTED, ALREADY_STARTED), "agent": (NOT_JOINED, ALREADY_JOINED)}


def _table(opening: dict[str, Move], attached: dict[str, Move]) -> dict[str, tuple[Move, bool]]:
    """One role's moves: those that put a connection in a session, and those that need one."""
    table = {kind: (move, False) for kind, move in opening.items()}
    table.update((kind, (move, True)) for kind, move in attached.items())
    return table


class Relay:
    """This process's side of every session (see the module's docstring). Every duration is
    the one given here (``timeouts``), every time the ``clock``'s. ``session_limit`` (seconds,
    None for none) ends a session that long after it started, with a warning before."""

    def __init__(self, engine: Engine, *, agent_wait_timeout: float = AGENT_WAIT_TIMEOUT_SECONDS,
                 network_timeout: float = NETWORK_TIMEOUT_SECONDS, idle_timeout: float = IDLE_TIMEOUT_SECONDS,
                 control_timeout: float = SERVER_TIMEOUT_SECONDS, session_limit: float | None = None,
                 clock: Clock | None = None, audit: AuditTrail | None = None,
                 wall: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.store = engine.store
        self.views = engine.views
        self.limiter = engine.limiter
        self.clock: Clock = clock or LoopClock()
        self.audit = Auditor(audit or NullTrail(), engine.process, wall)
        self.timeouts = Timeouts(agent_wait_timeout, network_timeout, idle_timeout, control_timeout, session_limit)
        self.tasks = Tasks()
        self.stats = RelayStats()
        self.here = Here(engine, self.clock, self.tasks, resync=lambda conn: self.fan_out.resync(conn),
                         stats=self.stats)
        self.fan_out = ViewFanOut(self)
        self.sessions = Sessions(self)
        self.recovery = Recovery(self)
        self.timers = Timers(self)
        self.controls = ControlMoves(self)
        self.tools = ToolMoves(self)
        self.started: asyncio.Task[None] | None = None
        self.sweeper: asyncio.Task[None] | None = None
        self.moves = self._moves(VisitorMoves(self), AgentMoves(self))

    def _moves(self, visitor: VisitorMoves, agent: AgentMoves) -> dict[str, dict[str, tuple[Move, bool]]]:
        """Each message type's move, by role, and whether it needs a session (else it puts the
        connection in one)."""
        controls, tools = self.controls, self.tools
        control = tools.guarded("control", controls.from_agent)
        return {
            "visitor": _table({"start": visitor.start, "resume": visitor.resume}, {
                "view": self.fan_out.view, "view_part": self.fan_out.part, "page": visitor.page, "stop": visitor.stop,
                "navigated_away": visitor.navigated_away, "control_grant": controls.from_visitor,
                "control_end": controls.from_visitor, "refused": controls.from_visitor,
                "clear": tools.clear, "tools": tools.tools}),
            "agent": _table({"join": agent.join, "rejoin": agent.rejoin}, {
                "leave": agent.leave, "end": agent.end, "request_control": control,
                "release_control": control, "act": control, "point": tools.point, "draw": tools.draw,
                "clear": tools.clear}),
        }

    # -- life ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the engine and the idle sweep (once; ``open`` calls it too)."""
        if self.started is None:
            self.started = asyncio.get_running_loop().create_task(
                self.engine.start(self.deliver, self.timers.fire, self.recovery.died, self.recovery.recovered))
            self.sweeper = self.tasks.spawn(self.timers.sweep())
        await asyncio.shield(self.started)

    async def stop(self) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
        await self.engine.stop()

    async def open(self, socket: Socket, role: str, client: Any = None, address: str | None = None,
                   identity: Identity | None = None) -> Connection:
        await self.start()
        return self.here.open(socket, role, client, address, identity)

    async def closed(self, conn: Connection) -> None:
        """The socket is gone: its session waits for it to come back."""
        self.here.gone(conn)
        attached = self.here.forget(conn)
        if attached is not None:
            await self.recovery.drop(*attached, conn.id)
        # The socket must be closed before its handler returns: the server drops the TCP
        # connection then, and a close frame still queued would never be sent.
        await conn.finished()

    async def drain(self) -> None:
        """Hand every connection on: detach it, so another process may take its session at
        once, and close it with ``CLOSE_DRAINING``, which tells the client to reconnect now."""
        for conn in list(self.here.connections.values()):
            attached = self.here.forget(conn)
            if attached is not None:
                await self.recovery.drop(*attached, conn.id)
            conn.close(CLOSE_DRAINING)
        for conn in list(self.here.connections.values()):
            await conn.finished()

    # -- what clients send --------------------------------------------------------------------

    async def receive(self, conn: Connection, text: str | bytes) -> None:
        """Handle one frame from ``conn``; a bad one (a binary frame, say) is answered with an
        error."""
        conn.last = arrived = self.clock.time()
        self.stats.received(text)
        if conn.silent:
            conn.silent = False
            if conn.who is not None:
                self.tasks.spawn(self.store.mark_silent(*conn.where(), conn.id, False))
        kind = None
        try:
            message = protocol.decode(text, DIRECTIONS[conn.role])
            kind = message["type"]
            if kind == "ping":
                self.here.send(conn, PONG)
                return
            move, needs_session = self.moves[conn.role][kind]
            not_in_one, in_one = OUT_OF_ORDER[conn.role]
            if needs_session and conn.code is None:
                raise out_of_order(not_in_one)
            if not needs_session and conn.code is not None:
                raise out_of_order(in_one)
            # ``decode`` takes text only: a binary frame was refused above.
            await move(conn, message, cast(str, text))
            if kind == "view":
                self.stats.relayed(self.clock.time() - arrived)
        except protocol.ProtocolError as error:
            self.here.refuse(conn, error)
        except Unavailable:
            # The engine logged the outage; the socket stays open, and the client may try again.
            # A view is dropped without a word: agents are caught up when the outage is over.
            if kind != "view":
                self.here.refuse(conn, protocol.ProtocolError("unavailable", UNAVAILABLE))

    # -- what the engine brings ---------------------------------------------------------------

    def deliver(self, code: str, kind: str, number: int, text: str) -> None:
        """A publication of session ``code``: hand it to this process's connections."""
        members = self.here.members(code)
        if kind == VIEW:
            self.fan_out.deliver(members, number, text)
        elif kind == TO_AGENTS:
            for who, conn in members.items():
                if who != VISITOR:
                    self.here.send(conn, text)
        elif kind == TO_VISITOR:
            if VISITOR in members:
                self.here.send(members[VISITOR], text)
        elif kind == TO_AGENT:
            who, _, message = text.partition(" ")
            if who != VISITOR and who in members:
                self.here.send(members[who], message)
        elif kind == ENDED:
            for conn in members.values():
                self.here.send(conn, text)
                self.here.forget(conn)
                conn.close(number)
        elif kind == CLOSE:
            closing = self.here.connections.get(text)
            if closing is not None and closing.code == code:
                self.here.forget(closing)
                closing.close(number)
