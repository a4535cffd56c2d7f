"""Publications between processes through Redis (channels ``p:ID``, keys ``where:``, ``pcodes:``).

Public names:

- ``RedisBroker(client, guard, process, views, clock)``: the ``broker.Broker`` of process
  ``process``; ``listen(deliver, recovered)`` holds its channel, ``register_again`` and
  ``leave`` keep Redis's account of its sessions.

Each process listens on one channel of its own, ``p:ID``. A publication goes, in one script, to
the channels of the processes in the session's ``where`` set other than its origin (which
delivered it at once), as ``origin \\n code \\n kind \\n number \\n text`` preceded by its
length in bytes and a newline; the views of one batch bound for one process go as one message
(``views.RedisViewLog``). So a session whose people are all on one process costs no pub/sub at
all, and no process hears its own publications back. A process joins a session's ``where`` set
only while its channel is subscribed; after a lost pub/sub connection the engine is told
(``recovered``) so that it checks its sessions and fills its agents' gaps from the log.
"""

import asyncio
import logging

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from cobrowse.server.backends.broker import VIEW, Deliver
from cobrowse.server.backends.engine import Recovered
from cobrowse.server.backends.outage import logged
from cobrowse.server.backends.redis.guard import REDIS_ERRORS, Guard, quietly, raise_if_cancelled
from cobrowse.server.backends.redis.keys import SESSION_SECONDS, decoded, key
from cobrowse.server.backends.redis.lua import register
from cobrowse.server.backends.redis.views import RedisViewLog
from cobrowse.server.clock import Clock

log = logging.getLogger("cobrowse")

# How long a subscription waits for this process's channel, and a lost channel before it is
# subscribed again.
LISTENING_SECONDS = 2
RESUBSCRIBE_SECONDS = 0.5


class RedisBroker:
    """This process's channel, and the sessions it holds connections of."""

    def __init__(self, client: aioredis.Redis, guard: Guard, process: str, views: RedisViewLog, clock: Clock) -> None:
        self.redis = client
        self.guard = guard
        self.process = process
        self.views = views
        self.clock = clock
        self.channel = key("p", process)
        self._fan_out = register(client, "fan_out")
        # The sessions this process holds connections of; those whose registration in Redis
        # failed, for the next heartbeat to retry; set while the channel is subscribed.
        self.codes: set[str] = set()
        self.unregistered: set[str] = set()
        self.listening = asyncio.Event()
        self.deliver: Deliver | None = None

    async def publish(self, code: str, kind: str, number: int, text: str) -> None:
        self._delivered()(code, kind, number, text)
        publication = "%s\n%s\n%s\n%d\n%s" % (self.process, code, kind, number, text)
        await self.guard.run(self._fan_out, [key("where", code)], [self.process, publication])

    async def publish_view(self, code: str, text: str, full: bool) -> int:
        seq = await self.views.record_and_publish(code, text, full, self.process)
        self._delivered()(code, VIEW, seq, text)
        return seq

    async def subscribe(self, code: str) -> None:
        """Join the session's ``where`` set once this process's channel is subscribed: from
        then on every publication of it reaches us (earlier views are in the log)."""
        if code in self.codes:
            return
        self.codes.add(code)
        self.unregistered.add(code)
        await self.guard.run(self._register_when_listening, code)

    async def _register_when_listening(self, code: str) -> None:
        await asyncio.wait_for(self.listening.wait(), LISTENING_SECONDS)
        await self._register([code])

    async def unsubscribe(self, code: str) -> None:
        if code not in self.codes:
            return
        self.codes.discard(code)
        self.unregistered.discard(code)
        await self.guard.run(self._unregister, code)

    async def _unregister(self, code: str) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.srem(key("where", code), self.process)
            pipe.srem(key("pcodes", self.process), code)
            await pipe.execute()

    async def register_again(self, everything: bool) -> None:
        """Register the sessions whose registration failed, or all of them (Redis lost them)."""
        registering = self.codes if everything else self.unregistered
        if registering:
            await self._register(list(registering))

    async def _register(self, codes: list[str]) -> None:
        """Put ``codes`` in this process's ``pcodes`` set and this process in their ``where``
        sets (again, after Redis lost them)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.sadd(key("where", code), self.process)
                pipe.expire(key("where", code), SESSION_SECONDS)
            pipe.sadd(key("pcodes", self.process), *codes)
            await pipe.execute()
        self.unregistered.difference_update(codes)

    def leave(self, pipe: Pipeline) -> None:
        """Queue the end of this process's registrations (it stops, and left none attached)."""
        for code in self.codes:
            pipe.srem(key("where", code), self.process)
        pipe.delete(key("pcodes", self.process))

    async def listen(self, recovered: Recovered | None) -> None:
        """Hold the pub/sub connection on this process's channel: (re)subscribe, take
        publications, report a loss."""
        lost = False
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                raise_if_cancelled()
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    raise_if_cancelled()
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self.listening.set()
                        if lost:
                            # Publications may have been missed meanwhile. While Redis still
                            # counts as away, the heartbeat that finds it back runs
                            # ``recovered`` instead.
                            lost = False
                            if recovered is not None and self.guard.problem is None:
                                await logged(recovered())
                    elif message["type"] == "message":
                        await self._take(message["data"])
            except asyncio.CancelledError:
                self.listening.clear()
                await quietly(pubsub.aclose())
                raise
            except REDIS_ERRORS as error:
                self.listening.clear()
                self.guard.failed(error)
                lost = True
                await quietly(pubsub.aclose())
                await self.clock.sleep(RESUBSCRIBE_SECONDS)
            except Exception:  # noqa: BLE001 - one bad publication must not stop the others.
                log.exception("cobrowse: a publication could not be delivered")
                self.listening.clear()
                lost = True
                await quietly(pubsub.aclose())

    async def _take(self, data: bytes) -> None:
        """Deliver the publications of ``data``: each is its length in bytes, a newline and
        itself (a batch of views to one process is one message)."""
        start = 0
        while start < len(data):
            newline = data.index(b"\n", start)
            end = newline + 1 + int(data[start:newline])
            await self._deliver_one(data[newline + 1:end].decode())
            start = end

    async def _deliver_one(self, publication: str) -> None:
        origin, code, kind, number, text = publication.split("\n", 4)
        if kind == "bigview":
            kind, raw = VIEW, await self.redis.get(key("big", code, number))
            if raw is None:
                return  # Gone already: the agents' next view shows the gap, filled from the log.
            text = decoded(raw)
        self._delivered()(code, kind, int(number), text)

    def _delivered(self) -> Deliver:
        assert self.deliver is not None, "publications come once the engine started"
        return self.deliver

