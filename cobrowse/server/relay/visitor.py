"""The visitor's moves: a session started, resumed, its page changed, stopped or left.

Public names:

- ``VisitorMoves(relay)``: ``start``, ``resume``, ``page``, ``stop`` and ``navigated_away``,
  each ``move(conn, message, text)`` (the visitor's `view` is the view relay's,
  ``views.ViewFanOut.view``; remote control's are in ``control``).
- ``start_client(address)``: what the start limit counts a visitor's starts by.

A start is refused past the engine's ``starts`` limit for the visitor's address, and when the
audit trail cannot record it; a session with a limit gets its warning and end timers.
"""

from typing import Any

from cobrowse.core import protocol
from cobrowse.core.session import Reasons
from cobrowse.server.audit import AuditUnavailable
from cobrowse.server.backends.records import VISITOR, CodesExhausted
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.replies import BUSY, SESSION_OVER, TOO_MANY_STARTS, RateLimited, in_use
from cobrowse.server.relay.shapes import Message
from cobrowse.server.relay.summary import public_agents, public_control
from cobrowse.server.relay.timeouts import clamp_network_timeout
from cobrowse.server.relay.timers import limit_timer, visitor_timer, wait_timer, warning_timer


def start_client(address: str) -> tuple[str, str]:
    """What the start limit counts a visitor's starts by (apart from the join limit's clients)."""
    return ("start", address)

class VisitorMoves(Part):
    """What the visitor's messages do (see the module's docstring)."""

    async def start(self, conn: Connection, message: Message, text: str) -> None:
        # A connection whose address is unknown (a test's, in process) is not limited by it.
        if conn.address is not None:
            wait = await self.engine.starts.retry_after(start_client(conn.address))
            if wait:
                raise RateLimited(wait, TOO_MANY_STARTS)
        timeout = clamp_network_timeout(message.get("networkTimeout"))
        try:
            session = await self.store.create(message["siteCode"], message.get("SID"), message.get("url"),
                                              network_timeout=timeout)
        except CodesExhausted:
            raise protocol.ProtocolError("unavailable", BUSY)
        code = session["accessCode"]
        try:
            self.audit.must("session_started", session, client=conn.address, url=session["url"])
        except AuditUnavailable:
            await self.store.end(code)
            raise
        if conn.address is not None:
            await self.engine.starts.failed(start_client(conn.address))
        await self.store.attach(code, VISITOR, conn.id)
        await self.relay.here.attach(conn, code, VISITOR)
        await self.engine.schedule(wait_timer(code), self.relay.timeouts.agent_wait)
        await self._limit(code)
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
        self.audit.note("session_resumed", session, client=conn.address, url=changes.get("url"))
        await self.relay.here.attach(conn, code, VISITOR)
        self.relay.here.send(conn, protocol.encode("resumed", accessCode=code, SID=session["SID"], token=token,
                                                   agents=public_agents(session), control=public_control(session)))
        await self.relay.sessions.broadcast(code)

    async def page(self, conn: Connection, message: Message, text: str) -> None:
        code, _ = conn.where()
        await self.store.update(code, url=message["url"], title=message.get("title"))
        await self.relay.sessions.broadcast(code)

    async def stop(self, conn: Connection, message: Message, text: str) -> None:
        await self.relay.sessions.end(conn.where()[0], message["reason"], client=conn.address)

    async def navigated_away(self, conn: Connection, message: Message, text: str) -> None:
        await self.relay.sessions.end(conn.where()[0], Reasons.NAVIGATED_AWAY, message["url"], client=conn.address)

    async def _limit(self, code: str) -> None:
        """A new session's warning and end, if sessions have a limit."""
        timeouts = self.relay.timeouts
        if timeouts.session_limit is not None and timeouts.session_warning is not None:
            await self.engine.schedule(warning_timer(code), timeouts.session_warning)
            await self.engine.schedule(limit_timer(code), timeouts.session_limit)
