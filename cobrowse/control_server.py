"""The server's side of remote control: who asked, who controls, and which actions are relayed.

Public names:

- ``ControlRelay(store, hub, broadcast)``: the control messages of every session of one server.
  ``from_agent(conn, message)`` and ``from_visitor(code, message)`` handle the messages of
  ``AGENT_KINDS`` and ``VISITOR_KINDS``; ``agent_gone(code, agent_id)`` ends what an agent who
  left had asked for or held.
- ``AGENT_KINDS``, ``VISITOR_KINDS``: the message types it handles.
- ``public_control(session)``: the session's control record as agents see it, or None.
- ``SERVER_TIMEOUT_SECONDS``: when the server gives up on an unanswered request.

The decisions are ``cobrowse.control``'s, shared with the visitor's browser. The control record
lives in the session (``store.update(code, control=...)``), so that it is shared by every server
process of a shared store. Actions are relayed only from the agent holding control that the
visitor granted; each request, grant, denial, revocation and release is logged.
"""

import logging

from cobrowse import control, protocol

log = logging.getLogger("cobrowse")

AGENT_KINDS = ("request_control", "release_control", "act")
VISITOR_KINDS = ("control_grant", "control_end", "refused")

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


class ControlRelay:
    """Remote control for the sessions of one server process (their records are in the store)."""

    def __init__(self, store, hub, broadcast):
        self.store = store
        self.hub = hub
        self.broadcast = broadcast

    async def from_agent(self, conn, message):
        """``request_control``, ``release_control`` or ``act`` from an agent in session ``conn.code``."""
        code, agent_id, kind = conn.code, conn.agent, message["type"]
        session = await self.store.get(code)
        if session is None:
            return
        record = session.get("control")
        try:
            if kind == "act":
                if control.controller(record) != agent_id:
                    raise control.ControlRefused("no_control", "You do not control the visitor's page")
                action = control.parse_action(message["action"])
                await self.hub.to_visitor(code, protocol.encode("act", id=agent_id, action=action))
            elif kind == "request_control":
                await self._request(code, session, record, agent_id)
            else:
                control.release(record, agent_id)
                await self._end(code, "released by the agent", agent_id)
                await self.hub.to_visitor(code, protocol.encode("control_end", id=agent_id, reason="released"))
        except control.ControlRefused as refused:
            await self.hub.send(conn, _notice(refused.code, refused.message))

    async def _request(self, code, session, record, agent_id):
        if code not in self.hub.visitors:
            raise control.ControlRefused("no_visitor", "The visitor is not connected right now")
        name = next((agent["name"] for agent in session["agents"] if agent["id"] == agent_id), "An agent")
        record = control.ask(record, agent_id, name)
        await self.store.update(code, control=record)
        log.info("cobrowse: session %s: agent %s asked for control", code, agent_id)
        self.hub.later(("control", code), SERVER_TIMEOUT_SECONDS, self._expired, code, agent_id)
        await self.hub.to_visitor(code, protocol.encode("control_request", id=agent_id, name=name))
        await self.broadcast(code)

    async def from_visitor(self, code, message):
        """``control_grant``, ``control_end`` or ``refused`` from the visitor of session ``code``."""
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
                self.hub.cancel(("control", code))
                log.info("cobrowse: session %s: the visitor granted control to agent %s", code, agent_id)
                await self.broadcast(code)
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
        """An agent left the session: whatever it asked for or held ends with it."""
        session = await self.store.get(code)
        record = session.get("control") if session else None
        if record and record["agent"] == agent_id:
            await self._end(code, "the agent left", agent_id)

    async def _expired(self, code, agent_id):
        session = await self.store.get(code)
        record = session.get("control") if session else None
        if record and record["agent"] == agent_id and record["state"] == control.ASKING:
            await self._end(code, "timeout", agent_id)
            await self.hub.to_visitor(code, protocol.encode("control_end", id=agent_id, reason="timeout"))
            await self._to_agent(code, agent_id, _notice("timeout", ENDED["timeout"]))

    async def _end(self, code, why, agent_id):
        self.hub.cancel(("control", code))
        await self.store.update(code, control=None)
        log.info("cobrowse: session %s: control of agent %s ended: %s", code, agent_id, why)
        await self.broadcast(code)

    async def _to_agent(self, code, agent_id, text):
        conn = self.hub.agents.get(code, {}).get(agent_id)
        if conn is not None:
            await self.hub.send(conn, text)
