"""The agents' moves: joining a session, coming back to it, leaving it, ending it.

Public names:

- ``AgentMoves(relay)``: ``join``, ``rejoin``, ``leave`` and ``end``, each
  ``move(conn, message, text)`` (remote control's are in ``control``).
"""

import secrets
from typing import Any

from cobrowse.core import protocol
from cobrowse.core.session import Reasons
from cobrowse.server.backends.broker import TO_VISITOR
from cobrowse.server.backends.records import new_token
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.replies import AGENT_OVER, NO_SESSION, RateLimited, in_use
from cobrowse.server.relay.shapes import Message
from cobrowse.server.relay.summary import summary
from cobrowse.server.relay.timers import agent_timer, wait_timer

class AgentMoves(Part):
    """What the agents' messages do (see the module's docstring)."""

    async def join(self, conn: Connection, message: Message, text: str) -> None:
        wait = await self.relay.limiter.retry_after(conn.client)
        if wait:
            raise RateLimited(wait)
        name = " ".join(message["name"].split())
        if not name:
            raise protocol.ProtocolError("bad_name", "Please enter your name")
        session = await self.store.find(message["code"].strip())
        if session is None:
            await self.relay.limiter.failed(conn.client)
            raise protocol.ProtocolError("no_session", NO_SESSION)
        code = session["accessCode"]
        agent: dict[str, Any] = {"id": secrets.token_hex(16), "name": name, "token": new_token(), "conn": {"conn": conn.id}}
        session = await self.store.add_agent(code, agent)
        if session is None:
            raise protocol.ProtocolError("no_session", NO_SESSION)
        await self.engine.cancel(wait_timer(code))
        conn.pending = []
        await self.relay.here.attach(conn, code, agent["id"])
        self.relay.here.send(conn, protocol.encode("joined", id=agent["id"], name=name, token=agent["token"],
                                                   session=summary(session)))
        await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("agent_joined", id=agent["id"], name=name))
        await self.relay.fan_out.catch_up(conn, 0)
        await self.relay.tools.catch_up(conn, code)
        await self.relay.sessions.broadcast(code)

    async def rejoin(self, conn: Connection, message: Message, text: str) -> None:
        found = await self.store.agent_by_token(message["token"])
        if found is None:
            raise protocol.ProtocolError("no_session", AGENT_OVER)
        session, agent = found
        code, agent_id = session["accessCode"], agent["id"]
        await self.relay.sessions.take_over(code, agent_id, agent.get("conn"), conn)
        attached = await self.store.attach(code, agent_id, conn.id, agent.get("conn"))
        if attached is None:
            found = await self.store.agent_by_token(message["token"])
            raise in_use(conn.role) if found else protocol.ProtocolError("no_session", AGENT_OVER)
        token = await self.store.new_agent_token(code, agent_id)
        if token is None:
            raise protocol.ProtocolError("no_session", AGENT_OVER)
        await self.engine.cancel(agent_timer(code, agent_id))
        conn.pending = []
        await self.relay.here.attach(conn, code, agent_id)
        self.relay.here.send(conn, protocol.encode("joined", id=agent_id, name=agent["name"], token=token,
                                                   session=summary(attached)))
        await self.relay.fan_out.catch_up(conn, 0)
        await self.relay.tools.catch_up(conn, code)

    async def leave(self, conn: Connection, message: Message, text: str) -> None:
        code, agent_id = conn.where()
        self.relay.here.forget(conn)
        await self.relay.sessions.agent_left(code, agent_id)
        conn.close(1000)

    async def end(self, conn: Connection, message: Message, text: str) -> None:
        await self.relay.sessions.end(conn.where()[0], Reasons.AGENT_INITIATED)
