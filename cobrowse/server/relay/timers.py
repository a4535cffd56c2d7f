"""The relay's timers: their keys, what each does when it fires, and the idle sweep.

Public names:

- ``visitor_timer(code)``, ``agent_timer(code, agent_id)``, ``wait_timer(code)``,
  ``control_timer(code, agent_id)``, ``warning_timer(code)``, ``limit_timer(code)``: the keys of
  the engine's timers: a dropped visitor's and a dropped agent's network timeout, a session's
  wait for an agent, a request for control's server timeout, the session limit's warning and
  end.
- ``Timers(relay)``: ``fire(key)`` (the engine's callback) ends what waited too long, if it
  still waits; ``sweep()`` runs for as long as the relay does, ``sweep_once()`` is one round of
  it: a connection silent for the idle timeout is closed, one silent for the takeover silence
  is marked silent in the record.

Every timer re-reads the record when it fires, so a timer that fires late or twice does
nothing wrong.
"""

import math

from cobrowse.core import protocol
from cobrowse.core.session import Reasons
from cobrowse.core.constants import CLOSE_IDLE
from cobrowse.server.backends.broker import TO_AGENTS, TO_VISITOR
from cobrowse.server.backends.records import attachment
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.replies import SESSION_LIMIT_WARNING


def visitor_timer(code: str) -> str:
    return "visitor:" + code


def agent_timer(code: str, agent_id: str) -> str:
    return "agent:%s:%s" % (code, agent_id)


def wait_timer(code: str) -> str:
    return "wait:" + code


def control_timer(code: str, agent_id: str) -> str:
    return "control:%s:%s" % (code, agent_id)


def warning_timer(code: str) -> str:
    return "warning:" + code


def limit_timer(code: str) -> str:
    return "limit:" + code


class Timers(Part):
    """What the relay's timers and its idle sweep do."""

    async def fire(self, key: str) -> None:
        """A timer is due: end what waited too long, if it still waits."""
        kind, code, *rest = key.split(":")
        session = await self.relay.store.get(code)
        if session is None:
            return
        if kind == "visitor" and session["visitor"] is None:
            await self.relay.sessions.end(code, Reasons.NETWORK_TIMEOUT)
        elif kind == "agent" and attachment(session, rest[0]) is None:
            await self.relay.sessions.agent_left(code, rest[0], Reasons.NETWORK_TIMEOUT)
        elif kind == "wait" and not session["agents"]:
            await self.relay.sessions.end(code, Reasons.USER_TIMEOUT)
        elif kind == "control":
            await self.relay.controls.expired(code, rest[0])
        elif kind == "warning":
            await self.warn(code)
        elif kind == "limit":
            await self.relay.sessions.end(code, Reasons.SESSION_LIMIT)

    async def warn(self, code: str) -> None:
        """The session limit is near: visitor and agents are told when the session ends."""
        timeouts = self.relay.timeouts
        if timeouts.session_limit is None or timeouts.session_warning is None:
            return
        left = math.ceil(timeouts.session_limit - timeouts.session_warning)
        text = protocol.encode("session_warning", message=SESSION_LIMIT_WARNING % left, endsIn=left)
        await self.engine.publish(code, TO_VISITOR, 0, text)
        await self.engine.publish(code, TO_AGENTS, 0, text)

    async def sweep(self) -> None:
        while True:
            await self.relay.clock.sleep(self.relay.timeouts.sweep_every)
            self.sweep_once()

    def sweep_once(self) -> None:
        """Close connections silent for the idle timeout; tell the record of quiet ones."""
        relay, timeouts = self.relay, self.relay.timeouts
        now = relay.clock.time()
        for conn in list(relay.here.connections.values()):
            if conn.closed:
                continue
            if conn.last < now - timeouts.idle:
                attached = relay.here.forget(conn)
                if attached is not None:
                    # In a task of its own, so that a slow store cannot hold up the sweep.
                    relay.tasks.spawn(relay.recovery.drop(*attached, conn.id))
                conn.close(CLOSE_IDLE)
            elif conn.last < now - timeouts.takeover_silence and conn.who is not None and not conn.silent:
                conn.silent = True
                relay.tasks.spawn(relay.store.mark_silent(*conn.where(), conn.id, True))
