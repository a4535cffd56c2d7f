"""Remote control's moves on the server: who asked, who controls, which actions are relayed.

Public names:

- ``ControlMoves(relay)``: the relay's moves for the control messages (``facade.Relay`` lists
  them in its ``moves`` table): ``from_agent`` for ``request_control``, ``release_control`` and
  ``act``; ``from_visitor`` for ``control_grant``, ``control_end`` and ``refused``;
  ``agent_gone(code, agent_id)`` ends what an agent who left had asked for or held;
  ``expired(code, agent_id)`` is the request's timer.
- ``ask``, ``grant``, ``end``, ``end_if_held_by``, ``end_if_unanswered``: each one change of a
  session's record, ``change(session, agent_id)``, run inside the store's ``change``.
- ``ENDED``: what the agent is told when the visitor ends the agent's request or control.

The decisions are ``cobrowse.core.control``'s, shared with the visitor's browser. The control
record lives in the session, so every server process of a shared store sees it, and every move
that changes it is one ``store.change``: the change looks at the record as the store has it,
decides, changes it and returns what the move does next, so two processes acting on one session
at once never both act on the same stale record. A change may run more than once (a shared
store runs it again when another process changed the record first), so it does nothing but
look at the record and change it. It returns the control record it was about (the move goes
on), a ``ControlRefused`` (the record stays as it was; the move tells why), or None (nothing to
do). Actions are relayed only from the agent holding the control the visitor granted; each
request, grant, denial, revocation, release and timeout is logged, and recorded in the audit
trail with every action but pointer moves. A request, a grant or an action that cannot be
recorded does not happen (a request or a grant is undone, the agent and the visitor are told
``unavailable``); an end of control always happens, recorded or not.
"""

import logging
from typing import Any, Callable

from cobrowse.core import control, protocol
from cobrowse.core.control import ControlRefused
from cobrowse.server.audit import AuditUnavailable, agent_identity, audited_action
from cobrowse.server.backends.broker import TO_AGENT, TO_VISITOR
from cobrowse.server.backends.records import agent_of
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.shapes import Message, Session
from cobrowse.server.relay.timers import control_timer

log = logging.getLogger("cobrowse")

Record = dict[str, Any]
Change = Callable[[Session, str], "Record | ControlRefused | None"]

# What the agent is told when the visitor ends the agent's request or control.
ENDED = {
    "declined": "The visitor declined your request for control.",
    "timeout": "The visitor did not answer your request for control in time.",
    "revoked": "The visitor took back control of the page.",
    "busy": "Another agent already asked for or has control.",
    "unavailable": "Control could not be recorded in the audit trail: it was not given.",
}

# The audit trail's event for each reason the visitor gives for ending a request or control.
ENDED_EVENTS = {"declined": "control_denied", "busy": "control_denied", "timeout": "control_timed_out",
                "revoked": "control_revoked"}


def ask(session: Session, agent_id: str) -> Record | ControlRefused:
    """``agent_id`` asks for control: the new record, asking."""
    if session["visitor"] is None:
        return ControlRefused("no_visitor", "The visitor is not connected right now")
    name = next((agent["name"] for agent in session["agents"] if agent["id"] == agent_id), "An agent")
    try:
        session["control"] = control.ask(session.get("control"), agent_id, name)
    except ControlRefused as refused:
        return refused
    return session["control"]


def grant(session: Session, agent_id: str) -> Record | ControlRefused:
    """The visitor allows ``agent_id``'s request: the new record, granted."""
    try:
        session["control"] = control.grant(session.get("control"), agent_id)
    except ControlRefused as refused:
        return refused
    return session["control"]


def end(session: Session, agent_id: str) -> Record | ControlRefused:
    """``agent_id``'s request or control ends (a release, a denial, a revocation): the record
    that ended."""
    record = session.get("control")
    try:
        session["control"] = control.release(record, agent_id)
    except ControlRefused as refused:
        return refused
    return record


def end_if_held_by(session: Session, agent_id: str) -> Record | None:
    """``agent_id`` is leaving: the record that ended with it, if it asked or held control."""
    record: Record | None = session.get("control")
    if not record or record["agent"] != agent_id:
        return None
    session["control"] = None
    return record


def end_if_unanswered(session: Session, agent_id: str) -> Record | None:
    """The request's timer: the request of ``agent_id`` that ended unanswered, if it still waits."""
    record: Record | None = session.get("control")
    if not record or record["agent"] != agent_id or record["state"] != control.ASKING:
        return None
    session["control"] = None
    return record


def _notice(code: str, message: str) -> str:
    text: str = protocol.encode("control_notice", code=code, message=message)
    return text


