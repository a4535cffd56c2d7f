"""What happens to a session as a whole, whichever side or timer set it off.

Public names:

- ``Sessions(relay)``: ``broadcast(code)`` tells the session's agents what it looks like now;
  ``end(code, reason, url, client)`` ends it for everyone in it; ``agent_left(code, agent_id,
  reason, client)`` takes an agent out of it; ``take_over(code, who, current, conn)`` makes room
  for a resume or rejoin on ``conn``, or refuses it with ``in_use``; ``replace(code, current)``
  closes the attached connection ``current`` wherever it is held.
"""

from typing import Any

from cobrowse.core import protocol
from cobrowse.core.constants import CLOSE_REPLACED
from cobrowse.server.backends.broker import CLOSE, ENDED, TO_AGENTS, TO_VISITOR
from cobrowse.server.backends.presence import process_of
from cobrowse.server.audit import agent_identity
from cobrowse.server.backends.records import GONE
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.replies import in_use
from cobrowse.server.relay.summary import summary
from cobrowse.server.relay.timers import agent_timer, limit_timer, visitor_timer, wait_timer, warning_timer


class Sessions(Part):
    """Moves on a whole session, shared by the visitor's, the agents' and the timers'."""

    async def broadcast(self, code: str) -> None:
        """Tell the session's attached agents what it looks like now."""
        session = await self.store.get(code)
        if session is not None and any(agent.get("conn") for agent in session["agents"]):
            await self.engine.publish(code, TO_AGENTS, 0, protocol.encode("session", session=summary(session)))

    async def end(self, code: str, reason: str, url: str | None = None, client: str | None = None) -> None:
        """End a live session for everyone in it (``url``: the visitor left the site for it;
        ``client``: the address of whoever ended it); a second end of the same session is a
        no-op."""
        session = await self.store.end(code)
        if session is None:
            return
        if url is not None:
            self.audit.note("navigating_away", session, client=client, url=url)
        self.audit.note("session_ended", session, client=client, reason=reason, agentCount=len(session["agents"]))
        for timer in (visitor_timer(code), wait_timer(code), warning_timer(code), limit_timer(code)):
            await self.engine.cancel(timer)
        for agent in session["agents"]:
            await self.engine.cancel(agent_timer(code, agent["id"]))
        await self.relay.views.close(code)
        await self.engine.publish(code, ENDED, 1000, protocol.encode("ended", reason=reason, url=url))

    async def agent_left(self, code: str, agent_id: str, reason: str, client: str | None = None) -> None:
        """Take an agent out of its session and tell the visitor, once (``reason``: why, for
        the audit trail)."""
        await self.engine.cancel(agent_timer(code, agent_id))
        await self.relay.controls.agent_gone(code, agent_id)
        agent = await self.store.remove_agent(code, agent_id)
        if agent is None:
            return
        session = await self.store.get(code)
        self.audit.note("agent_disconnected", session or {"accessCode": code}, agent=agent_identity(agent),
                        client=client, reason=reason, agentCount=len(session["agents"]) if session else None)
        await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("agent_left", id=agent["id"], name=agent["name"]))
        await self.broadcast(code)
        if session is not None and not session["agents"]:
            # The visitor stops recording: what the log holds would be stale for the next agent.
            await self.relay.views.drop(code)
            await self.engine.schedule(wait_timer(code), self.relay.timeouts.agent_wait)

    async def take_over(self, code: str, who: str, current: Any, conn: Connection) -> None:
        """Refuse with ``in_use`` if ``who``'s attached connection ``current`` is alive; close
        one that is silent, or whose process died, so that ``conn`` may take its place."""
        if current is None or current == GONE:
            return
        relay = self.relay
        holder = relay.here.connections.get(current["conn"])
        process = process_of(current["conn"])
        if holder is None and process == self.engine.process:
            return  # Closed here while the record was out of reach: nothing to close.
        if holder is not None:
            if relay.clock.time() - holder.last <= relay.timeouts.takeover_silence:
                raise in_use(conn.role)
        elif not current.get("silent") and await self.engine.alive(process):
            raise in_use(conn.role)
        await self.replace(code, current)

    async def replace(self, code: str, current: Any) -> None:
        """Close the attached connection ``current`` (an attachment, or None) with
        ``CLOSE_REPLACED``, here or on the process holding it."""
        if current is None or current == GONE:
            return
        holder = self.relay.here.connections.get(current["conn"])
        if holder is not None:
            self.relay.here.forget(holder)
            holder.close(CLOSE_REPLACED)
        elif process_of(current["conn"]) != self.engine.process:
            await self.engine.publish(code, CLOSE, CLOSE_REPLACED, current["conn"])
