"""Which processes are running, by their heartbeats in Redis (keys ``procs``, ``proc:ID``).

Public names:

- ``RedisPresence(client, process)``: ``presence.Presence`` of process ``process``, with
  ``beat()`` (renew its heartbeat), ``bury_the_dead(died)`` and ``leave``.
- ``HEARTBEAT_SECONDS``, ``PROCESS_TTL_SECONDS``, ``TAKEOVER_SECONDS``.

A resume or rejoin may take over a connection of a process whose last heartbeat is older than
``TAKEOVER_SECONDS`` (a client whose server was killed comes back within seconds); once its
heartbeat key expired, one live process hands all its sessions on (``died``), so that visitors
and agents who never come back time out as after any lost connection.
"""

import logging
from typing import Final

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from cobrowse.server.backends.presence import Died
from cobrowse.server.backends.redis.keys import decoded, key
from cobrowse.server.backends.redis.lua import register

log = logging.getLogger("cobrowse")

# A process renews its heartbeat this often; one silent for PROCESS_TTL_SECONDS is dead, and
# its sessions are handed on. A connection of a process silent for TAKEOVER_SECONDS (three
# missed beats) may already be taken over by a client coming back elsewhere.
HEARTBEAT_SECONDS: Final = 0.5
PROCESS_TTL_SECONDS: Final = 4.0
TAKEOVER_SECONDS: Final = 1.5


class RedisPresence:
    """This process's heartbeat, and the others' as Redis's clock sees them."""

    def __init__(self, client: aioredis.Redis, process: str) -> None:
        self.redis = client
        self.process = process
        self._beat = register(client, "beat")
        self._recent = register(client, "recent")

    async def beat(self) -> bool:
        """Renew the heartbeat; True if this process was not listed (Redis lost its data, or
        the others took it for dead)."""
        listed = await self._beat(keys=[key("proc", self.process), key("procs")],
                                  args=[int(PROCESS_TTL_SECONDS * 1000), self.process])
        return bool(listed == 1)

    async def alive(self, process: str) -> bool:
        return bool(await self._recent(keys=[key("proc", process)], args=[int(TAKEOVER_SECONDS * 1000)]))

    async def bury_the_dead(self, died: Died) -> None:
        """Find processes whose heartbeat expired; one live process hands on their sessions."""
        others = [decoded(member) for member in await self.redis.smembers(key("procs")) if decoded(member) != self.process]
        if not others:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for other in others:
                pipe.exists(key("proc", other))
            beating = await pipe.execute()
        for other, alive in zip(others, beating):
            if alive or not await self.redis.srem(key("procs"), other):
                continue
            codes = [decoded(code) for code in await self.redis.smembers(key("pcodes", other))]
            log.warning("cobrowse: process %s stopped beating; its %d session(s) wait for their people",
                        other, len(codes))
            await died(other, codes)
            async with self.redis.pipeline(transaction=False) as pipe:
                for code in codes:
                    pipe.srem(key("where", code), other)
                pipe.delete(key("pcodes", other))
                await pipe.execute()

    def leave(self, pipe: Pipeline) -> None:
        """Queue the end of this process's heartbeat (it stops)."""
        pipe.srem(key("procs"), self.process)
        pipe.delete(key("proc", self.process))
