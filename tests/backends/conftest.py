"""The backends' contract suite is fed a factory: every test that takes ``backend`` runs twice,
against the memory backend and against Redis (a real redis-server of the tests' own, its DB 9
flushed before each test), with time moved by hand.

- ``backend(scenario)``: runs coroutine function ``scenario(made)`` on a fresh event loop, with
  ``made`` a ``MemoryBackend`` or a ``RedisBackend`` (the same methods), and closes what it made.
- ``redis_backend(scenario)``: the same, with Redis only (tests of several processes); its
  ``made`` also has ``url``, ``client()``, ``wall``, ``stop(engine)`` and ``kill(engine)``.
- The engines' clock is ``support.clock.ManualClock``; ``Wall``: the time of day, moved by hand; ``Heard``: what an engine's callbacks were given.
"""

import asyncio

import pytest
import redis.asyncio as aioredis

from cobrowse.server.backends.limiter import JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS
from cobrowse.server.backends.memory.engine import MemoryEngine
from cobrowse.server.backends.memory.limiter import MemoryJoinLimiter
from cobrowse.server.backends.memory.store import MemoryStore
from cobrowse.server.backends.memory.views import MemoryViewLog
from cobrowse.server.backends.redis.engine import RedisEngine
from cobrowse.server.backends.redis.limiter import RedisJoinLimiter
from cobrowse.server.backends.redis.store import RedisStore
from cobrowse.server.backends.redis.views import RedisViewLog
from cobrowse.server.backends.views import VIEW_LOG_CHARS
from support.clock import ManualClock
from support.loop import run_async

# Redis keeps the suite's keys in a database of their own.
DB = 9
# How long a test waits for what another process should hear (a deadline, not a measure).
HEARING_SECONDS = 5


class Wall:
    """The time of day (``time.time``'s stand-in), moved by hand."""

    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


class Heard:
    """What one engine's callbacks were given: ``delivered`` publications, ``fired`` timer
    keys, ``deaths`` ``(process, codes)``, ``recoveries`` (a count)."""

    def __init__(self):
        self.delivered = []
        self.fired = []
        self.deaths = []
        self.recoveries = 0

    def deliver(self, code, kind, number, text):
        self.delivered.append((code, kind, number, text))

    async def fire(self, key):
        self.fired.append(key)

    async def died(self, process, codes):
        self.deaths.append((process, sorted(codes)))

    async def recovered(self):
        self.recoveries += 1

    async def wait_for(self, count):
        """Wait until ``count`` publications were delivered here (or fail after a while)."""
        deadline = asyncio.get_running_loop().time() + HEARING_SECONDS
        while len(self.delivered) < count:
            assert asyncio.get_running_loop().time() < deadline, "heard only %r" % (self.delivered,)
            await asyncio.sleep(0.01)


class MemoryBackend:
    """The memory backend's parts, on one ``ManualClock``."""

    name = "memory"

    def __init__(self):
        self.clock = ManualClock()
        self.store = MemoryStore(self.clock)
        self.engines = []

    async def open(self):
        pass

    async def close(self):
        for engine in self.engines:
            await engine.stop()

    def heard(self):
        return Heard()

    async def stop(self, engine):
        """Stop ``engine`` before the test ends."""
        self.engines.remove(engine)
        await engine.stop()

    def stores(self, count):
        """The store as ``count`` processes see it (one process here: the same store)."""
        return [self.store] * count

    def limiter(self, attempts=JOIN_ATTEMPTS, window=JOIN_WINDOW_SECONDS):
        return MemoryJoinLimiter(attempts, window, self.clock)

    def views(self, limit=VIEW_LOG_CHARS):
        return MemoryViewLog(limit)

    async def engine(self, heard):
        engine = MemoryEngine(self.store, clock=self.clock)
        await engine.start(heard.deliver, heard.fire, heard.died, heard.recovered)
        self.engines.append(engine)
        return engine

    async def advance(self, seconds):
        """Move time on by ``seconds``; the timers due meanwhile run."""
        await self.clock.advance(seconds)


class RedisBackend:
    """The Redis backend's parts, on one redis-server; engines run on a ``ManualClock`` that
    never moves (their heartbeats and polls are run by hand: ``advance``), the time of day
    they put deadlines and failures on is a ``Wall``."""

    name = "redis"

    def __init__(self, url):
        self.url = url
        self.clock = ManualClock()
        self.wall = Wall()
        self.clients = []
        self.logs = []
        self.engines = []  # (engine, heard)

    def client(self):
        client = aioredis.Redis.from_url(self.url)
        self.clients.append(client)
        return client

    async def open(self):
        await self.client().flushdb()

    async def close(self):
        for engine, _ in self.engines:
            await engine.stop()
        for log in self.logs:
            await log.aclose()
        for client in self.clients:
            await client.aclose()

    def heard(self):
        return Heard()

    async def stop(self, engine):
        """Stop ``engine`` before the test ends (as a process stops: the others go on)."""
        self.engines = [(each, heard) for each, heard in self.engines if each is not engine]
        await engine.stop()

    async def kill(self, engine):
        """End ``engine`` as a killed process ends: its rounds stop, it tells Redis nothing,
        and its heartbeat key expires."""
        self.engines = [(each, heard) for each, heard in self.engines if each is not engine]
        for task in engine.tasks:
            task.cancel()
        await asyncio.gather(*engine.tasks, return_exceptions=True)
        await engine.views.aclose()
        await engine.redis.aclose()
        await self.clients[0].delete("cb:proc:" + engine.process)

    def stores(self, count):
        """The store as ``count`` processes see it: a client of Redis each."""
        return [RedisStore(self.client()) for _ in range(count)]

    def limiter(self, attempts=JOIN_ATTEMPTS, window=JOIN_WINDOW_SECONDS):
        return RedisJoinLimiter(self.client(), attempts, window, wall=self.wall)

    def views(self, limit=VIEW_LOG_CHARS):
        log = RedisViewLog(self.client(), limit)
        self.logs.append(log)
        return log

    async def engine(self, heard):
        engine = RedisEngine(self.url, clock=self.clock, wall=self.wall)
        await engine.start(heard.deliver, heard.fire, heard.died, heard.recovered)
        self.engines.append((engine, heard))
        return engine

    async def advance(self, seconds):
        """Move the time of day on by ``seconds``, then run a round of the heartbeat and a poll
        of the timers on every engine, in the order they were made."""
        self.wall.now += seconds
        for engine, heard in self.engines:
            await engine.heartbeat(heard.died, heard.recovered)
            await engine.timers.fire_due(heard.fire)


def redis_url(redis):
    return redis.url.rsplit("/", 1)[0] + "/%d" % DB


def runner(make):
    def run(scenario):
        async def main():
            made = make()
            await made.open()
            try:
                return await scenario(made)
            finally:
                await made.close()
        return run_async(main())
    return run


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    if request.param == "memory":
        return runner(MemoryBackend)
    url = redis_url(request.getfixturevalue("redis"))
    return runner(lambda: RedisBackend(url))


@pytest.fixture
def redis_backend(redis):
    url = redis_url(redis)
    return runner(lambda: RedisBackend(url))
