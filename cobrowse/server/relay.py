"""The relay: the wire protocol's state moves (``docs/protocol.md``), over any engine.

Public names:

- ``Relay(engine, *, agent_wait_timeout, network_timeout, idle_timeout)``: this process's side
  of every session. ``open(socket, role, client)`` gives a ``Connection`` for an accepted
  socket, ``receive(conn, text)`` handles one frame from it, ``closed(conn)`` its end;
  ``drain()`` hands every connection on to the other processes; ``start()``, ``stop()``.
- ``Connection``: one open WebSocket of this process, with its bounded outgoing queue.
- ``summary(session)``: the session as agents see it; ``public_agents(session)``: its agents
  without their tokens.
- ``clamp_network_timeout(seconds)``: a page's network timeout within the allowed range.
- ``AGENT_WAIT_TIMEOUT_SECONDS``, ``NETWORK_TIMEOUT_SECONDS``, ``NETWORK_TIMEOUT_RANGE``,
  ``IDLE_TIMEOUT_SECONDS``, ``QUEUE_CHARS`` and the ``CLOSE_*`` codes.

Where things are: a session's record (``store``) says who is in it and which connection, on
which process, is attached for the visitor and for each agent; every process may read and
change it, through the engine. This process keeps only its own sockets: ``connections`` by
connection id, and ``here``, its attached connections per session. A message for a session's
visitor or agents is published through the engine, and each process holding one of the
session's connections sends it on. Timers are the engine's, keyed ``visitor:CODE``,
``agent:CODE:ID``, ``wait:CODE`` and ``control:CODE:ID`` (remote control's, in
``control_server``); each re-reads the record when it fires, so a timer that
fires late or twice does nothing wrong.

Each message type is one move: ``moves[role][type]`` names the method and whether the
connection must be in a session first. A new message type is a new method and a table entry.
"""

import asyncio
import collections
import itertools
import logging
import secrets

from cobrowse.server import control as control_server
from cobrowse.core import protocol
from cobrowse.server.backends.broker import CLOSE, ENDED, TO_AGENT, TO_AGENTS, TO_VISITOR, VIEW
from cobrowse.server.backends.outage import Unavailable, logged
from cobrowse.server.backends.presence import process_of
from cobrowse.core.constants import CLOSE_DRAINING, CLOSE_IDLE, CLOSE_REPLACED, CLOSE_TOO_SLOW
from cobrowse.core.session import Reasons, States
from cobrowse.server.backends.records import GONE, VISITOR, CodesExhausted, attachment, new_token
from cobrowse.server.backends.views import BATCH, LOST

log = logging.getLogger("cobrowse")

# A session with no agent for this long ends as USER_TIMEOUT (``--agent-wait-timeout``).
AGENT_WAIT_TIMEOUT_SECONDS = 300.0
# How long a dropped visitor or agent may take to come back (``--network-timeout``); a page's
# own networkTimeout is kept within NETWORK_TIMEOUT_RANGE.
NETWORK_TIMEOUT_SECONDS = 30.0
NETWORK_TIMEOUT_RANGE = (5, 300)
# Clients ping every 5 s; a socket silent for this long is closed (``--idle-timeout``).
IDLE_TIMEOUT_SECONDS = 20.0
# What one connection may have waiting to be sent, in characters: two full view logs. An agent
# past it is sent the view afresh instead; a visitor past it is closed.
QUEUE_CHARS = 16 * 1024 * 1024

NO_SESSION = "No active session with that code"
SESSION_OVER = "The co-browse session is over"
AGENT_OVER = "You are no longer in this co-browse session"
NOT_STARTED = "no session has been started on this connection"
NOT_JOINED = "join a session first"
UNAVAILABLE = "The co-browse service is unavailable: please try again shortly"
# The reason a session ends with when the shared state lost it (Redis restarted empty).
SESSION_LOST = "SESSION_LOST"
PONG = protocol.encode("pong")
SNAPSHOT = protocol.encode("snapshot")
DIRECTIONS = {"visitor": protocol.VISITOR_TO_SERVER, "agent": protocol.AGENT_TO_SERVER}


