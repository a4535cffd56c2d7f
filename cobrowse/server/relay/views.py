"""The view relay: the visitor's live view to every agent, in order, once, and from the log
for an agent who joins late, comes back, missed some or could not keep up.

Public names:

- ``ViewFanOut(relay)``: ``view(conn, message, text)`` is the visitor's `view` move and
  ``part(conn, message, text)`` its `view_part` move (a long view in parts, put back together
  here and relayed as one view; past the log's limit, refused once);
  ``deliver(members, seq, text)`` hands view ``seq`` to the agents among a session's
  connections here; ``catch_up(conn, after)`` sends an agent the views after ``after`` from the
  log; ``resync(conn, after)`` does so in a task of its own, with live views waiting meanwhile.
- ``is_full_snapshot(events)``: whether a view's events hold rrweb's full snapshot.
"""

from typing import TYPE_CHECKING, Any

from cobrowse.core import protocol
from cobrowse.server.backends.broker import TO_VISITOR
from cobrowse.server.backends.records import VISITOR
from cobrowse.server.backends.views import BATCH, LOST
from cobrowse.server.relay.connection import Connection
from cobrowse.server.relay.part import Part
from cobrowse.server.relay.parts import ViewParts, refusal_view, too_large
from cobrowse.server.relay.replies import SNAPSHOT
from cobrowse.server.relay.shapes import Message

if TYPE_CHECKING:
    from cobrowse.server.relay.facade import Relay


def is_full_snapshot(events: list[Any]) -> bool:
    return any(type(event) is dict and event.get("type") == protocol.FULL_SNAPSHOT for event in events)


class ViewFanOut(Part):
    """Views from the visitor to the agents (see the module's docstring)."""

    def __init__(self, relay: "Relay") -> None:
        super().__init__(relay)
        self.log = relay.views

    async def view(self, conn: Connection, message: Message, text: str) -> None:
        """The hot path: a view message, validated by ``protocol.decode``, goes to every agent
        as the text that came, and into the session's log for agents who join later."""
        code, _ = conn.where()
        full = is_full_snapshot(message["events"])
        if full:
            # A log starts only in a session that agents are in (agents need the key): a visitor
            # alone cannot make the server hold megabytes for it.
            session = await self.relay.store.get(code)
            full = session is not None and bool(session["agents"])
        await self.engine.publish_view(code, text, full)

    async def part(self, conn: Connection, message: Message, text: str) -> None:
        """A part of a long view: the view goes on as ``view`` once its parts add up. One past
        the log's limit could never be kept for a late joiner, nor fit an agent's queue: it is
        refused at its first part, the visitor and the agents told why, once; the log keeps the
        refusal, so later agents are told too, and the visitor is asked for no new snapshot."""
        code, _ = conn.where()
        size = message["size"]
        parts = conn.view_parts
        if parts is None:
            parts = conn.view_parts = ViewParts(size, refused=size > self.log.limit)
            if parts.refused:
                await self.refuse(conn, code, size)
        elif parts.size != size:
            conn.view_parts = None
            raise protocol.ProtocolError("bad_field", "a view part of size %d before the view of %d ended" % (size, parts.size))
        try:
            parts.add(message["text"])
        except protocol.ProtocolError:
            conn.view_parts = None
            raise
        if not parts.whole():
            return
        conn.view_parts = None
        if not parts.refused:
            whole = parts.text()
            await self.view(conn, protocol.decode(whole, ("view",), limit=self.log.limit), whole)

    async def refuse(self, conn: Connection, code: str, size: int) -> None:
        message = too_large(size)
        self.relay.here.send(conn, protocol.encode("view_refused", size=size, message=message))
        session = await self.relay.store.get(code)
        await self.engine.publish_view(code, refusal_view(message), session is not None and bool(session["agents"]))

    def deliver(self, members: dict[str, Connection], seq: int, text: str) -> None:
        for who, conn in members.items():
            if who != VISITOR:
                self.view_to(conn, seq, text)

    def view_to(self, conn: Connection, seq: int, text: str) -> None:
        """Send view ``seq`` to an agent once, in order; a gap is filled from the log."""
        if conn.pending is not None:
            conn.pending.append((seq, text))
        elif conn.view_seq is not None and seq <= conn.view_seq:
            return
        elif conn.view_seq is not None and seq > conn.view_seq + 1:
            conn.pending = [(seq, text)]
            self.relay.tasks.spawn(self.catch_up(conn, conn.view_seq, rebuild=True))
        else:
            conn.view_seq = seq
            self.relay.here.send(conn, text)

    def resync(self, conn: Connection, after: int = 0) -> None:
        """Send an agent the views after ``after`` afresh from the log (or a new snapshot), in
        a task of its own; live views wait for it in ``pending``."""
        conn.pending = []
        self.relay.tasks.spawn(self.catch_up(conn, after, rebuild=True))

    async def catch_up(self, conn: Connection, after: int, rebuild: bool = False) -> None:
        """Send an agent the views after ``after`` from the log, in batches: the visitor's page
        for one who just joined or came back, the views it missed for one with a gap. When the
        log cannot tell (it outgrew its limit; or, with ``rebuild``, there is none yet views
        were missed), the visitor is asked for a new snapshot, which every agent then gets."""
        code = conn.code
        if code is None:  # It left before its catch-up began.
            return
        sent, ask = after, False
        while True:
            head, entries = await self.log.read(code, sent, BATCH)
            if conn.code != code:
                return
            if entries == LOST:
                ask = True
                await self.log.drop(code)
                break
            if not entries:
                ask = rebuild and head > sent
                break
            for seq, text in entries:
                self.relay.here.send(conn, text)
                sent = seq
            if len(entries) < BATCH:
                break
        # Views that came while the log was read follow, those it held left out. When the log
        # gave nothing, the next view to come is where this agent's sequence starts again.
        pending, conn.pending = conn.pending or [], None
        conn.view_seq = sent if sent > after else None
        for seq, text in pending:
            self.view_to(conn, seq, text)
        if ask:
            await self.engine.publish(code, TO_VISITOR, 0, SNAPSHOT)
