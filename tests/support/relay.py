"""An in-process relay for the server tests: a real ``Relay`` over a real engine (in memory, or
Redis on the tests' redis-server), fake sockets instead of a server's, and a clock that moves
only when the test moves it. A move runs at the core's speed and a 300 s timeout in a moment.

Public names:

- ``run_relay(steps, engine, **options)``: run ``await steps(local)`` on a fresh ``Local`` in an
  event loop of its own; ``engine`` is ``"memory"`` or the URL of a redis-server, ``options``
  go to ``Relay`` (``network_timeout=...``) but ``store``, the memory engine's store. It fails if
  the relay logged an error, or did not stop.
- ``run_relays(steps, count, url, **options)``: the same with ``count`` relays on Redis at
  ``url``, each on an engine of its own (a server process of a deployment, in process), one
  clock for all: ``await steps(*locals)``.
- ``Local``: one relay, its engine and clock. ``peer(role, address, identity)`` opens a
  connection to it (an agent signed in as ``identity``, a ``tokens.Identity``, if given)
  (``support.wire``'s ``visitor(local)`` and ``agent(local)`` call it); ``advance(seconds)``
  moves the clock on, and the open peers ping every ``HEARTBEAT_SECONDS`` meanwhile, as the
  widget and the console do (a peer with ``heartbeat = False`` stays silent).
- ``LocalPeer``: a ``support.wire.Speaker`` on a ``FakeSocket``: what it sends is handed to
  ``relay.receive`` as the server's socket handler does; ``pause()`` and ``resume()`` its reading;
  ``received_at``: the clock's time when the relay sent the message it received last.
- ``FakeSocket``: what the relay writes to: ``send_text`` and ``close``, recording the texts
  sent and the close code, and when (on the clock) it closed.
- ``Warped(engine, timeline)``: a Redis engine whose timers go by the manual clock: when the
  clock reaches one, it is handed to the engine's own timers, due at once; ``Timeline(clock)``
  holds the timers of every such engine of a test, as Redis holds a deployment's, and waits
  (``fired()``) until the engines have run those handed to them.
"""

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from cobrowse.core import constants, protocol
from cobrowse.server.backends.memory.engine import MemoryEngine
from cobrowse.server.backends.redis.engine import RedisEngine
from cobrowse.server.relay import Relay
from support.clock import ManualClock
from support.loop import run_async
from support.processes import AGENT_KEY
from support.wire import TIMEOUT, Speaker

# How often the widget and the console ping.
HEARTBEAT_SECONDS = constants.HEARTBEAT_MS / 1000
PONG = protocol.encode("pong")


class FakeSocket:
    """A socket as the relay sees one. ``texts`` is everything it was sent, ``close_code`` how
    the server closed it and ``closed_at`` when; ``gone`` once the client went away (sending
    fails then)."""

    def __init__(self, clock, on_close):
        self.clock = clock
        self.texts = []
        self.close_code = self.closed_at = None
        self.gone = False
        self.inbox = asyncio.Queue()  # (time, text) the client has yet to read; (time, None): closed.
        self.reading = asyncio.Event()
        self.reading.set()
        self._on_close = on_close

    async def send_text(self, data):
        await self.reading.wait()
        if self.gone or self.close_code is not None:
            raise ConnectionError("the socket is closed")
        self.texts.append(data)
        self.inbox.put_nowait((self.clock.now, data))

    async def close(self, code):
        if self.gone or self.close_code is not None:
            raise ConnectionError("the socket is closed")
        self.close_code, self.closed_at = code, self.clock.now
        self.inbox.put_nowait((self.clock.now, None))
        self._on_close()


class LocalPeer(Speaker):
    """A visitor or an agent on a fake socket of ``local``'s relay."""

    def __init__(self, local, role):
        super().__init__(protocol.SERVER_TO_VISITOR if role == "visitor" else protocol.SERVER_TO_AGENT)
        self.local = local
        self.socket = FakeSocket(local.clock, self._closed_by_server)
        self.conn = None
        self.received_at = None
        self.left = False
        self.heartbeat = True
        self.next_beat = local.clock.now + HEARTBEAT_SECONDS
        self._beats = 0  # pongs of the heartbeat on their way, which the test does not see

    async def send_raw(self, data):
        if self.left or self.socket.close_code is not None:
            raise ConnectionClosed(Close(self.socket.close_code or 1000, ""), None)
        # The server's handler stops reading once the relay gave up on the connection.
        if not self.conn.closed:
            await self.local.relay.receive(self.conn, data)

    async def receive_text(self):
        while True:
            sent_at, text = await asyncio.wait_for(self.socket.inbox.get(), TIMEOUT)
            if text is None:
                self.socket.inbox.put_nowait((sent_at, None))
                raise ConnectionClosed(Close(self.socket.close_code, ""), None)
            if text == PONG and self._beats:
                self._beats -= 1
                continue
            self.received_at = sent_at
            return text

    async def beat(self):
        """The client's heartbeat: a ping whose pong the test does not see."""
        self.next_beat += HEARTBEAT_SECONDS
        if self.heartbeat and not self.left and self.socket.close_code is None:
            self._beats += 1
            await self.send("ping")

    def pause(self):
        """Read nothing from now on: what the relay sends waits, as on a full TCP buffer."""
        self.socket.reading.clear()

    def resume(self):
        self.socket.reading.set()

    async def drop(self, how="drop"):
        """The client is gone (``close`` or ``drop``: to the relay both end the socket)."""
        if self.left:
            return
        self.left = self.socket.gone = True
        self.resume()
        if self.socket.close_code is None:
            await self.local.relay.closed(self.conn)

    def _closed_by_server(self):
        # The handler returns once the close is through, and tells the relay then.
        self.local.spawn(self.local.relay.closed(self.conn))