class Connection:
    """One open WebSocket of this process.

    ``id`` is unique in the deployment (``process.number``); ``role`` is ``"visitor"`` or
    ``"agent"``; ``code`` and ``who`` (``VISITOR`` or the agent's id) say what it is attached
    to, None before a start, resume, join or rejoin; ``last`` is when its last frame came
    (``loop.time()``); ``silent`` whether the record says it went quiet; ``closed`` is set once
    the server gave up on it: nothing more is queued for it or heard from it.

    Outgoing messages wait in a queue that one task at a time sends in order; ``push`` refuses
    a message that would take the queue past ``QUEUE_CHARS``. An agent's ``view_seq`` is the
    number of the last view it was sent (None before the first); while it catches up from the
    log, live views wait in ``pending``.
    """

    __slots__ = ("id", "socket", "role", "client", "code", "who", "last", "silent", "closed", "close_code",
                 "queue", "queued", "writer", "view_seq", "pending")

    def __init__(self, conn_id, socket, role, client, now):
        self.id = conn_id
        self.socket = socket
        self.role = role
        self.client = client
        self.code = self.who = None
        self.last = now
        self.silent = False
        self.closed = False
        self.close_code = None
        self.queue = collections.deque()
        self.queued = 0
        self.writer = None
        self.view_seq = None
        self.pending = None

    def push(self, text):
        """Queue ``text``; False (and nothing queued) if that would pass ``QUEUE_CHARS``."""
        if self.closed:
            return True
        if self.queued + len(text) > QUEUE_CHARS:
            return False
        self.queue.append(text)
        self.queued += len(text)
        self._write()
        return True

    def clear(self):
        self.queue.clear()
        self.queued = 0

    def close(self, code):
        """Send what is queued, then close the socket with ``code``; hear nothing more."""
        if not self.closed:
            self.closed = True
            self.close_code = code
            self._write()

    def _write(self):
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self._send_queued())

    async def _send_queued(self):
        try:
            while self.queue:
                text = self.queue.popleft()
                self.queued -= len(text)
                await self.socket.send_text(text)
            if self.close_code is not None:
                await self.socket.close(self.close_code)
        except Exception:  # noqa: BLE001 - a peer that is gone is its handler's to clean up.
            self.clear()

    async def finished(self):
        """Wait until everything queued was sent (or the peer is gone), and the close with it."""
        while self.writer is not None and not self.writer.done():
            await asyncio.shield(self.writer)


def summary(session):
    """What agents see of a session: never its tokens or connections; ``control`` while an
    agent asks for or holds control (``control_server.public_control``)."""
    visitor_connected = session["visitor"] is not None
    record = control_server.public_control(session)
    if not visitor_connected:
        state = "RECONNECTING"
    elif record:
        state = States.ACTIVE_ESCALATED if record["state"] == "granted" else States.ACTIVE_ESCALATING
    else:
        state = "ACTIVE:ACTIVE" if session["agents"] else "ACTIVE:WAIT"
    shown = {
        "accessCode": session["accessCode"],
        "SID": session["SID"],
        "siteCode": session["siteCode"],
        "state": state,
        "visitorConnected": visitor_connected,
        "url": session["url"],
        "title": session["title"],
        "agents": public_agents(session),
    }
    if record:
        shown["control"] = record
    return shown


def public_agents(session):
    """The session's agents as anybody may see them: ``[{"id", "name"}]``, no tokens."""
    return [{"id": agent["id"], "name": agent["name"]} for agent in session["agents"]]


def clamp_network_timeout(seconds):
    """The page's network timeout within ``NETWORK_TIMEOUT_RANGE``, or None if it gave none."""
    if seconds is None:
        return None
    low, high = NETWORK_TIMEOUT_RANGE
    return min(max(seconds, low), high)


def is_full_snapshot(events):
    return any(type(event) is dict and event.get("type") == protocol.FULL_SNAPSHOT for event in events)


