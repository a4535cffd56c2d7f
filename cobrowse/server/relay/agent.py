"""The agents' moves: joining a session, coming back to it, leaving it, ending it.

Public names:

- ``AgentMoves(relay)``: ``join``, ``rejoin``, ``leave`` and ``end``, each
  ``move(conn, message, text)`` (remote control's are in ``control``).

A join is recorded in the audit trail before the agent is let in (``agent_connected``; if it
cannot be, the agent is taken out again and told ``unavailable``), a refused one with its cause
(``agent_refused``, with the signed-in agent when there is one), never with the code that was
typed.

An agent signed in with a token (``conn.identity``) joins under the token's ``sub`` and ``name``
(the name in the message is ignored) and may join sessions of its ``sites`` only: another site's
code is refused exactly like an unknown one. The same ``sub`` joining a session it is in already
(another tab, a reload) takes its place over: the old connection is closed with
``CLOSE_REPLACED`` and nobody hears a second ``agent_joined``. Without a token, each join is a
new agent with a fresh id and the name typed.
"""

import secrets
from typing import Any

from cobrowse.core import protocol
from cobrowse.core.session import Reasons
from cobrowse.server.audit import AuditUnavailable, agent_identity
from cobrowse.server.backends.broker import TO_VISITOR
from cobrowse.server.backends.records import Session, agent_of, new_token
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.replies import AGENT_OVER, NO_SESSION, RateLimited, in_use
from cobrowse.server.relay.shapes import Message
from cobrowse.server.relay.summary import summary
from cobrowse.server.relay.timers import agent_timer, wait_timer
from cobrowse.server.tokens import Identity

# Who an agent on the shared key is: nobody in particular, of any site.
ANYBODY = Identity(None, None)


class AgentMoves(Part):
    """What the agents' messages do (see the module's docstring)."""

    async def join(self, conn: Connection, message: Message, text: str) -> None:
        wait = await self.relay.limiter.retry_after(conn.client)
        if wait:
            self._refused(conn, "rate_limited")
            raise RateLimited(wait)
        identity = conn.identity or ANYBODY
        name = identity.name or " ".join(message["name"].split())
        if not name:
            self._refused(conn, "bad_name")
            raise protocol.ProtocolError("bad_name", "Please enter your name")
        session = await self.store.find(message["code"].strip())
        if session is None or not identity.may_see(session["siteCode"]):
            await self.relay.limiter.failed(conn.client)
            self._refused(conn, "wrong_code")
            raise protocol.ProtocolError("no_session", NO_SESSION)
        code = session["accessCode"]
        if identity.id is not None and agent_of(session, identity.id) is not None:
            await self.again(conn, session, identity.id)
            return
        agent: dict[str, Any] = {"id": identity.id or secrets.token_hex(16), "name": name, "role": identity.role,
                                 "token": new_token(), "conn": {"conn": conn.id}}
        session = await self.store.add_agent(code, agent)
        if session is None:
            self._refused(conn, "wrong_code")
            raise protocol.ProtocolError("no_session", NO_SESSION)
        try:
            self.audit.must("agent_connected", session, agent=agent_identity(agent), client=conn.address,
                            agentCount=len(session["agents"]))
        except AuditUnavailable:
            await self.store.remove_agent(code, agent["id"])
            raise
        await self.engine.cancel(wait_timer(code))
        await self.seat(conn, code, agent["id"], name, agent["token"], session)
        await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("agent_joined", id=agent["id"], name=name))
        await self.relay.fan_out.catch_up(conn, 0)
        await self.relay.tools.catch_up(conn, code)
        await self.relay.sessions.broadcast(code)

    async def again(self, conn: Connection, session: Session, agent_id: str) -> None:
        """The agent ``agent_id`` joins a session it is in already: ``conn`` takes its place."""
        code = session["accessCode"]
        agent = agent_of(session, agent_id)
        current = agent.get("conn") if agent is not None else None
        await self.relay.sessions.replace(code, current)
        attached = await self.store.attach(code, agent_id, conn.id, current)
        if attached is None:
            raise in_use(conn.role)
        await self.renewed(conn, code, agent_id, attached)

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
        await self.renewed(conn, code, agent_id, attached)

    async def renewed(self, conn: Connection, code: str, agent_id: str, attached: Session) -> None:
        """``conn`` is attached for an agent already in the session: seat it with a new token."""
        token = await self.store.new_agent_token(code, agent_id)
        agent = agent_of(attached, agent_id)
        if token is None or agent is None:
            raise protocol.ProtocolError("no_session", AGENT_OVER)
        await self.engine.cancel(agent_timer(code, agent_id))
        await self.seat(conn, code, agent_id, agent["name"], token, attached)
        await self.relay.fan_out.catch_up(conn, 0)
        await self.relay.tools.catch_up(conn, code)

    async def seat(self, conn: Connection, code: str, agent_id: str, name: str, token: str, session: Session) -> None:
        """Attach ``conn`` here and tell it it joined (the view so far follows: ``catch_up``)."""
        conn.pending = []
        await self.relay.here.attach(conn, code, agent_id)
        self.relay.here.send(conn, protocol.encode("joined", id=agent_id, name=name, token=token,
                                                   session=summary(session)))

    async def leave(self, conn: Connection, message: Message, text: str) -> None:
        code, agent_id = conn.where()
        self.relay.here.forget(conn)
        await self.relay.sessions.agent_left(code, agent_id, "left", conn.address)
        conn.close(1000)

    async def end(self, conn: Connection, message: Message, text: str) -> None:
        await self.relay.sessions.end(conn.where()[0], Reasons.AGENT_INITIATED, client=conn.address)

    def _refused(self, conn: Connection, cause: str) -> None:
        """A join refused for ``cause``: the session it named is not told (it may be nobody's)."""
        identity = conn.identity
        agent = ({"id": identity.id, "name": identity.name, "role": identity.role}
                 if identity is not None and identity.id is not None else None)
        self.audit.note("agent_refused", None, agent=agent, client=conn.address, reason=cause)
