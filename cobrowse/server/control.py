"""The server's side of remote control: who asked, who controls, and which actions are relayed.

Public names:

- ``ControlMoves(relay)``: the relay's moves for the control messages (``relay.Relay`` lists them
  in its ``moves`` table): ``from_agent`` for ``request_control``, ``release_control`` and
  ``act``; ``from_visitor`` for ``control_grant``, ``control_end`` and ``refused``;
  ``agent_gone(code, agent_id)`` ends what an agent who left had asked for or held;
  ``expired(code, agent_id)`` is the request's timer.
- ``public_control(session)``: the session's control record as agents see it, or None.
- ``SERVER_TIMEOUT_SECONDS``: when the server gives up on an unanswered request.

The decisions are ``cobrowse.core.control``'s, shared with the visitor's browser. The control record
lives in the session (``store.update(code, control=...)``), so every server process of a shared
store sees it. Actions are relayed only from the agent holding the control the visitor granted;
each request, grant, denial, revocation, release and timeout is logged.
"""

import logging

from cobrowse.core import control, protocol
from cobrowse.server.backends.broker import TO_AGENT, TO_VISITOR

log = logging.getLogger("cobrowse")

# The visitor's browser ends a request after REQUEST_TIMEOUT_SECONDS; the server waits a little
# longer, for a visitor whose browser is gone or silent.
SERVER_TIMEOUT_SECONDS = control.REQUEST_TIMEOUT_SECONDS + 5

# What the agent is told when the visitor ends the agent's request or control.
ENDED = {
    "declined": "The visitor declined your request for control.",
    "timeout": "The visitor did not answer your request for control in time.",
    "revoked": "The visitor took back control of the page.",
    "busy": "Another agent already asked for or has control.",
}


def public_control(session):
    """``{"agent", "name", "state"}`` of whoever asked for or holds control, or None."""
    record = session.get("control")
    if not record:
        return None
    return {"agent": record["agent"], "name": record.get("name"), "state": record["state"]}


def _notice(code, message):
    return protocol.encode("control_notice", code=code, message=message)


def _timer(code, agent_id):
    return "control:%s:%s" % (code, agent_id)


class ControlMoves:
    """Remote control's moves of one relay (its record is in each session of the store)."""

    def __init__(self, relay):
        self.relay = relay
        self.store = relay.store
        self.engine = relay.engine

    async def from_agent(self, conn, message, text):
        """``request_control``, ``release_control`` or ``act`` from an agent in a session."""
        code, agent_id, kind = conn.code, conn.who, message["type"]
        session = await self.store.get(code)
        if session is None:
            return
        record = session.get("control")
        try:
            if kind == "act":
                if control.controller(record) != agent_id:
                    raise control.ControlRefused("no_control", "You do not control the visitor's page")
                action = control.parse_action(message["action"])
                await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("act", id=agent_id, action=action))
            elif kind == "request_control":
                await self._request(code, session, record, agent_id)
            else:
                control.release(record, agent_id)
                await self._end(code, "released by the agent", agent_id)
                await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("control_end", id=agent_id, reason="released"))
        except control.ControlRefused as refused:
            self.relay.send(conn, _notice(refused.code, refused.message))

    async def _request(self, code, session, record, agent_id):
        if session["visitor"] is None:
            raise control.ControlRefused("no_visitor", "The visitor is not connected right now")
        name = next((agent["name"] for agent in session["agents"] if agent["id"] == agent_id), "An agent")
        record = control.ask(record, agent_id, name)
        await self.store.update(code, control=record)
        log.info("cobrowse: session %s: agent %s asked for control", code, agent_id)
        await self.engine.schedule(_timer(code, agent_id), SERVER_TIMEOUT_SECONDS)
        await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("control_request", id=agent_id, name=name))
        await self.relay.broadcast(code)

    async def from_visitor(self, conn, message, text):
        """``control_grant``, ``control_end`` or ``refused`` from the visitor of a session."""
        code = conn.code
        session = await self.store.get(code)
        if session is None:
            return
        record = session.get("control")
        agent_id = message["id"]
        kind = message["type"]
        if kind == "refused":
            if control.controller(record) == agent_id:
                await self._to_agent(code, agent_id, _notice("refused", message["message"]))
            return
        try:
            if kind == "control_grant":
                await self.store.update(code, control=control.grant(record, agent_id))
                await self.engine.cancel(_timer(code, agent_id))
                log.info("cobrowse: session %s: the visitor granted control to agent %s", code, agent_id)
                await self.relay.broadcast(code)
                return
            control.release(record, agent_id)
        except control.ControlRefused as refused:
            # A late answer to a request that already ended (the agent left or gave up).
            log.info("cobrowse: session %s: ignored %s for agent %s: %s", code, kind, agent_id, refused.message)
            return
        reason = message["reason"]
        await self._end(code, reason, agent_id)
        await self._to_agent(code, agent_id, _notice(reason, ENDED.get(reason, "Control ended (%s)." % reason)))

    async def agent_gone(self, code, agent_id):
        """An agent is leaving the session: whatever it asked for or held ends with it."""
        session = await self.store.get(code)
        record = session.get("control") if session else None
        if record and record["agent"] == agent_id:
            await self._end(code, "the agent left", agent_id)

    async def expired(self, code, agent_id):
        """The request's timer: still unanswered, it ends for the visitor and the agent."""
        session = await self.store.get(code)
        record = session.get("control") if session else None
        if record and record["agent"] == agent_id and record["state"] == control.ASKING:
            await self._end(code, "timeout", agent_id)
            await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("control_end", id=agent_id, reason="timeout"))
            await self._to_agent(code, agent_id, _notice("timeout", ENDED["timeout"]))

    async def _end(self, code, why, agent_id):
        await self.engine.cancel(_timer(code, agent_id))
        await self.store.update(code, control=None)
        log.info("cobrowse: session %s: control of agent %s ended: %s", code, agent_id, why)
        await self.relay.broadcast(code)

    async def _to_agent(self, code, agent_id, text):
        await self.engine.publish(code, TO_AGENT, 0, agent_id + " " + text)
