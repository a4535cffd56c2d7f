"""The visitor's moves: a session started, resumed, its page changed, stopped or left.

Public names:

- ``VisitorMoves(relay)``: ``start``, ``resume``, ``page``, ``stop`` and ``navigated_away``,
  each ``move(conn, message, text)`` (the visitor's `view` is the view relay's,
  ``views.ViewFanOut.view``; remote control's are in ``control``).
"""

from typing import Any

from cobrowse.core import protocol
from cobrowse.core.session import Reasons
from cobrowse.server.backends.records import VISITOR, CodesExhausted
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.replies import BUSY, SESSION_OVER, in_use
from cobrowse.server.relay.shapes import Message
from cobrowse.server.relay.summary import public_agents, public_control
from cobrowse.server.relay.timeouts import clamp_network_timeout
from cobrowse.server.relay.timers import visitor_timer, wait_timer

class VisitorMoves(Part):
    """What the visitor's messages do (see the module's docstring)."""

    async def start(self, conn: Connection, message: Message, text: str) -> None:
        timeout = clamp_network_timeout(message.get("networkTimeout"))
        try:
            session = await self.store.create(message["siteCode"], message.get("SID"), message.get("url"),
                                              network_timeout=timeout)
        except CodesExhausted:
            raise protocol.ProtocolError("unavailable", BUSY)
        code = session["accessCode"]
        await self.store.attach(code, VISITOR, conn.id)
        await self.relay.here.attach(conn, code, VISITOR)
        await self.engine.schedule(wait_timer(code), self.relay.timeouts.agent_wait)
        self.relay.here.send(conn, protocol.encode("started", accessCode=code, SID=session["SID"],
                                                   token=session["token"]))

    async def resume(self, conn: Connection, message: Message, text: str) -> None:
        session = await self.store.by_token(message["token"])
        if session is None:
            raise protocol.ProtocolError("no_session", SESSION_OVER)
        code = session["accessCode"]
        await self.relay.sessions.take_over(code, VISITOR, session["visitor"], conn)
        if await self.store.attach(code, VISITOR, conn.id, session["visitor"]) is None:
            raise in_use(conn.role) if await self.store.get(code) else protocol.ProtocolError("no_session", SESSION_OVER)
        changes: dict[str, Any] = {}
        if message.get("url") is not None:
            changes["url"] = message["url"]
        if message.get("networkTimeout") is not None:
            changes["networkTimeout"] = clamp_network_timeout(message["networkTimeout"])
        if changes:
            await self.store.update(code, **changes)
        token = await self.store.new_token(code)
        if token is None:
            raise protocol.ProtocolError("no_session", SESSION_OVER)
        await self.engine.cancel(visitor_timer(code))
        await self.relay.here.attach(conn, code, VISITOR)
        self.relay.here.send(conn, protocol.encode("resumed", accessCode=code, SID=session["SID"], token=token,
                                                   agents=public_agents(session), control=public_control(session)))
        await self.relay.sessions.broadcast(code)

    async def page(self, conn: Connection, message: Message, text: str) -> None:
        code, _ = conn.where()
        await self.store.update(code, url=message["url"], title=message.get("title"))
        await self.relay.sessions.broadcast(code)

    async def stop(self, conn: Connection, message: Message, text: str) -> None:
        await self.relay.sessions.end(conn.where()[0], message["reason"])

    async def navigated_away(self, conn: Connection, message: Message, text: str) -> None:
        await self.relay.sessions.end(conn.where()[0], Reasons.NAVIGATED_AWAY, message["url"])
