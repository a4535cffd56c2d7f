"""The Redis engine: any number of server processes share their sessions through one Redis.

Public names:

- ``RedisEngine(url, *, clock=None, wall=time.time, start_limit=START_LIMIT)``: the
  ``engine.Engine`` of ``serve --redis URL``: its ``store``, ``limiter``, ``starts`` (the
  ``--start-limit``, a ``redis.limiter`` too) and ``views`` (``redis.store``, ``redis.limiter``,
  ``redis.views``), publications (``redis.broker``), heartbeats (``redis.presence``) and timers
  (``redis.timers``) on one pool of connections. ``clock`` (a ``clock.Clock``, the loop's by
  default) paces its heartbeats and polls; ``wall`` is the time of day, which the timers'
  deadlines, the failed joins and the starts are put on.

Redis going away never takes the process down: calls raise ``Unavailable``, the outage is logged
once, ``health()`` says why until a heartbeat gets through again (``redis.guard``).
"""

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from cobrowse.server.backends.broker import Deliver
from cobrowse.server.backends.engine import Recovered
from cobrowse.server.backends.limiter import START_LIMIT, START_WINDOW_SECONDS
from cobrowse.server.backends.outage import Unavailable
from cobrowse.server.backends.presence import Died
from cobrowse.server.backends.redis.broker import RedisBroker
from cobrowse.server.backends.redis.guard import REDIS_ERRORS, Guard, connect, guarded, raise_if_cancelled
from cobrowse.server.backends.redis.limiter import RedisJoinLimiter
from cobrowse.server.backends.redis.presence import HEARTBEAT_SECONDS, RedisPresence
from cobrowse.server.backends.redis.store import RedisStore
from cobrowse.server.backends.redis.timers import TIMER_POLL_SECONDS, RedisTimers
from cobrowse.server.backends.redis.views import RedisViewLog
from cobrowse.server.backends.timers import Fire
from cobrowse.server.clock import Clock, LoopClock

log = logging.getLogger("cobrowse")


class RedisEngine:
    """Shared state in Redis at ``url``, for process ``process`` (a random id)."""

    def __init__(self, url: str, *, clock: Clock | None = None, wall: Callable[[], float] = time.time,
                 start_limit: int = START_LIMIT) -> None:
        self.url = url
        self.process = secrets.token_hex(6)
        self.clock = clock or LoopClock()
        self.guard = Guard()
        self.redis = connect(url)
        self.store = guarded(RedisStore(self.redis), self.guard)
        self.limiter = guarded(RedisJoinLimiter(self.redis, wall=wall), self.guard)
        self.starts = guarded(RedisJoinLimiter(self.redis, start_limit, START_WINDOW_SECONDS, wall), self.guard)
        self.views = guarded(RedisViewLog(self.redis), self.guard)
        self.broker = RedisBroker(self.redis, self.guard, self.process, self.views, self.clock)
        self.presence = RedisPresence(self.redis, self.process)
        self.timers = RedisTimers(self.redis, wall)
        self.tasks: list[asyncio.Task[None]] = []

    # -- life ---------------------------------------------------------------------------------

    async def start(self, deliver: Deliver, fire: Fire, died: Died, recovered: Recovered | None = None) -> None:
        self.broker.deliver = deliver
        try:
            await self.beat()
        except REDIS_ERRORS as error:
            self.guard.failed(error)
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self.broker.listen(recovered)), loop.create_task(self._heartbeats(died, recovered)),
                      loop.create_task(self._timers(fire))]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping anyway.
                pass
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                self.presence.leave(pipe)
                # Nobody needs to find our sessions now: we left none attached (``Relay.drain``).
                self.broker.leave(pipe)
                await pipe.execute()
        except REDIS_ERRORS:
            pass
        await self.views.aclose()
        await self.redis.aclose()

    def health(self) -> str | None:
        return self.guard.problem

    # -- what the relay calls -----------------------------------------------------------------

    async def publish(self, code: str, kind: str, number: int, text: str) -> None:
        await self.broker.publish(code, kind, number, text)

    async def publish_view(self, code: str, text: str, full: bool) -> int:
        return await self.broker.publish_view(code, text, full)

    async def subscribe(self, code: str) -> None:
        await self.broker.subscribe(code)

    async def unsubscribe(self, code: str) -> None:
        await self.broker.unsubscribe(code)

    async def schedule(self, key: str, delay: float) -> None:
        await self.guard.run(self.timers.schedule, key, delay)

    async def cancel(self, key: str) -> None:
        await self.guard.run(self.timers.cancel, key)

    async def alive(self, process: str) -> bool:
        return await self.guard.run(self.presence.alive, process)

    # -- the process's own rounds -------------------------------------------------------------

    async def beat(self) -> bool:
        """Renew the heartbeat. True if publications may have been missed: this process was
        not listed (Redis lost its data, or the others took it for dead), or an outage was
        known before or while the beat was on its way; then its sessions are registered anew."""
        missed = await self.presence.beat() or self.guard.problem is not None
        await self.broker.register_again(everything=missed)
        # An outage noticed by another call while the registration was on its way is over too.
        return self.guard.succeeded() or missed

    async def heartbeat(self, died: Died, recovered: Recovered | None) -> None:
        """One round of the heartbeat: renew it (and run ``recovered`` if publications may have
        been missed), then hand on the sessions of the processes found dead (``died``)."""
        if await self.beat() and recovered is not None:
            await recovered()
        await self.presence.bury_the_dead(died)

    async def _heartbeats(self, died: Died, recovered: Recovered | None) -> None:
        while True:
            await self.clock.sleep(HEARTBEAT_SECONDS)
            try:
                await self.heartbeat(died, recovered)
            except REDIS_ERRORS as error:
                self.guard.failed(error)
            except Unavailable:
                pass
            except Exception:  # noqa: BLE001 - the heartbeat must go on.
                log.exception("cobrowse: the heartbeat failed")
            raise_if_cancelled()

    async def _timers(self, fire: Fire) -> None:
        while True:
            await self.clock.sleep(TIMER_POLL_SECONDS)
            try:
                await self.timers.fire_due(fire)
            except REDIS_ERRORS as error:
                self.guard.failed(error)
            except Unavailable:
                pass
            raise_if_cancelled()
