"""Agent tools on the server: pointing and drawing relayed, never through the view log, and the
tools a page allows enforced.

Public names:

- ``ToolMoves(relay)``: the relay's moves for the tool messages (``facade.Relay`` lists them):
  ``point``, ``draw`` and ``clear`` from an agent; ``clear`` and ``tools`` from the visitor;
  ``guarded(tool, move)``, a move that runs only while agents may use ``tool``; ``catch_up(conn,
  code)`` sends a joining agent the session's current strokes.

The decisions are ``cobrowse.core.tools``'. The session's record keeps what the page allows and
the visitor's switch (``tools``) and the finished strokes (``strokes``: ``[{"id", "name",
"color", "stroke"}]``), each changed in one ``store.change``, so every process of a shared
store sees them and a late joiner gets the strokes as they are, not their history. A pointer
move and a stroke being drawn are relayed at once and kept nowhere; each agent's connection may
send at most ``TOOLS_PER_SECOND`` of them a second (the console coalesces to that pace; more is
dropped without a word). Strokes go when the visitor's page changes (a ``tools`` message with
``fresh``), on ``clear`` from either side, and with the session.
"""

from typing import Any

from cobrowse.core import protocol, tools
from cobrowse.core.constants import TOOLS_PER_SECOND
from cobrowse.server.backends.broker import TO_AGENTS, TO_VISITOR
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.shapes import Message, Move, Session

# Who cleared the drawings, as the agents' consoles say it.
THE_VISITOR = "The visitor"


def _refused(refused: tools.ToolRefused) -> protocol.ProtocolError:
    error: protocol.ProtocolError = protocol.ProtocolError(refused.code, refused.message)
    return error


def _agent(session: Session, agent_id: str) -> dict[str, str]:
    """``{"id", "name", "color"}`` of an agent of ``session``."""
    name = next((agent["name"] for agent in session["agents"] if agent["id"] == agent_id), "An agent")
    return {"id": agent_id, "name": name, "color": tools.colour(session["agents"], agent_id)}


def _encode(kind: str, **fields: Any) -> str:
    text: str = protocol.encode(kind, **fields)
    return text


class ToolMoves(Part):
    """Pointing and drawing of one relay (see the module's docstring)."""

    def __init__(self, relay: Any) -> None:
        super().__init__(relay)
        self.paces: dict[str, tools.Pace] = {}  # By connection id, for this process's connections.

    def _admitted(self, conn: Connection) -> bool:
        pace = self.paces.get(conn.id)
        if pace is None:
            # The paces of connections that closed go when a new one comes.
            here = self.relay.here.connections
            self.paces = {conn_id: pace for conn_id, pace in self.paces.items() if conn_id in here}
            pace = self.paces[conn.id] = tools.Pace(TOOLS_PER_SECOND)
        admitted: bool = pace.admit(self.relay.clock.time())
        return admitted

    async def _allowed(self, code: str, tool: str) -> Session | None:
        """The session, if agents may use ``tool`` in it now; else a ``ProtocolError``."""
        session = await self.store.get(code)
        if session is None:
            return None
        reason = tools.refusal(session.get("tools"), tool)
        if reason is not None:
            raise protocol.ProtocolError("not_allowed", reason)
        return session

    def guarded(self, tool: str, move: Move) -> Move:
        """``move``, refused with ``not_allowed`` while agents may not use ``tool``."""
        async def guarded_move(conn: Connection, message: Message, text: str) -> None:
            if message["type"] != "release_control":  # Giving control back is always allowed.
                if await self._allowed(conn.where()[0], tool) is None:
                    return
            await move(conn, message, text)
        return guarded_move

    async def point(self, conn: Connection, message: Message, text: str) -> None:
        code, agent_id = conn.where()
        try:
            at = tools.parse_point(message["at"]) if message.get("at") is not None else None
        except tools.ToolRefused as refused:
            raise _refused(refused)
        if not self._admitted(conn):
            return
        session = await self._allowed(code, tools.POINT)
        if session is not None:
            await self.engine.publish(code, TO_VISITOR, 0, _encode("point", at=at, **_agent(session, agent_id)))

    async def draw(self, conn: Connection, message: Message, text: str) -> None:
        code, agent_id = conn.where()
        try:
            stroke = tools.parse_stroke(message["stroke"])
        except tools.ToolRefused as refused:
            raise _refused(refused)
        if not stroke["done"] and not self._admitted(conn):
            return
        session = await self._allowed(code, tools.DRAW)
        if session is None:
            return
        drawn = dict(_agent(session, agent_id), stroke=stroke)
        if stroke["done"]:
            def keep(session: Session) -> bool:
                session["strokes"] = tools.kept(session.get("strokes"), drawn)
                return True
            if not await self.store.change(code, keep):
                return
        relayed = _encode("draw", **drawn)
        await self.engine.publish(code, TO_VISITOR, 0, relayed)
        await self.engine.publish(code, TO_AGENTS, 0, relayed)

    async def clear(self, conn: Connection, message: Message, text: str) -> None:
        """``clear`` from an agent or the visitor: the drawings go, for everybody."""
        code, who = conn.where()
        session = await self.store.get(code)
        if session is None:
            return
        name = THE_VISITOR if conn.role == "visitor" else _agent(session, who)["name"]
        await self._cleared(code, name)

    async def _cleared(self, code: str, name: str) -> None:
        def drop(session: Session) -> bool:
            session["strokes"] = []
            return True
        if await self.store.change(code, drop):
            cleared = _encode("cleared", name=name)
            await self.engine.publish(code, TO_VISITOR, 0, cleared)
            await self.engine.publish(code, TO_AGENTS, 0, cleared)

    async def tools(self, conn: Connection, message: Message, text: str) -> None:
        """The visitor's page says what it allows and where the visitor's switch is; a fresh
        page takes the strokes of the last one away."""
        code, _ = conn.where()
        allowed = [tool for tool in message["allowed"] if tool in tools.usable(None)]
        record = {"allowed": allowed, "on": message["on"]}

        def change(session: Session) -> bool:
            had_strokes = bool(session.get("strokes")) and message.get("fresh") is True
            session["tools"] = record
            if had_strokes:
                session["strokes"] = []
            return had_strokes
        had_strokes = await self.store.change(code, change)
        if had_strokes:
            await self.engine.publish(code, TO_AGENTS, 0, _encode("cleared", name=THE_VISITOR))
        await self.relay.sessions.broadcast(code)

    async def catch_up(self, conn: Connection, code: str) -> None:
        """A joining agent gets the strokes on the visitor's page now."""
        session = await self.store.get(code)
        for drawn in (session or {}).get("strokes") or []:
            self.relay.here.send(conn, _encode("draw", **drawn))