class Relay:
    """This process's side of every session (see the module's docstring)."""

    def __init__(self, engine, *, agent_wait_timeout=AGENT_WAIT_TIMEOUT_SECONDS,
                 network_timeout=NETWORK_TIMEOUT_SECONDS, idle_timeout=IDLE_TIMEOUT_SECONDS):
        self.engine = engine
        self.store = engine.store
        self.views = engine.views
        self.limiter = engine.limiter
        self.agent_wait_timeout = agent_wait_timeout
        self.network_timeout = network_timeout
        self.idle_timeout = idle_timeout
        # A socket silent for half the idle timeout (two missed heartbeats by default) is taken
        # to be dead by a resume or rejoin that wants its session.
        self.takeover_silence = idle_timeout / 2
        self.connections = {}  # connection id -> Connection
        self.here = {}  # code -> {who: Connection}: this process's attached connections
        # Connections lost while the shared state was out of reach, to detach once it is back:
        # (code, who, connection id).
        self.undetached = set()
        self.numbers = itertools.count(1)
        self.tasks = set()
        self.started = None
        self.sweeper = None
        self.controls = control_server.ControlMoves(self)
        self.moves = {
            "visitor": {
                "start": (self.start_session, None),
                "resume": (self.resume, None),
                "view": (self.view, NOT_STARTED),
                "page": (self.page, NOT_STARTED),
                "stop": (self.stop_session, NOT_STARTED),
                "navigated_away": (self.navigated_away, NOT_STARTED),
                "control_grant": (self.controls.from_visitor, NOT_STARTED),
                "control_end": (self.controls.from_visitor, NOT_STARTED),
                "refused": (self.controls.from_visitor, NOT_STARTED),
            },
            "agent": {
                "join": (self.join, None),
                "rejoin": (self.rejoin, None),
                "leave": (self.leave, NOT_JOINED),
                "end": (self.end, NOT_JOINED),
                "request_control": (self.controls.from_agent, NOT_JOINED),
                "release_control": (self.controls.from_agent, NOT_JOINED),
                "act": (self.controls.from_agent, NOT_JOINED),
            },
        }

    # -- this process's connections -----------------------------------------------------------

    async def start(self):
        """Start the engine and the idle sweep (once; ``open`` calls it too)."""
        if self.started is None:
            self.started = asyncio.get_running_loop().create_task(
                self.engine.start(self.deliver, self.fire, self.died, self.recovered))
            self.sweeper = self.spawn(self.sweep())
        await asyncio.shield(self.started)

    async def stop(self):
        if self.sweeper is not None:
            self.sweeper.cancel()
        await self.engine.stop()

    async def open(self, socket, role, client=None):
        await self.start()
        conn_id = "%s.%d" % (self.engine.process, next(self.numbers))
        conn = Connection(conn_id, socket, role, client, asyncio.get_running_loop().time())
        self.connections[conn_id] = conn
        return conn

    async def closed(self, conn):
        """The socket is gone: its session waits for it to come back."""
        self.connections.pop(conn.id, None)
        if conn.code is not None:
            code, who = conn.code, conn.who
            self.forget(conn)
            await self.drop(code, who, conn.id)
        # The socket must be closed before its handler returns: the server drops the TCP
        # connection then, and a close frame still queued would never be sent.
        await conn.finished()

    async def drain(self):
        """Hand every connection on: detach it, so another process may take its session at
        once, and close it with ``CLOSE_DRAINING``, which tells the client to reconnect now."""
        for conn in list(self.connections.values()):
            if conn.code is not None:
                code, who = conn.code, conn.who
                self.forget(conn)
                await self.drop(code, who, conn.id)
            conn.close(CLOSE_DRAINING)
        for conn in list(self.connections.values()):
            await conn.finished()

    async def attach_here(self, conn, code, who):
        conn.code, conn.who = code, who
        members = self.here.get(code)
        if members is None:
            members = self.here[code] = {}
            await self.engine.subscribe(code)
        members[who] = conn

    def forget(self, conn):
        """Take ``conn`` out of its session here (not in the record)."""
        code, who = conn.code, conn.who
        conn.code = conn.who = None
        members = self.here.get(code)
        if members is not None and members.get(who) is conn:
            del members[who]
            if not members:
                del self.here[code]
                self.spawn(self.engine.unsubscribe(code))

    def send(self, conn, text):
        if conn.push(text):
            return
        conn.clear()
        if conn.role == "agent":
            # Too slow for the live view: drop what waits and send the view afresh.
            conn.pending = []
            self.spawn(self.catch_up(conn, 0, rebuild=True))
        else:
            self.forget(conn)
            conn.close(CLOSE_TOO_SLOW)

    def refuse(self, conn, error):
        """Answer with an error; ``retryAfter`` travels when the error carries one."""
        self.send(conn, protocol.encode("error", code=error.code, message=error.message,
                                        retryAfter=getattr(error, "retry_after", None)))

    def spawn(self, coroutine):
        """Run ``coroutine`` as a task of its own; a failure is logged with its traceback."""
        task = asyncio.get_running_loop().create_task(logged(coroutine))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def sweep(self):
        """Close connections silent for the idle timeout; tell the record of quiet ones."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, self.idle_timeout / 4))
            now = loop.time()
            for conn in list(self.connections.values()):
                if conn.closed:
                    continue
                if conn.last < now - self.idle_timeout:
                    if conn.code is not None:
                        code, who = conn.code, conn.who
                        self.forget(conn)
                        # In a task of its own, so that a slow store cannot hold up the sweep.
                        self.spawn(self.drop(code, who, conn.id))
                    conn.close(CLOSE_IDLE)
                elif conn.last < now - self.takeover_silence and conn.code is not None and not conn.silent:
                    conn.silent = True
                    self.spawn(self.store.mark_silent(conn.code, conn.who, conn.id, True))

    # -- what the engine brings ---------------------------------------------------------------

    def deliver(self, code, kind, number, text):
        """A publication of session ``code``: hand it to this process's connections."""
        members = self.here.get(code)
        if not members:
            return
        if kind == VIEW:
            for who, conn in list(members.items()):
                if who != VISITOR:
                    self.view_to(conn, number, text)
        elif kind == TO_AGENTS:
            for who, conn in list(members.items()):
                if who != VISITOR:
                    self.send(conn, text)
        elif kind == TO_VISITOR:
            if VISITOR in members:
                self.send(members[VISITOR], text)
        elif kind == TO_AGENT:
            who, _, message = text.partition(" ")
            if who != VISITOR and who in members:
                self.send(members[who], message)
        elif kind == ENDED:
            for conn in list(members.values()):
                self.send(conn, text)
                self.forget(conn)
                conn.close(number)
        elif kind == CLOSE:
            conn = self.connections.get(text)
            if conn is not None and conn.code == code:
                self.forget(conn)
                conn.close(number)

    def view_to(self, conn, seq, text):
        """Send view ``seq`` to an agent once, in order; a gap is filled from the log."""
        if conn.pending is not None:
            conn.pending.append((seq, text))
        elif conn.view_seq is not None and seq <= conn.view_seq:
            return
        elif conn.view_seq is not None and seq > conn.view_seq + 1:
            conn.pending = [(seq, text)]
            self.spawn(self.catch_up(conn, conn.view_seq, rebuild=True))
        else:
            conn.view_seq = seq
            self.send(conn, text)

    async def catch_up(self, conn, after, rebuild=False):
        """Send an agent the views after ``after`` from the log, in batches: the visitor's page
        for one who just joined or came back, the views it missed for one with a gap. When the
        log cannot tell (it outgrew its limit; or, with ``rebuild``, there is none yet views
        were missed), the visitor is asked for a new snapshot, which every agent then gets."""
        code = conn.code
        sent, ask = after, False
        while True:
            head, entries = await self.views.read(code, sent, BATCH)
            if conn.code != code:
                return
            if entries == LOST:
                ask = True
                await self.views.drop(code)
                break
            if not entries:
                ask = rebuild and head > sent
                break
            for seq, text in entries:
                self.send(conn, text)
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

    async def fire(self, key):
        """A timer is due: end what waited too long, if it still waits."""
        kind, code, *rest = key.split(":")
        session = await self.store.get(code)
        if session is None:
            return
        if kind == "visitor" and session["visitor"] is None:
            await self.end_session(code, Reasons.NETWORK_TIMEOUT)
        elif kind == "agent" and attachment(session, rest[0]) is None:
            await self.agent_left(code, rest[0])
        elif kind == "wait" and not session["agents"]:
            await self.end_session(code, Reasons.USER_TIMEOUT)
        elif kind == "control":
            await self.controls.expired(code, rest[0])

    async def died(self, process, codes):
        """Another process died: its connections count as dropped from now on."""
        for code in codes:
            session = await self.store.get(code)
            if session is None:
                continue
            for who in [VISITOR] + [agent["id"] for agent in session["agents"]]:
                current = attachment(session, who)
                if isinstance(current, dict) and process_of(current["conn"]) == process:
                    await self.dropped(code, who, current["conn"])

    async def recovered(self):
        """Back in touch after publications may have been lost (the shared state was out of
        reach): detach the connections lost meanwhile, end here what ended meanwhile or was
        lost, attach again what was detached meanwhile, and catch every agent up from the log."""
        for code, who, conn_id in list(self.undetached):
            await self.dropped_during_outage(code, who, conn_id)
            self.undetached.discard((code, who, conn_id))
        for code, members in list(self.here.items()):
            session = await self.store.get(code)
            if session is None:
                self.deliver(code, ENDED, 1000, protocol.encode("ended", reason=SESSION_LOST))
                continue
            for who, conn in list(members.items()):
                current = attachment(session, who)
                if current is None and await self.store.attach(code, who, conn.id):
                    await self.engine.cancel(("visitor:" + code) if who == VISITOR else "agent:%s:%s" % (code, who))
                elif current == GONE:
                    self.send(conn, protocol.encode("ended", reason=Reasons.NETWORK_TIMEOUT))
                    self.forget(conn)
                    conn.close(1000)
                elif who != VISITOR and conn.pending is None:
                    conn.pending = []
                    self.spawn(self.catch_up(conn, conn.view_seq or 0, rebuild=True))
            await self.broadcast(code)

    # -- moves shared by both sides -----------------------------------------------------------

    async def receive(self, conn, text):
        """Handle one frame from ``conn``; a bad one is answered with an error."""
        conn.last = asyncio.get_running_loop().time()
        if conn.silent:
            conn.silent = False
            if conn.code is not None:
                self.spawn(self.store.mark_silent(conn.code, conn.who, conn.id, False))
        kind = None
        try:
            message = protocol.decode(text, DIRECTIONS[conn.role])
            kind = message["type"]
            if kind == "ping":
                self.send(conn, PONG)
                return
            move, unattached = self.moves[conn.role][kind]
            if unattached and conn.code is None:
                raise protocol.ProtocolError("out_of_order", unattached)
            await move(conn, message, text)
        except protocol.ProtocolError as error:
            self.refuse(conn, error)
        except Unavailable:
            # The engine logged the outage; the socket stays open, and the client may try again.
            # A view is dropped without a word: agents are caught up when the outage is over.
            if kind != "view":
                self.refuse(conn, protocol.ProtocolError("unavailable", UNAVAILABLE))

    async def drop(self, code, who, conn_id):
        """``dropped``; while the shared state is out of reach, remembered and done once it is
        back (``recovered``), so that a visitor or agent lost during an outage who never comes
        back still times out."""
        try:
            await self.dropped(code, who, conn_id)
        except Unavailable:
            self.undetached.add((code, who, conn_id))
        except Exception:  # noqa: BLE001 - a background failure must be seen, not lost.
            log.exception("cobrowse: a lost connection could not be detached")

    async def dropped(self, code, who, conn_id):
        """Connection ``conn_id`` of ``who`` is gone: the session waits for it to come back."""
        session = await self.store.detach(code, who, conn_id)
        if session is not None:
            await self.wait_for_return(code, who, session)

    async def dropped_during_outage(self, code, who, conn_id):
        """``dropped``, once the shared state is back: the detach tried during the outage may
        have been carried out after all, late, so a record with nobody attached for ``who``
        counts as detached by it."""
        session = await self.store.detach(code, who, conn_id)
        if session is None:
            session = await self.store.get(code)
            if session is None or attachment(session, who) is not None:
                return
        await self.wait_for_return(code, who, session)

    async def wait_for_return(self, code, who, session):
        """Start the timer of ``who``, just detached, and tell the others (of a visitor)."""
        if who == VISITOR:
            await self.engine.schedule("visitor:" + code, session["networkTimeout"] or self.network_timeout)
            await self.broadcast(code)
        else:
            await self.engine.schedule("agent:%s:%s" % (code, who), self.network_timeout)

    async def take_over(self, code, who, current, conn):
        """Refuse with ``in_use`` if ``who``'s attached connection ``current`` is alive; close
        one that is silent, or whose process died, so that ``conn`` may take its place."""
        if current is None or current == GONE:
            return
        holder = self.connections.get(current["conn"])
        process = process_of(current["conn"])
        if holder is None and process == self.engine.process:
            return  # Closed here while the record was out of reach: nothing to close.
        if holder is not None:
            if asyncio.get_running_loop().time() - holder.last <= self.takeover_silence:
                raise in_use(conn)
            self.forget(holder)
            holder.close(CLOSE_REPLACED)
        elif current.get("silent") or not await self.engine.alive(process):
            await self.engine.publish(code, CLOSE, CLOSE_REPLACED, current["conn"])
        else:
            raise in_use(conn)

    async def broadcast(self, code):
        """Tell the session's attached agents what it looks like now."""
        session = await self.store.get(code)
        if session is not None and any(agent.get("conn") for agent in session["agents"]):
            await self.engine.publish(code, TO_AGENTS, 0, protocol.encode("session", session=summary(session)))

    async def end_session(self, code, reason, url=None):
        """End a live session for everyone in it; a second end of the same session is a no-op."""
        session = await self.store.end(code)
        if session is None:
            return
        await self.engine.cancel("visitor:" + code)
        await self.engine.cancel("wait:" + code)
        for agent in session["agents"]:
            await self.engine.cancel("agent:%s:%s" % (code, agent["id"]))
        await self.views.close(code)
        await self.engine.publish(code, ENDED, 1000, protocol.encode("ended", reason=reason, url=url))

    async def agent_left(self, code, agent_id):
        """Take an agent out of its session and tell the visitor, once."""
        await self.engine.cancel("agent:%s:%s" % (code, agent_id))
        await self.controls.agent_gone(code, agent_id)
        agent = await self.store.remove_agent(code, agent_id)
        if agent is None:
            return
        await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("agent_left", id=agent["id"], name=agent["name"]))
        await self.broadcast(code)
        session = await self.store.get(code)
        if session is not None and not session["agents"]:
            # The visitor stops recording: what the log holds would be stale for the next agent.
            await self.views.drop(code)
            await self.engine.schedule("wait:" + code, self.agent_wait_timeout)

    # -- the visitor's moves ------------------------------------------------------------------

    async def start_session(self, conn, message, text):
        if conn.code is not None:
            raise protocol.ProtocolError("out_of_order", "this connection already has a session")
        timeout = clamp_network_timeout(message.get("networkTimeout"))
        try:
            session = await self.store.create(message["siteCode"], message.get("SID"), message.get("url"),
                                              network_timeout=timeout)
        except CodesExhausted:
            raise protocol.ProtocolError("unavailable", "The co-browse service is busy: please try again later")
        code = session["accessCode"]
        await self.store.attach(code, VISITOR, conn.id)
        await self.attach_here(conn, code, VISITOR)
        await self.engine.schedule("wait:" + code, self.agent_wait_timeout)
        self.send(conn, protocol.encode("started", accessCode=code, SID=session["SID"], token=session["token"]))

    async def resume(self, conn, message, text):
        if conn.code is not None:
            raise protocol.ProtocolError("out_of_order", "this connection already has a session")
        session = await self.store.by_token(message["token"])
        if session is None:
            raise protocol.ProtocolError("no_session", SESSION_OVER)
        code = session["accessCode"]
        await self.take_over(code, VISITOR, session["visitor"], conn)
        if await self.store.attach(code, VISITOR, conn.id, session["visitor"]) is None:
            raise in_use(conn) if await self.store.get(code) else protocol.ProtocolError("no_session", SESSION_OVER)
        changes = {}
        if message.get("url") is not None:
            changes["url"] = message["url"]
        if message.get("networkTimeout") is not None:
            changes["networkTimeout"] = clamp_network_timeout(message["networkTimeout"])
        if changes:
            await self.store.update(code, **changes)
        token = await self.store.new_token(code)
        if token is None:
            raise protocol.ProtocolError("no_session", SESSION_OVER)
        await self.engine.cancel("visitor:" + code)
        await self.attach_here(conn, code, VISITOR)
        self.send(conn, protocol.encode("resumed", accessCode=code, SID=session["SID"], token=token,
                                        agents=public_agents(session),
                                        control=control_server.public_control(session)))
        await self.broadcast(code)

    async def view(self, conn, message, text):
        """The hot path: a view message, validated by ``protocol.decode``, goes to every agent
        as the text that came, and into the session's log for agents who join later."""
        code = conn.code
        full = is_full_snapshot(message["events"])
        if full:
            # A log starts only in a session that agents are in (agents need the key): a visitor
            # alone cannot make the server hold megabytes for it.
            session = await self.store.get(code)
            full = session is not None and bool(session["agents"])
        await self.engine.publish_view(code, text, full)

    async def page(self, conn, message, text):
        await self.store.update(conn.code, url=message["url"], title=message.get("title"))
        await self.broadcast(conn.code)

    async def stop_session(self, conn, message, text):
        await self.end_session(conn.code, message["reason"])

    async def navigated_away(self, conn, message, text):
        await self.end_session(conn.code, Reasons.NAVIGATED_AWAY, message["url"])

    # -- the agents' moves --------------------------------------------------------------------

    async def join(self, conn, message, text):
        if conn.code is not None:
            raise protocol.ProtocolError("out_of_order", "this connection has already joined a session")
        wait = await self.limiter.retry_after(conn.client)
        if wait:
            error = protocol.ProtocolError("rate_limited", "Too many attempts, wait %d s" % wait)
            error.retry_after = wait
            raise error
        name = " ".join(message["name"].split())
        if not name:
            raise protocol.ProtocolError("bad_name", "Please enter your name")
        session = await self.store.find(message["code"].strip())
        if session is None:
            await self.limiter.failed(conn.client)
            raise protocol.ProtocolError("no_session", NO_SESSION)
        code = session["accessCode"]
        agent = {"id": secrets.token_hex(16), "name": name, "token": new_token(), "conn": {"conn": conn.id}}
        session = await self.store.add_agent(code, agent)
        if session is None:
            raise protocol.ProtocolError("no_session", NO_SESSION)
        await self.engine.cancel("wait:" + code)
        conn.pending = []
        await self.attach_here(conn, code, agent["id"])
        self.send(conn, protocol.encode("joined", id=agent["id"], name=name, token=agent["token"],
                                        session=summary(session)))
        await self.engine.publish(code, TO_VISITOR, 0, protocol.encode("agent_joined", id=agent["id"], name=name))
        await self.catch_up(conn, 0)
        await self.broadcast(code)

    async def rejoin(self, conn, message, text):
        if conn.code is not None:
            raise protocol.ProtocolError("out_of_order", "this connection has already joined a session")
        found = await self.store.agent_by_token(message["token"])
        if found is None:
            raise protocol.ProtocolError("no_session", AGENT_OVER)
        session, agent = found
        code, agent_id = session["accessCode"], agent["id"]
        await self.take_over(code, agent_id, agent.get("conn"), conn)
        session = await self.store.attach(code, agent_id, conn.id, agent.get("conn"))
        if session is None:
            found = await self.store.agent_by_token(message["token"])
            raise in_use(conn) if found else protocol.ProtocolError("no_session", AGENT_OVER)
        token = await self.store.new_agent_token(code, agent_id)
        if token is None:
            raise protocol.ProtocolError("no_session", AGENT_OVER)
        await self.engine.cancel("agent:%s:%s" % (code, agent_id))
        conn.pending = []
        await self.attach_here(conn, code, agent_id)
        self.send(conn, protocol.encode("joined", id=agent_id, name=agent["name"], token=token,
                                        session=summary(session)))
        await self.catch_up(conn, 0)

    async def leave(self, conn, message, text):
        code, agent_id = conn.code, conn.who
        self.forget(conn)
        await self.agent_left(code, agent_id)
        conn.close(1000)

    async def end(self, conn, message, text):
        await self.end_session(conn.code, Reasons.AGENT_INITIATED)


def in_use(conn):
    where = "another tab" if conn.role == "visitor" else "another console"
    return protocol.ProtocolError("in_use", "This co-browse session is open in %s" % where)