class Local:
    """One in-process relay: its ``engine``, ``clock`` and ``relay``, and ``peers``, the clients
    opened on it or on the relays it shares the clock with."""

    def __init__(self, engine, clock, relay, peers):
        self.engine = engine
        self.clock = clock
        self.relay = relay
        self.peers = peers
        self.tasks = set()

    def spawn(self, coroutine):
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    @contextlib.asynccontextmanager
    async def peer(self, role, address=None, identity=None):
        opened = LocalPeer(self, role)
        client = (identity.id if identity else AGENT_KEY, address) if role == "agent" else None
        opened.conn = await self.relay.open(opened.socket, role, client, address, identity)
        self.peers.append(opened)
        try:
            yield opened
        finally:
            await opened.drop("close")

    async def advance(self, seconds):
        """Move the clock on by ``seconds``; open peers ping on their heartbeat meanwhile."""
        until = self.clock.now + seconds
        while True:
            beating = [peer for peer in self.peers if not peer.left and peer.socket.close_code is None]
            due = min((peer.next_beat for peer in beating), default=None)
            if due is None or due > until:
                break
            await self.clock.advance(max(0.0, due - self.clock.now))
            for peer in beating:
                if peer.next_beat <= due:
                    await peer.beat()
        await self.clock.advance(until - self.clock.now)

    async def close(self):
        """The clients go away."""
        for peer in self.peers:
            if peer.local is self:
                await peer.drop("close")
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=TIMEOUT)

    async def stop(self):
        """Stop the relay (and its engine), as the server does when it shuts down."""
        stopping = asyncio.get_running_loop().create_task(self.relay.stop())
        done, _ = await asyncio.wait([stopping], timeout=TIMEOUT)
        if not done:
            stopping.cancel()
            raise AssertionError("the relay did not stop within %d s" % TIMEOUT)
        stopping.result()


class Timeline:
    """The timers of one test's Redis engines (one deployment) on ``clock``: ``waiting`` by key
    until the clock reaches them, then ``due`` until an engine fired them."""

    def __init__(self, clock):
        self.clock = clock
        self.waiting = {}  # key -> the clock's handle
        self.due = {}  # key -> a future, set when an engine has fired the timer
        clock.settlers.append(self.fired)

    def done(self, key):
        future = self.due.pop(key, None)
        if future is not None and not future.done():
            future.set_result(None)

    async def fired(self):
        """Wait until the engines have run every timer handed to them."""
        if self.due:
            await asyncio.wait_for(asyncio.gather(*self.due.values()), TIMEOUT)


class Warped:
    """``engine`` (a ``RedisEngine``) with its timers kept on ``timeline``: each is handed to
    the engine due at once when the clock reaches it, and runs on the engines' timer loops."""

    def __init__(self, engine, timeline):
        self.engine = engine
        self.timeline = timeline

    def __getattr__(self, name):
        return getattr(self.engine, name)

    async def start(self, deliver, fire, died, recovered):
        async def fire_and_tell(key):
            try:
                await fire(key)
            finally:
                self.timeline.done(key)
        await self.engine.start(deliver, fire_and_tell, died, recovered)

    async def schedule(self, key, delay):
        await self.cancel(key)
        self.timeline.waiting[key] = self.timeline.clock.call_later(delay, lambda: self._hand_on(key))

    def _hand_on(self, key):
        self.timeline.waiting.pop(key, None)
        self.timeline.due[key] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().create_task(self.engine.schedule(key, 0))

    async def cancel(self, key):
        handle = self.timeline.waiting.pop(key, None)
        if handle is not None:
            handle.cancel()
        if key in self.timeline.due:
            await self.engine.cancel(key)
            self.timeline.done(key)


def run_relay(steps, engine="memory", store=None, **options):
    return run_async(_run(steps, engine, 1, store, options))


def run_relays(steps, count, url, **options):
    return run_async(_run(steps, url, count, None, options))


async def _run(steps, engine, count, store, options):
    clock = ManualClock()
    if engine == "memory":
        engines = [MemoryEngine(store=store, clock=clock)]
    else:
        await _flush(engine)
        timeline = Timeline(clock)
        engines = [Warped(RedisEngine(engine), timeline) for _ in range(count)]
    peers = []  # Every client of the deployment, which heartbeat whichever relay's clock moves.
    relays = [Local(shared, clock, Relay(shared, clock=clock, **options), peers) for shared in engines]
    errors = _Errors()
    logging.getLogger("cobrowse").addHandler(errors)
    try:
        for local in relays:
            await local.relay.start()
        try:
            await steps(*relays)
        finally:
            for local in relays:
                await local.close()
            for local in relays:
                await local.stop()
    finally:
        logging.getLogger("cobrowse").removeHandler(errors)
    assert not errors.records, "the relay logged errors:\n" + "\n".join(errors.records)


async def _flush(url):
    client = aioredis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


class _Errors(logging.Handler):
    """The errors logged meanwhile, with their tracebacks."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(logging.Formatter().format(record))
