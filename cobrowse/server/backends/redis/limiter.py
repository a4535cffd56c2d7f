"""Failed joins in Redis, shared by every process (keys ``lim:``).

Public names:

- ``RedisJoinLimiter(client, attempts, window, wall=time.time)``: the ``limiter.JoinLimiter`` on
  one ``redis.asyncio.Redis`` client; ``wall`` is the time of day, which every process's
  failures are put on.
"""

import hashlib
import secrets
import time
from collections.abc import Callable, Hashable

import redis.asyncio as aioredis

from cobrowse.server.backends.limiter import JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS, retry_after
from cobrowse.server.backends.redis.keys import key


class RedisJoinLimiter:
    """Failed joins per client as a sorted set of times, trimmed to the window on each use."""

    def __init__(self, client: aioredis.Redis, attempts: int = JOIN_ATTEMPTS, window: float = JOIN_WINDOW_SECONDS,
                 wall: Callable[[], float] = time.time) -> None:
        self.redis = client
        self.attempts = attempts
        self.window = window
        self.wall = wall

    def _key(self, client: Hashable) -> str:
        return key("lim", hashlib.sha256(repr(client).encode()).hexdigest()[:32])

    async def retry_after(self, client: Hashable) -> int:
        failures, now = self._key(client), self.wall()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(failures, "-inf", now - self.window)
            pipe.zrange(failures, 0, -1, withscores=True)
            _, times = await pipe.execute()
        return retry_after([score for _, score in times], self.attempts, self.window, now)

    async def failed(self, client: Hashable) -> None:
        failures, now = self._key(client), self.wall()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(failures, {"%f:%s" % (now, secrets.token_hex(4)): now})
            pipe.expire(failures, int(self.window) + 1)
            await pipe.execute()
