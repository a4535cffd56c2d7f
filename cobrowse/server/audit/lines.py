"""What one audit line says: the move, the session it was in, who made it and how.

Public names:

- ``Auditor(trail, process, wall=time.time)``: the relay's writer of lines: ``must(event,
  session, **details)`` writes one before a move that may be refused (a new session, a join,
  control) and raises ``AuditUnavailable`` if it could not; ``note(...)`` writes one before a
  move that must happen anyway (an end, a revocation, a timeout) and goes on if it could not;
  ``health()`` is the trail's.
- ``EVENTS``: every event a line may name.
- ``agent_identity(agent)``: ``{id, name, role}`` of an agent's record (role ``agent`` unless
  the record says otherwise).
- ``rfc3339(seconds)``: a time of day as RFC 3339 in UTC, to the millisecond.

Every line has ``time``, ``event``, ``accessCode``, ``SID``, ``siteCode`` and ``process``
(None where there is no session, as for a refused join); the details (``agent``, ``client``,
``reason``, ``url``, ``agentCount``, ``action``) only where they apply. No line holds a
token, a code that was typed, or anything the visitor typed or sees masked.
"""

import datetime
import time
from collections.abc import Callable
from typing import Any

from cobrowse.server.audit.trail import AuditTrail, AuditUnavailable, Line

EVENTS = ("session_started", "session_resumed", "session_ended", "agent_connected", "agent_disconnected",
          "agent_refused", "control_requested", "control_granted", "control_denied", "control_revoked",
          "control_released", "control_timed_out", "control_action", "navigating_away")

DEFAULT_ROLE = "agent"


def rfc3339(seconds: float) -> str:
    """``2026-12-02T16:05:01.123Z`` for ``seconds`` since the epoch."""
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def agent_identity(agent: dict[str, Any]) -> dict[str, Any]:
    """Who an agent is, as the audit trail names them: never their token."""
    return {"id": agent["id"], "name": agent["name"], "role": agent.get("role") or DEFAULT_ROLE}


class Auditor:
    """Writes the lines of one relay's moves on ``trail``, for process ``process``; ``wall``
    is the time of day."""

    def __init__(self, trail: AuditTrail, process: str, wall: Callable[[], float] = time.time) -> None:
        self.trail = trail
        self.process = process
        self.wall = wall

    def line(self, event: str, session: dict[str, Any] | None, details: dict[str, Any]) -> Line:
        if event not in EVENTS:
            raise ValueError("no audit event %r" % event)
        session = session or {}
        line: Line = {"time": rfc3339(self.wall()), "event": event, "accessCode": session.get("accessCode"),
                      "SID": session.get("SID"), "siteCode": session.get("siteCode"), "process": self.process}
        line.update((name, value) for name, value in details.items() if value is not None)
        return line

    def must(self, event: str, session: dict[str, Any] | None, **details: Any) -> None:
        """Write the line of a move that does not happen unless it is recorded."""
        self.trail.write(self.line(event, session, details))

    def note(self, event: str, session: dict[str, Any] | None, **details: Any) -> None:
        """Write the line of a move that happens whether or not it could be recorded (the
        trail has logged the outage)."""
        try:
            self.trail.write(self.line(event, session, details))
        except AuditUnavailable:
            pass

    def health(self) -> str | None:
        return self.trail.health()