class ControlMoves(Part):
    """Remote control's moves of one relay (its record is in each session of the store)."""

    async def _change(self, code: str, change: Change, agent_id: str) -> tuple[Record | ControlRefused | None, Session]:
        """Run ``change`` on the session's record at once for every process: what it returned
        (None if the session ended or there was nothing to change), and the record as it left
        it (for the audit trail's line)."""
        seen: Session = {"accessCode": code, "agents": []}

        def changed(session: Session) -> Record | ControlRefused | None:
            seen.update(session)
            return change(session, agent_id)
        result: Record | ControlRefused | None = await self.store.change(code, changed)
        return result, seen

    def _about(self, session: Session, agent_id: str, conn: Connection | None = None,
               **details: Any) -> dict[str, Any]:
        """The details of an audit line about ``agent_id``'s control."""
        agent = agent_of(session, agent_id)
        details["agent"] = agent_identity(agent) if agent else {"id": agent_id, "name": None, "role": None}
        details["client"] = conn.address if conn is not None else None
        return details

    async def from_agent(self, conn: Connection, message: Message, text: str) -> None:
        """``request_control``, ``release_control`` or ``act`` from an agent in a session."""
        code, agent_id = conn.where()
        kind = message["type"]
        if kind == "act":
            await self._act(conn, code, agent_id, message["action"])
            return
        changed, session = await self._change(code, ask if kind == "request_control" else end, agent_id)
        if isinstance(changed, ControlRefused):
            self.relay.here.send(conn, _notice(changed.code, changed.message))
        elif changed is None:
            return
        elif kind == "request_control":
            try:
                self.audit.must("control_requested", session, **self._about(session, agent_id, conn))
            except AuditUnavailable:
                await self._change(code, end, agent_id)
                raise
            log.info("cobrowse: session %s: agent %s asked for control", code, agent_id)
            await self.engine.schedule(control_timer(code, agent_id), self.relay.timeouts.control_request)
            await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("control_request", id=agent_id,
                                                                           name=changed["name"]))
            await self.relay.sessions.broadcast(code)
        else:
            self.audit.note("control_released", session, **self._about(session, agent_id, conn, reason="released"))
            await self._ended(code, "released by the agent", agent_id)
            await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("control_end", id=agent_id, reason="released"))

    async def _act(self, conn: Connection, code: str, agent_id: str, action: Any) -> None:
        """Relay an action to the visitor, from the agent in control only (nothing changes);
        recorded first (but a pointer move), with the element path the console sent."""
        session = await self.store.get(code)
        if session is None:
            return
        try:
            if control.controller(session.get("control")) != agent_id:
                raise ControlRefused("no_control", "You do not control the visitor's page")
            checked = control.parse_action(action)
        except ControlRefused as refused:
            self.relay.here.send(conn, _notice(refused.code, refused.message))
            return
        audited = audited_action(checked, action.get("path"))
        if audited is not None:
            self.audit.must("control_action", session, **self._about(session, agent_id, conn, action=audited))
        await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("act", id=agent_id, action=checked))

    async def from_visitor(self, conn: Connection, message: Message, text: str) -> None:
        """``control_grant``, ``control_end`` or ``refused`` from the visitor of a session."""
        code, _ = conn.where()
        agent_id, kind = message["id"], message["type"]
        if kind == "refused":
            session = await self.store.get(code)
            if session is not None and control.controller(session.get("control")) == agent_id:
                await self._to_agent(code, agent_id, _notice("refused", message["message"]))
            return
        changed, session = await self._change(code, grant if kind == "control_grant" else end, agent_id)
        if isinstance(changed, ControlRefused):
            # A late answer to a request that already ended (the agent left or gave up).
            log.info("cobrowse: session %s: ignored %s for agent %s: %s", code, kind, agent_id, changed.message)
        elif changed is None:
            return
        elif kind == "control_grant":
            await self._granted(conn, code, agent_id, session)
            await self.engine.cancel(control_timer(code, agent_id))
            log.info("cobrowse: session %s: the visitor granted control to agent %s", code, agent_id)
            await self.relay.sessions.broadcast(code)
        else:
            reason = message["reason"]
            event = ENDED_EVENTS.get(reason, "control_revoked")
            self.audit.note(event, session, **self._about(session, agent_id, conn, reason=reason))
            await self._ended(code, reason, agent_id)
            await self._to_agent(code, agent_id, _notice(reason, ENDED.get(reason, "Control ended (%s)." % reason)))

    async def _granted(self, conn: Connection, code: str, agent_id: str, session: Session) -> None:
        """Record the visitor's grant; if it cannot be, it is undone for the visitor and the
        agent, and the visitor told ``unavailable``."""
        try:
            self.audit.must("control_granted", session, **self._about(session, agent_id, conn))
        except AuditUnavailable:
            await self._change(code, end, agent_id)
            await self._ended(code, "unavailable", agent_id)
            await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("control_end", id=agent_id, reason="unavailable"))
            await self._to_agent(code, agent_id, _notice("unavailable", ENDED["unavailable"]))
            raise

    async def agent_gone(self, code: str, agent_id: str) -> None:
        """An agent is leaving the session: whatever it asked for or held ends with it."""
        changed, session = await self._change(code, end_if_held_by, agent_id)
        if changed:
            self.audit.note("control_released", session, **self._about(session, agent_id, reason="agent_left"))
            await self._ended(code, "the agent left", agent_id)

    async def expired(self, code: str, agent_id: str) -> None:
        """The request's timer: still unanswered, it ends for the visitor and the agent."""
        changed, session = await self._change(code, end_if_unanswered, agent_id)
        if changed:
            self.audit.note("control_timed_out", session, **self._about(session, agent_id, reason="timeout"))
            await self._ended(code, "timeout", agent_id)
            await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("control_end", id=agent_id, reason="timeout"))
            await self._to_agent(code, agent_id, _notice("timeout", ENDED["timeout"]))

    async def _ended(self, code: str, why: str, agent_id: str) -> None:
        await self.engine.cancel(control_timer(code, agent_id))
        log.info("cobrowse: session %s: control of agent %s ended: %s", code, agent_id, why)
        await self.relay.sessions.broadcast(code)

    async def _to_agent(self, code: str, agent_id: str, text: str) -> None:
        await self.engine.publish(code, TO_AGENT, 0, agent_id + " " + text)
