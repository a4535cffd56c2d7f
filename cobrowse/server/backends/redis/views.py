"""View logs in Redis, shared by every process (keys ``seq:``, ``log:``, ``logm:``, ``big:``).

Public names:

- ``RedisViewLog(client, limit)``: the ``views.ViewLog`` on one ``redis.asyncio.Redis`` client,
  with ``record_and_publish``, the hot path of ``broker.RedisBroker.publish_view``, and
  ``aclose``.
- ``INLINE_CHARS``, ``BIG_VIEW_SECONDS``, ``BATCH_VIEWS``.

A view is numbered, logged and published by one script; one longer than ``INLINE_CHARS`` is
not published itself: its key is, and subscribers read it from there, so a snapshot of
megabytes never sits in a subscriber's pub/sub buffer (Redis cuts a subscriber off at 32 MB).
"""

import asyncio
import math
from typing import Any, Final, Literal

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError, NoScriptError

from cobrowse.server.backends.redis.guard import SOCKET_TIMEOUT_SECONDS
from cobrowse.server.backends.redis.keys import key
from cobrowse.server.backends.redis.lua import register
from cobrowse.server.backends.views import BATCH, LOST, VIEW_LOG_CHARS, Entries

# Views up to this long travel in the publication itself; longer ones by key.
INLINE_CHARS: Final = 64 * 1024
BIG_VIEW_SECONDS: Final = 60
# The most views recorded by one call of the record script.
BATCH_VIEWS: Final = 256

# A view waiting to be recorded: code, text, full, origin and the future of its number.
_Waiting = tuple[str, str, bool, str, "asyncio.Future[int]"]


class RedisViewLog:
    """Each session's log as a Stream capped at ``limit`` bytes, its numbers as a counter."""

    def __init__(self, client: aioredis.Redis, limit: int = VIEW_LOG_CHARS) -> None:
        self.redis = client
        self.limit = limit
        self._record = register(client, "record")
        self._read = register(client, "read")
        # The views waiting to be recorded; the task sending them, over a connection of its own.
        self._waiting: list[_Waiting] = []
        self._sender: asyncio.Task[None] | None = None
        self._connection: AbstractConnection | None = None

    @staticmethod
    def _keys(code: str) -> list[str]:
        return [key("seq", code), key("log", code), key("logm", code)]

    async def record(self, code: str, text: str, full: bool) -> int:
        return await self.record_and_publish(code, text, full, "")

    async def record_and_publish(self, code: str, text: str, full: bool, origin: str) -> int:
        """``record``, and send the view to the session's other processes (those in its
        ``where`` set but ``origin``) in the same call.

        Views go to Redis in batches, one at a time, in the order they came: while Redis
        answers one batch, the next one gathers. An idle process sends each view at once, a
        busy one sends many per script call, which is what bounds its cost per view."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((code, text, full, origin, future))
        if self._sender is None:
            # The task's first step runs after the other callbacks of this event-loop tick, so
            # the views they bring go in the same batch.
            self._sender = asyncio.get_running_loop().create_task(self._send_waiting())
        number: int = await future
        return number

    async def aclose(self) -> None:
        """Close the views' own connection to Redis."""
        if self._connection is not None:
            await self._connection.disconnect()

    async def _send_waiting(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:BATCH_VIEWS], self._waiting[BATCH_VIEWS:]
                await self._send(batch)
        finally:
            self._sender = None

    async def _send(self, batch: list[_Waiting]) -> None:
        """Record the views of ``batch`` and answer each one's future."""
        keys: list[str] = []
        args: list[str] = [str(self.limit), str(INLINE_CHARS), str(BIG_VIEW_SECONDS)]
        for code, text, full, origin, _ in batch:
            keys += self._keys(code) + [key("where", code)]
            args += [text, "1" if full else "0", origin, code]
        numbers: list[Any]
        try:
            try:
                numbers = await self._call(keys, args)
            except NoScriptError:
                # Redis lost its scripts (it restarted): the script object loads it again.
                numbers = await self._record(keys=keys, args=args)
        except Exception as error:  # noqa: BLE001 - every waiting view gets the failure.
            numbers = [error] * len(batch)
        for (_, _, _, _, future), number in zip(batch, numbers):
            if future.done():
                continue
            if isinstance(number, Exception):
                future.set_exception(number)
            else:
                future.set_result(number)

    async def _call(self, keys: list[str], args: list[str]) -> Any:
        """Run the record script with ``keys`` and ``args`` and return its reply.

        This is the hot path, so the command is packed here, and sent and read on a connection
        of redis-py's without its pool's and retries' work per call. A connection found broken
        (Redis restarted) is opened again once."""
        if self._connection is None:
            pool = self.redis.connection_pool
            # Without a socket timeout of its own: one deadline covers the whole round trip.
            self._connection = pool.connection_class(**dict(pool.connection_kwargs, socket_timeout=None))
        packed = _command(b"EVALSHA", self._record.sha.encode(), b"%d" % len(keys),
                          *[part.encode() for part in keys + args])
        try:
            return await self._round_trip(self._connection, packed)
        except ConnectionError:
            return await self._round_trip(self._connection, packed)

    @staticmethod
    async def _round_trip(connection: AbstractConnection, packed: bytes) -> Any:
        try:
            async with asyncio.timeout(SOCKET_TIMEOUT_SECONDS):
                await connection.send_packed_command(packed)
                return await connection.read_response(timeout=math.inf)
        except BaseException:
            # A reply may still be on its way: it must not be read as the next call's.
            await connection.disconnect(nowait=True)
            raise

    async def read(self, code: str, after: int = 0, count: int = BATCH) -> tuple[int, Entries | Literal["lost"] | None]:
        reply = await self._read(keys=self._keys(code), args=[after, count])
        head, state = reply[0], reply[1].decode()
        if state != "log":
            return head, (LOST if state == "lost" else None)
        return head, [(int(entry_id.split(b"-")[0]), fields[1].decode()) for entry_id, fields in reply[2]]

    async def drop(self, code: str) -> None:
        await self.redis.delete(*self._keys(code)[1:])

    async def close(self, code: str) -> None:
        await self.redis.delete(*self._keys(code))


def _command(*parts: bytes) -> bytes:
    """A Redis command of byte strings ``parts``, packed in the Redis protocol (RESP)."""
    return b"*%d\r\n%s" % (len(parts), b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts))
