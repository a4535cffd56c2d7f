"""Timers in Redis, run by whichever process claims them first (key ``timers``).

Public names:

- ``RedisTimers(client, wall=time.time)``: ``timers.Timers`` on one ``redis.asyncio.Redis``
  client, with ``fire_due(fire)``: claim the due timers and run them.
- ``TIMER_POLL_SECONDS``, ``TIMER_LEASE_SECONDS``.

A deadline per key in ``timers``, by the time of day (``wall``). Every process polls it; a due
timer is claimed by moving its deadline ``TIMER_LEASE_SECONDS`` on in one script (so one
process gets it), run, then removed; if the claimer dies first, another runs it when the lease
is over.
"""

import time
from collections.abc import Callable
from typing import Final

import redis.asyncio as aioredis

from cobrowse.server.backends.outage import logged
from cobrowse.server.backends.redis.keys import key
from cobrowse.server.backends.redis.lua import register
from cobrowse.server.backends.timers import Fire

# Due timers are looked for this often; a claimed timer is retried after the lease.
TIMER_POLL_SECONDS: Final = 0.25
TIMER_LEASE_SECONDS: Final = 10.0

TIMERS: Final = key("timers")


class RedisTimers:
    """The deployment's timers as one sorted set of deadlines."""

    def __init__(self, client: aioredis.Redis, wall: Callable[[], float] = time.time) -> None:
        self.redis = client
        self.wall = wall
        self._claim = register(client, "claim")
        self._release = register(client, "release")

    async def schedule(self, key: str, delay: float) -> None:
        await self.redis.zadd(TIMERS, {key: self.wall() + delay})

    async def cancel(self, key: str) -> None:
        await self.redis.zrem(TIMERS, key)

    async def fire_due(self, fire: Fire) -> None:
        """Claim the timers due now and run each; one that failed for want of Redis stays
        claimed and runs after its lease."""
        lease = self.wall() + TIMER_LEASE_SECONDS
        due = await self._claim(keys=[TIMERS], args=[self.wall(), lease])
        for timer in due:
            await logged(fire(timer.decode()))
            await self._release(keys=[TIMERS], args=[timer, lease])
