"""The connection to Redis, and its guard: Redis going away never takes the process down, its
errors become ``outage.Unavailable``.

Public names:

- ``connect(url)``: a ``redis.asyncio.Redis`` client with the pool and retries of a process.
- ``Guard``: remembers an outage, logged once; while it lasts, calls fail at once. It counts
  the calls it guarded and the errors (``calls``, ``errors``).
- ``guarded(target, guard)``: ``target`` with its coroutine methods guarded.
- ``REDIS_ERRORS``: what a call to Redis raises when Redis is out of reach.
- ``quietly(coroutine)``: await it, ignoring its failure (closing what already broke).
- ``raise_if_cancelled()``: go on with a cancellation of this task that redis-py swallowed.
- ``SOCKET_TIMEOUT_SECONDS``, ``POOL_SIZE``, ``POOL_WAIT_SECONDS``.
"""

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, RedisError

from cobrowse.server.backends.outage import Unavailable

log = logging.getLogger("cobrowse")

REDIS_ERRORS: Final = (RedisError, OSError, asyncio.TimeoutError)

T = TypeVar("T")

# How long a request to Redis may take.
SOCKET_TIMEOUT_SECONDS: Final = 3
# Connections to Redis per process, and how long a request waits for a free one.
POOL_SIZE: Final = 64
POOL_WAIT_SECONDS: Final = 5


def connect(url: str) -> aioredis.Redis:
    """A client of Redis at ``url``: a burst of requests waits for one of ``POOL_SIZE``
    connections rather than failing, and a failed request is retried twice, quickly."""
    retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), 2)
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=POOL_WAIT_SECONDS,
                                                    socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=2,
                                                    health_check_interval=10, retry=retry)
    return aioredis.Redis(connection_pool=pool)


class Guard:
    """Turns Redis errors into ``Unavailable`` and remembers the outage, logged once; while it
    lasts, calls fail at once (``check``) until a heartbeat gets through."""

    def __init__(self) -> None:
        self.problem: str | None = None
        # What /metrics reports: guarded calls made, and those that failed.
        self.calls = 0
        self.errors = 0

    def failed(self, error: BaseException) -> Unavailable:
        """The ``Unavailable`` to raise for ``error``; an outage, if it is one, is remembered."""
        self.errors += 1
        if isinstance(error, ConnectionError) and "No connection available" in str(error):
            # Every pooled connection is busy for a while: load, not an outage.
            return Unavailable("Redis is busy")
        if self.problem is None:
            self.problem = "Redis is unreachable: %s" % (error.__class__.__name__,)
            log.warning("cobrowse: %s (%s); sessions wait until it is back", self.problem, error)
        return Unavailable(self.problem)

    def succeeded(self) -> bool:
        """Forget the outage, if any; True if there was one."""
        if self.problem is None:
            return False
        self.problem = None
        log.warning("cobrowse: Redis is reachable again")
        return True

    def check(self) -> None:
        """Fail at once while an outage is known: only the heartbeat waits for Redis then, and
        no client's request hangs on a Redis that stopped answering."""
        if self.problem is not None:
            raise Unavailable(self.problem)

    async def call(self, awaitable: Awaitable[T]) -> T:
        """Await a call to Redis (made after ``check``), its errors raised as ``Unavailable``."""
        self.calls += 1
        try:
            return await awaitable
        except REDIS_ERRORS as error:
            raise self.failed(error) from None

    async def run(self, method: Callable[..., Awaitable[T]], *args: Any) -> T:
        """``method(*args)``, failing at once during an outage, its errors as ``Unavailable``."""
        self.check()
        return await self.call(method(*args))

    def wrap(self, method: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., Coroutine[Any, Any, T]]:
        @functools.wraps(method)
        async def guarded(*args: Any, **kwargs: Any) -> T:
            return await self.run(functools.partial(method, *args, **kwargs))
        return guarded


def guarded(target: T, guard: Guard) -> T:
    """``target`` with each of its coroutine methods raising ``Unavailable`` for Redis errors
    (but ``aclose``, which must close what it holds during an outage too)."""
    for name in dir(type(target)):
        method = getattr(target, name)
        if not name.startswith("_") and name != "aclose" and inspect.iscoroutinefunction(method):
            setattr(target, name, guard.wrap(method))
    return target


async def quietly(coroutine: Awaitable[object]) -> None:
    try:
        await coroutine
    except Exception:  # noqa: BLE001 - closing what already broke.
        pass


def raise_if_cancelled() -> None:
    """Raise ``CancelledError`` if this task was asked to stop: redis-py (8.1) swallows a
    cancellation that lands while it connects (``PubSub.subscribe`` then returns normally),
    and a loop that went on would listen or beat for ever, its engine's ``stop`` waiting."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
