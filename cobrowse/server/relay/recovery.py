"""Connections lost, and the shared state out of reach: what the session waits for then, and
how this process catches up once it is back in touch.

Public names:

- ``Recovery(relay)``: ``drop(code, who, conn_id)``: a connection of ``who`` is gone, the
  session waits for them to come back (``wait_for_return``); while the shared state is out of
  reach, remembered in ``undetached`` and done once it is back. ``died(process, codes)`` and
  ``recovered()`` are the engine's callbacks: another process died; publications may have been
  lost while this one was out of touch.
"""

import logging
from typing import TYPE_CHECKING, Any

from cobrowse.core import protocol
from cobrowse.core.session import Reasons
from cobrowse.server.backends.broker import ENDED
from cobrowse.server.backends.outage import Unavailable
from cobrowse.server.backends.presence import process_of
from cobrowse.server.backends.records import GONE, VISITOR, attachment
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.replies import SESSION_LOST
from cobrowse.server.relay.timers import agent_timer, visitor_timer

if TYPE_CHECKING:
    from cobrowse.server.relay.facade import Relay

log = logging.getLogger("cobrowse")


class Recovery(Part):
    """Lost connections and lost touch (see the module's docstring)."""

    def __init__(self, relay: "Relay") -> None:
        super().__init__(relay)
        # Connections lost while the shared state was out of reach, to detach once it is back:
        # (code, who, connection id).
        self.undetached: set[tuple[str, str, str]] = set()

    async def drop(self, code: str, who: str, conn_id: str) -> None:
        """``dropped``; while the shared state is out of reach, remembered and done once it is
        back (``recovered``), so that a visitor or agent lost during an outage who never comes
        back still times out."""
        try:
            await self.dropped(code, who, conn_id)
        except Unavailable:
            self.undetached.add((code, who, conn_id))
        except Exception:  # noqa: BLE001 - a background failure must be seen, not lost.
            log.exception("cobrowse: a lost connection could not be detached")

    async def dropped(self, code: str, who: str, conn_id: str) -> None:
        """Connection ``conn_id`` of ``who`` is gone: the session waits for it to come back."""
        session = await self.store.detach(code, who, conn_id)
        if session is not None:
            await self.wait_for_return(code, who, session)

    async def dropped_during_outage(self, code: str, who: str, conn_id: str) -> None:
        """``dropped``, once the shared state is back: the detach tried during the outage may
        have been carried out after all, late, so a record with nobody attached for ``who``
        counts as detached by it."""
        session = await self.store.detach(code, who, conn_id)
        if session is None:
            session = await self.store.get(code)
            if session is None or attachment(session, who) is not None:
                return
        await self.wait_for_return(code, who, session)

    async def wait_for_return(self, code: str, who: str, session: dict[str, Any]) -> None:
        """Start the timer of ``who``, just detached, and tell the others (of a visitor)."""
        timeouts = self.relay.timeouts
        if who == VISITOR:
            await self.engine.schedule(visitor_timer(code), session["networkTimeout"] or timeouts.network)
            await self.relay.sessions.broadcast(code)
        else:
            await self.engine.schedule(agent_timer(code, who), timeouts.network)

    async def died(self, process: str, codes: list[str]) -> None:
        """Another process died: its connections count as dropped from now on."""
        for code in codes:
            session = await self.store.get(code)
            if session is None:
                continue
            for who in [VISITOR] + [agent["id"] for agent in session["agents"]]:
                current = attachment(session, who)
                if isinstance(current, dict) and process_of(current["conn"]) == process:
                    await self.dropped(code, who, current["conn"])

    async def recovered(self) -> None:
        """Back in touch after publications may have been lost (the shared state was out of
        reach): detach the connections lost meanwhile, end here what ended meanwhile or was
        lost, attach again what was detached meanwhile, and catch every agent up from the log."""
        relay = self.relay
        for code, who, conn_id in list(self.undetached):
            await self.dropped_during_outage(code, who, conn_id)
            self.undetached.discard((code, who, conn_id))
        for code in relay.here.codes():
            session = await self.store.get(code)
            if session is None:
                relay.deliver(code, ENDED, 1000, protocol.encode("ended", reason=SESSION_LOST))
                continue
            for who, conn in relay.here.members(code).items():
                current = attachment(session, who)
                if current is None and await self.store.attach(code, who, conn.id):
                    await self.engine.cancel(visitor_timer(code) if who == VISITOR else agent_timer(code, who))
                elif current == GONE:
                    relay.here.send(conn, protocol.encode("ended", reason=Reasons.NETWORK_TIMEOUT))
                    relay.here.forget(conn)
                    conn.close(1000)
                elif who != VISITOR and conn.pending is None:
                    relay.fan_out.resync(conn, conn.view_seq or 0)
            await relay.sessions.broadcast(code)
