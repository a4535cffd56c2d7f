"""The Redis engine: any number of server processes share their sessions through one Redis.

Public names:

- ``RedisEngine(url)``: the engine (``engine.Engine``) of ``serve --redis URL``.
- ``RedisStore``, ``RedisJoinLimiter``, ``RedisViewLog``: the store, limiter and view log
  (``store.SessionStore``, ``JoinLimiter``, ``ViewLog``) on one ``redis.asyncio.Redis`` client.
- ``HEARTBEAT_SECONDS``, ``PROCESS_TTL_SECONDS``, ``TAKEOVER_SECONDS``, ``TIMER_POLL_SECONDS``,
  ``TIMER_LEASE_SECONDS``, ``INLINE_CHARS``: how often and how long (below).

Keys (all under ``cb:``): ``s:CODE`` a session's record as JSON, changed only in WATCH/MULTI
transactions; ``retired:CODE`` an ended code, for an hour; ``sid:SID``, ``vt:TOKEN`` (visitor)
and ``at:TOKEN`` (agent) the lookups to a code; ``lim:CLIENT`` a sorted set of failed joins;
``seq:CODE`` the number of a session's latest view, ``log:CODE`` its view log (a Stream whose
entry ids are the views' numbers, so a reader resumes from an offset) and ``logm:CODE`` the
log's state and size; ``big:CODE:SEQ`` a view too large to publish, for a minute; ``timers``
a sorted set of timer keys by deadline; ``procs`` the live processes' ids, ``proc:ID`` each
one's last heartbeat by Redis's clock (it expires when the process stops beating),
``pcodes:ID`` the sessions it holds connections of, and ``where:CODE`` the other way round:
the processes holding a session's connections.

Processes: a resume or rejoin may take over a connection of a process whose last heartbeat is
older than ``TAKEOVER_SECONDS`` (a client whose server was killed comes back within seconds);
once its heartbeat key expired, one live process hands all its sessions on (``died``), so that
visitors and agents who never come back time out as after any lost connection.

Publications: each process listens on one channel of its own, ``p:ID``. A publication goes,
in one script, to the channels of the processes in the session's ``where`` set other than its
origin (which delivered it at once), as ``origin \\n code \\n kind \\n number \\n text``
preceded by its length in bytes and a newline; the views of one batch bound for one process go
as one message. So a session whose people are all on one process costs no pub/sub at all, and
no process hears its own publications back. A view is numbered, logged and published by one
script; one longer than ``INLINE_CHARS`` is not published itself: its key is, and subscribers
read it from there, so a snapshot of megabytes never sits in a subscriber's pub/sub buffer
(Redis cuts a subscriber off at 32 MB). A process joins a session's ``where`` set only while its channel is subscribed;
after a lost pub/sub connection the relay is told (``recovered``) so that it checks its
sessions and fills its agents' gaps from the log.

Timers: a deadline per key in ``timers``. Every process polls it; a due timer is claimed by
moving its deadline ``TIMER_LEASE_SECONDS`` on in one script (so one process gets it), run, then
removed; if the claimer dies first, another runs it when the lease is over.

Redis going away never takes the process down: calls raise ``Unavailable``, the outage is logged
once, ``health()`` says why until a heartbeat gets through again.
"""

import asyncio
import hashlib
import inspect
import json
import logging
import math
import secrets
import time

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, NoScriptError, RedisError, WatchError

from cobrowse.server.backends.engine import VIEW, Engine, Unavailable, logged
from cobrowse.server.backends.store import (BATCH, JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS, LOST, RETIRED_CODE_SECONDS, VIEW_LOG_CHARS,
                            CodesExhausted, JoinLimiter, SessionStore, ViewLog, agent_of, attached, attachment,
                            new_token, set_attachment)

log = logging.getLogger("cobrowse")

# A process renews its heartbeat this often; one silent for PROCESS_TTL_SECONDS is dead, and
# its sessions are handed on. A connection of a process silent for TAKEOVER_SECONDS (three
# missed beats) may already be taken over by a client coming back elsewhere.
HEARTBEAT_SECONDS = 0.5
PROCESS_TTL_SECONDS = 4.0
TAKEOVER_SECONDS = 1.5
# Due timers are looked for this often; a claimed timer is retried after the lease.
TIMER_POLL_SECONDS = 0.25
TIMER_LEASE_SECONDS = 10.0
# Views up to this long travel in the publication itself; longer ones by key.
INLINE_CHARS = 64 * 1024
BIG_VIEW_SECONDS = 60
# The most views recorded by one call of the record script.
BATCH_VIEWS = 256
# How long a request to Redis may take.
SOCKET_TIMEOUT_SECONDS = 3
# Connections to Redis per process, and how long a request waits for a free one.
POOL_SIZE = 64
POOL_WAIT_SECONDS = 5
# A session record left behind (every process gone for a day) expires.
SESSION_SECONDS = 86400
# Draws of a free access code before the codes are taken to be exhausted.
CODE_DRAWS = 30

CREATE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[3]) then return 0 end
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3]) end
return 1
"""

# Sends publication ARGV[2] to the channel of each process in set KEYS[1] but ARGV[1] (its origin).
FAN_OUT = """
local sent = 0
for _, process in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if process ~= ARGV[1] then
    redis.call('PUBLISH', 'cb:p:' .. process, string.len(ARGV[2]) .. '\\n' .. ARGV[2])
    sent = sent + 1
  end
end
return sent
"""

# Numbers views, keeps each in its session's log, and sends it to the other processes of its
# session (those in its ``where`` set but its origin; none when the origin is empty): inline when
# short, else by key. One call for a batch of views on the hot path; per view, four keys (seq,
# log, logm, where) and four arguments (the view, '1' for a full snapshot, the origin, the
# code). It returns the views' numbers.
RECORD = """
local function record(seq_key, log_key, meta_key, text, full)
  local seq = redis.call('INCR', seq_key)
  local size = string.len(text)
  if full == '1' then
    redis.call('DEL', log_key)
    redis.call('XADD', log_key, seq .. '-1', 't', text)
    redis.call('HSET', meta_key, 'chars', size, 'state', 'log')
    return seq
  end
  if redis.call('HGET', meta_key, 'state') ~= 'log' then return seq end
  if redis.call('HINCRBY', meta_key, 'chars', size) > LIMIT then
    redis.call('DEL', log_key)
    redis.call('HSET', meta_key, 'state', 'lost')
  else
    redis.call('XADD', log_key, seq .. '-1', 't', text)
  end
  return seq
end
local outbox = {}
local function send(where_key, text, origin, code, seq)
  local message = nil
  for _, process in ipairs(redis.call('SMEMBERS', where_key)) do
    if process ~= origin then
      if not message then
        if string.len(text) > INLINE then
          redis.call('SET', 'cb:big:' .. code .. ':' .. seq, text, 'EX', BIG_SECONDS)
          message = origin .. '\\n' .. code .. '\\nbigview\\n' .. seq .. '\\n'
        else
          message = origin .. '\\n' .. code .. '\\nview\\n' .. seq .. '\\n' .. text
        end
        message = string.len(message) .. '\\n' .. message
      end
      if not outbox[process] then outbox[process] = {} end
      table.insert(outbox[process], message)
    end
  end
end
local numbers = {}
for i = 0, #ARGV / 4 - 1 do
  local text, full, origin, code = ARGV[i * 4 + 1], ARGV[i * 4 + 2], ARGV[i * 4 + 3], ARGV[i * 4 + 4]
  local seq = record(KEYS[i * 4 + 1], KEYS[i * 4 + 2], KEYS[i * 4 + 3], text, full)
  if origin ~= '' then send(KEYS[i * 4 + 4], text, origin, code, seq) end
  numbers[i + 1] = seq
end
for process, messages in pairs(outbox) do
  redis.call('PUBLISH', 'cb:p:' .. process, table.concat(messages))
end
return numbers
"""

READ = """
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
local state = redis.call('HGET', KEYS[3], 'state')
if state ~= 'log' then return {head, state or 'none'} end
local start = '-'
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
if first and tonumber(string.match(first[1], '^(%d+)')) <= tonumber(ARGV[1]) + 1 then
  start = '(' .. ARGV[1] .. '-1'
end
return {head, 'log', redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[2])}
"""

# Heartbeats carry Redis's own clock (milliseconds), so that machines' clocks need not agree.
BEAT = """
local now = redis.call('TIME')
redis.call('SET', KEYS[1], now[1] * 1000 + math.floor(now[2] / 1000), 'PX', ARGV[1])
return redis.call('SADD', KEYS[2], ARGV[2])
"""

RECENT = """
local beat = redis.call('GET', KEYS[1])
if not beat then return 0 end
local now = redis.call('TIME')
if now[1] * 1000 + math.floor(now[2] / 1000) - tonumber(beat) < tonumber(ARGV[1]) then return 1 end
return 0
"""

CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, key in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], key) end
return due
"""

RELEASE = """
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '-1') == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""


def _key(*parts):
    return "cb:" + ":".join(parts)


class Guard:
    """Turns Redis errors into ``Unavailable`` and remembers the outage, logged once; while it
    lasts, calls fail at once (``check``) until a heartbeat gets through."""

    def __init__(self):
        self.problem = None

    def failed(self, error):
        if isinstance(error, ConnectionError) and "No connection available" in str(error):
            # Every pooled connection is busy for a while: load, not an outage.
            return Unavailable("Redis is busy")
        if self.problem is None:
            self.problem = "Redis is unreachable: %s" % (error.__class__.__name__,)
            log.warning("cobrowse: %s (%s); sessions wait until it is back", self.problem, error)
        return Unavailable(self.problem)

    def succeeded(self):
        """Forget the outage, if any; True if there was one."""
        if self.problem is None:
            return False
        self.problem = None
        log.warning("cobrowse: Redis is reachable again")
        return True

    def check(self):
        """Fail at once while an outage is known: only the heartbeat waits for Redis then, and
        no client's request hangs on a Redis that stopped answering."""
        if self.problem is not None:
            raise Unavailable(self.problem)

    def wrap(self, method):
        async def guarded(*args, **kwargs):
            self.check()
            try:
                return await method(*args, **kwargs)
            except (RedisError, OSError, asyncio.TimeoutError) as error:
                raise self.failed(error) from None
        guarded.__name__ = method.__name__
        guarded.__doc__ = method.__doc__
        return guarded


class RedisStore(SessionStore):
    """Sessions as JSON records, each changed in a transaction that retries on a conflict."""

    def __init__(self, client):
        self.redis = client

    async def create(self, site_code, sid=None, url=None, network_timeout=None):
        token = new_token()
        session = {
            "accessCode": None, "SID": sid, "siteCode": site_code, "url": url, "title": None, "agents": [],
            "created": time.time(), "token": token, "networkTimeout": network_timeout, "visitor": None,
        }
        for _ in range(CODE_DRAWS):
            code = session["accessCode"] = "%06d" % secrets.randbelow(1_000_000)
            keys = [_key("s", code), _key("retired", code), _key("vt", token)] + ([_key("sid", sid)] if sid else [])
            if await self.redis.eval(CREATE, len(keys), *keys, json.dumps(session), code, SESSION_SECONDS):
                return session
        raise CodesExhausted("access codes are exhausted")

    async def get(self, code):
        raw = await self.redis.get(_key("s", code))
        return json.loads(raw) if raw is not None else None

    async def find(self, code_or_sid):
        session = await self.get(code_or_sid)
        if session is None:
            code = await self.redis.get(_key("sid", code_or_sid))
            session = await self.get(code.decode()) if code else None
        return session

    async def by_token(self, token):
        code = await self.redis.get(_key("vt", token))
        session = await self.get(code.decode()) if code else None
        return session if session is not None and session["token"] == token else None

    async def agent_by_token(self, token):
        found = await self.redis.get(_key("at", token))
        if not found:
            return None
        code, agent_id = found.decode().split(" ")
        session = await self.get(code)
        agent = agent_of(session, agent_id)
        return (session, agent) if agent is not None and agent["token"] == token else None

    async def _transaction(self, code, body):
        """Run coroutine ``body(pipe, session)`` with the record watched, again whenever another
        process changed it first; None if the session has ended."""
        key = _key("s", code)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    return None if raw is None else await body(pipe, json.loads(raw))
                except WatchError:
                    continue

    async def _change(self, code, change):
        """Apply ``change(session, pipe)`` to the record in a transaction and return what it
        returns; ``change`` queues further writes on ``pipe`` and returns ``None`` to write
        nothing. None if the session has ended."""
        async def body(pipe, session):
            pipe.multi()
            result = change(session, pipe)
            if result is not None:
                pipe.set(_key("s", code), json.dumps(session), ex=SESSION_SECONDS)
                await pipe.execute()
            return result
        return await self._transaction(code, body)

    async def change(self, code, function):
        return await self._change(code, lambda session, pipe: function(session))

    async def new_token(self, code):
        def change(session, pipe):
            pipe.delete(_key("vt", session["token"]))
            session["token"] = token = new_token()
            pipe.set(_key("vt", token), code, ex=SESSION_SECONDS)
            return token
        return await self._change(code, change)

    async def update(self, code, **fields):
        def change(session, pipe):
            session.update(fields)
            return session
        return await self._change(code, change)

    async def add_agent(self, code, agent):
        def change(session, pipe):
            session["agents"].append(agent)
            if agent.get("token"):
                pipe.set(_key("at", agent["token"]), "%s %s" % (code, agent["id"]), ex=SESSION_SECONDS)
            return session
        return await self._change(code, change)

    async def new_agent_token(self, code, agent_id):
        def change(session, pipe):
            agent = agent_of(session, agent_id)
            if agent is None:
                return None
            pipe.delete(_key("at", agent["token"]))
            agent["token"] = token = new_token()
            pipe.set(_key("at", token), "%s %s" % (code, agent_id), ex=SESSION_SECONDS)
            return token
        return await self._change(code, change)

    async def remove_agent(self, code, agent_id):
        def change(session, pipe):
            agent = agent_of(session, agent_id)
            if agent is None:
                return None
            session["agents"].remove(agent)
            pipe.delete(_key("at", agent["token"]))
            return agent
        return await self._change(code, change)

    async def attach(self, code, who, conn, expected=None):
        def change(session, pipe):
            if attachment(session, who) != expected:
                return None
            set_attachment(session, who, {"conn": conn})
            return session
        return await self._change(code, change)

    async def detach(self, code, who, conn):
        def change(session, pipe):
            if not attached(session, who, conn):
                return None
            set_attachment(session, who, None)
            return session
        return await self._change(code, change)

    async def mark_silent(self, code, who, conn, silent):
        def change(session, pipe):
            if not attached(session, who, conn):
                return None
            set_attachment(session, who, {"conn": conn, "silent": True} if silent else {"conn": conn})
            return session
        await self._change(code, change)

    async def end(self, code):
        async def body(pipe, session):
            sid_key = _key("sid", session["SID"]) if session["SID"] else None
            sid_code = await pipe.get(sid_key) if sid_key else None
            pipe.multi()
            pipe.delete(_key("s", code), _key("vt", session["token"]),
                        *[_key("at", agent["token"]) for agent in session["agents"]])
            # A later session may have taken the SID over: its lookup stays.
            if sid_code is not None and sid_code.decode() == code:
                pipe.delete(sid_key)
            pipe.set(_key("retired", code), 1, ex=RETIRED_CODE_SECONDS)
            await pipe.execute()
            return session
        return await self._transaction(code, body)


class RedisJoinLimiter(JoinLimiter):
    """Failed joins per client as a sorted set of times, trimmed to the window on each use."""

    def __init__(self, client, attempts=JOIN_ATTEMPTS, window=JOIN_WINDOW_SECONDS):
        self.redis = client
        self.attempts = attempts
        self.window = window

    def _key(self, client):
        return _key("lim", hashlib.sha256(repr(client).encode()).hexdigest()[:32])

    async def retry_after(self, client):
        key, now = self._key(client), time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now - self.window)
            pipe.zrange(key, 0, -1, withscores=True)
            _, times = await pipe.execute()
        if len(times) < self.attempts:
            return 0
        oldest = times[-self.attempts][1]
        return max(1, math.ceil(oldest + self.window - now))

    async def failed(self, client):
        key, now = self._key(client), time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {"%f:%s" % (now, secrets.token_hex(4)): now})
            pipe.expire(key, int(self.window) + 1)
            await pipe.execute()


class RedisViewLog(ViewLog):
    """Each session's log as a Stream capped at ``limit`` bytes, its numbers as a counter."""

    def __init__(self, client, limit=VIEW_LOG_CHARS):
        self.redis = client
        self.limit = limit
        self._record = client.register_script(
            RECORD.replace("LIMIT", str(limit)).replace("INLINE", str(INLINE_CHARS))
            .replace("BIG_SECONDS", str(BIG_VIEW_SECONDS)))
        self._read = client.register_script(READ)
        # The views waiting to be recorded: (code, text, full, origin, future); the task sending
        # them, over a connection of its own.
        self._waiting = []
        self._sender = None
        self._connection = None

    @staticmethod
    def _keys(code):
        return [_key("seq", code), _key("log", code), _key("logm", code)]

    async def record(self, code, text, full):
        return await self.record_and_publish(code, text, full, "")

    async def record_and_publish(self, code, text, full, origin):
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
        return await future

    async def aclose(self):
        """Close the views' own connection to Redis."""
        if self._connection is not None:
            await self._connection.disconnect()

    async def _send_waiting(self):
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:BATCH_VIEWS], self._waiting[BATCH_VIEWS:]
                await self._send(batch)
        finally:
            self._sender = None

    async def _send(self, batch):
        """Record the views of ``batch`` and answer each one's future."""
        keys, args = [], []
        for code, text, full, origin, _ in batch:
            keys += self._keys(code) + [_key("where", code)]
            args += [text, "1" if full else "0", origin, code]
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

    async def _call(self, keys, args):
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
            return await self._round_trip(packed)
        except ConnectionError:
            return await self._round_trip(packed)

    async def _round_trip(self, packed):
        connection = self._connection
        try:
            async with asyncio.timeout(SOCKET_TIMEOUT_SECONDS):
                await connection.send_packed_command(packed)
                return await connection.read_response(timeout=math.inf)
        except BaseException:
            # A reply may still be on its way: it must not be read as the next call's.
            await connection.disconnect(nowait=True)
            raise

    async def read(self, code, after=0, count=BATCH):
        reply = await self._read(keys=self._keys(code), args=[after, count])
        head, state = reply[0], reply[1].decode()
        if state != "log":
            return head, (LOST if state == "lost" else None)
        return head, [(int(entry_id.split(b"-")[0]), fields[1].decode()) for entry_id, fields in reply[2]]

    async def drop(self, code):
        await self.redis.delete(*self._keys(code)[1:])

    async def close(self, code):
        await self.redis.delete(*self._keys(code))


class RedisEngine(Engine):
    """Shared state in Redis at ``url``; see the module's docstring."""

    def __init__(self, url):
        self.url = url
        self.process = secrets.token_hex(6)
        self.guard = Guard()
        retry = Retry(ExponentialBackoff(cap=0.2, base=0.02), 2)
        # A burst of requests waits for one of POOL_SIZE connections rather than failing.
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=POOL_WAIT_SECONDS,
                                                        socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=2,
                                                        health_check_interval=10, retry=retry)
        self.redis = aioredis.Redis(connection_pool=pool)
        self.store = _guarded(RedisStore(self.redis), self.guard)
        self.limiter = _guarded(RedisJoinLimiter(self.redis), self.guard)
        self.views = _guarded(RedisViewLog(self.redis), self.guard)
        self._claim = self.redis.register_script(CLAIM)
        self._beat_script = self.redis.register_script(BEAT)
        self._recent = self.redis.register_script(RECENT)
        self._release = self.redis.register_script(RELEASE)
        self._fan_out = self.redis.register_script(FAN_OUT)
        self.channel = _key("p", self.process)
        # The sessions this process holds connections of; those whose registration in Redis
        # failed, for the next heartbeat to retry; set while the channel is subscribed.
        self.codes = set()
        self.unregistered = set()
        self.listening = asyncio.Event()
        self.tasks = []
        self.deliver = self.fire = self.died = self.recovered = None

    # -- life ---------------------------------------------------------------------------------

    async def start(self, deliver, fire, died, recovered=None):
        self.deliver, self.fire, self.died, self.recovered = deliver, fire, died, recovered
        try:
            await self._beat()
        except (RedisError, OSError) as error:
            self.guard.failed(error)
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._listen()), loop.create_task(self._heartbeats()),
                      loop.create_task(self._timers())]

    async def stop(self):
        for task in self.tasks:
            # Python 3.11's asyncio.wait_for, which redis-py sends every command with, loses a
            # cancel that comes as the command completes: the task would go on for ever.
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=0.1)
        for task in self.tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping anyway.
                pass
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.srem(_key("procs"), self.process)
                pipe.delete(_key("proc", self.process))
                # Nobody needs to find our sessions now: we left none attached (``Relay.drain``).
                for code in self.codes:
                    pipe.srem(_key("where", code), self.process)
                pipe.delete(_key("pcodes", self.process))
                await pipe.execute()
        except (RedisError, OSError):
            pass
        await self.views.aclose()
        await self.redis.aclose()

    def health(self):
        return self.guard.problem

    async def alive(self, process):
        self.guard.check()
        try:
            return bool(await self._recent(keys=[_key("proc", process)], args=[int(TAKEOVER_SECONDS * 1000)]))
        except (RedisError, OSError) as error:
            raise self.guard.failed(error) from None

    # -- publications -------------------------------------------------------------------------

    async def publish(self, code, kind, number, text):
        self.deliver(code, kind, number, text)
        self.guard.check()
        try:
            await self._fan_out(keys=[_key("where", code)],
                                args=[self.process, "%s\n%s\n%s\n%d\n%s" % (self.process, code, kind, number, text)])
        except (RedisError, OSError) as error:
            raise self.guard.failed(error) from None

    async def publish_view(self, code, text, full):
        seq = await self.views.record_and_publish(code, text, full, self.process)
        self.deliver(code, VIEW, seq, text)
        return seq

    async def subscribe(self, code):
        """Join the session's ``where`` set once this process's channel is subscribed: from
        then on every publication of it reaches us (earlier views are in the log)."""
        if code in self.codes:
            return
        self.codes.add(code)
        self.unregistered.add(code)
        self.guard.check()
        try:
            await asyncio.wait_for(self.listening.wait(), 2)
            await self._register([code])
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            raise self.guard.failed(error) from None

    async def unsubscribe(self, code):
        if code not in self.codes:
            return
        self.codes.discard(code)
        self.unregistered.discard(code)
        self.guard.check()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.srem(_key("where", code), self.process)
                pipe.srem(_key("pcodes", self.process), code)
                await pipe.execute()
        except (RedisError, OSError) as error:
            raise self.guard.failed(error) from None

    async def _register(self, codes):
        """Put ``codes`` in this process's ``pcodes`` set and this process in their ``where``
        sets (again, after Redis lost them)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for code in codes:
                pipe.sadd(_key("where", code), self.process)
                pipe.expire(_key("where", code), SESSION_SECONDS)
            pipe.sadd(_key("pcodes", self.process), *codes)
            await pipe.execute()
        self.unregistered.difference_update(codes)

    async def _listen(self):
        """Hold the pub/sub connection on this process's channel: (re)subscribe, take
        publications, report a loss."""
        lost = False
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        self.listening.set()
                        if lost:
                            # Publications may have been missed meanwhile. While Redis still
                            # counts as away, the heartbeat that finds it back runs
                            # ``recovered`` instead.
                            lost = False
                            if self.recovered is not None and self.guard.problem is None:
                                await logged(self.recovered())
                    elif message["type"] == "message":
                        await self._take(message["data"])
            except asyncio.CancelledError:
                self.listening.clear()
                await _quietly(pubsub.aclose())
                raise
            except (RedisError, OSError, asyncio.TimeoutError) as error:
                self.listening.clear()
                self.guard.failed(error)
                lost = True
                await _quietly(pubsub.aclose())
                await asyncio.sleep(0.5)
            except Exception:  # noqa: BLE001 - one bad publication must not stop the others.
                log.exception("cobrowse: a publication could not be delivered")
                self.listening.clear()
                lost = True
                await _quietly(pubsub.aclose())

    async def _take(self, data):
        """Deliver the publications of ``data``: each is its length in bytes, a newline and
        itself (a batch of views to one process is one message)."""
        start = 0
        while start < len(data):
            newline = data.index(b"\n", start)
            end = newline + 1 + int(data[start:newline])
            await self._deliver(data[newline + 1:end].decode())
            start = end

    async def _deliver(self, publication):
        origin, code, kind, number, text = publication.split("\n", 4)
        if kind == "bigview":
            kind, raw = VIEW, await self.redis.get(_key("big", code, number))
            if raw is None:
                return  # Gone already: the agents' next view shows the gap, filled from the log.
            text = raw.decode()
        self.deliver(code, kind, int(number), text)

    # -- processes ----------------------------------------------------------------------------

    async def _beat(self):
        """Renew the heartbeat. True if publications may have been missed: this process was
        not listed (Redis lost its data, or the others took it for dead), or an outage was
        known before or while the beat was on its way; then its sessions are registered anew."""
        listed = await self._beat_script(keys=[_key("proc", self.process), _key("procs")],
                                         args=[int(PROCESS_TTL_SECONDS * 1000), self.process])
        missed = listed == 1 or self.guard.problem is not None
        registering = self.codes if missed else self.unregistered
        if registering:
            await self._register(list(registering))
        # An outage noticed by another call while the registration was on its way is over too.
        return self.guard.succeeded() or missed

    async def _heartbeats(self):
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                if await self._beat() and self.recovered is not None:
                    await self.recovered()
                await self._bury_the_dead()
            except (RedisError, OSError, asyncio.TimeoutError) as error:
                self.guard.failed(error)
            except Unavailable:
                pass
            except Exception:  # noqa: BLE001 - the heartbeat must go on.
                log.exception("cobrowse: the heartbeat failed")

    async def _bury_the_dead(self):
        """Find processes whose heartbeat expired; one live process hands on their sessions."""
        others = [member.decode() for member in await self.redis.smembers(_key("procs")) if member.decode() != self.process]
        if not others:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for other in others:
                pipe.exists(_key("proc", other))
            beating = await pipe.execute()
        for other, alive in zip(others, beating):
            if alive or not await self.redis.srem(_key("procs"), other):
                continue
            codes = [code.decode() for code in await self.redis.smembers(_key("pcodes", other))]
            log.warning("cobrowse: process %s stopped beating; its %d session(s) wait for their people",
                        other, len(codes))
            await self.died(other, codes)
            async with self.redis.pipeline(transaction=False) as pipe:
                for code in codes:
                    pipe.srem(_key("where", code), other)
                pipe.delete(_key("pcodes", other))
                await pipe.execute()

    # -- timers -------------------------------------------------------------------------------

    async def schedule(self, key, delay):
        self.guard.check()
        try:
            await self.redis.zadd(_key("timers"), {key: time.time() + delay})
        except (RedisError, OSError) as error:
            raise self.guard.failed(error) from None

    async def cancel(self, key):
        self.guard.check()
        try:
            await self.redis.zrem(_key("timers"), key)
        except (RedisError, OSError) as error:
            raise self.guard.failed(error) from None

    async def _timers(self):
        while True:
            await asyncio.sleep(TIMER_POLL_SECONDS)
            try:
                lease = time.time() + TIMER_LEASE_SECONDS
                due = await self._claim(keys=[_key("timers")], args=[time.time(), lease])
                for key in due:
                    # A timer that failed for want of Redis stays claimed and runs after its lease.
                    await logged(self.fire(key.decode()))
                    await self._release(keys=[_key("timers")], args=[key, lease])
            except (RedisError, OSError, asyncio.TimeoutError) as error:
                self.guard.failed(error)
            except Unavailable:
                pass


def _command(*parts):
    """A Redis command of byte strings ``parts``, packed in the Redis protocol (RESP)."""
    return b"*%d\r\n%s" % (len(parts), b"".join(b"$%d\r\n%s\r\n" % (len(part), part) for part in parts))


def _guarded(target, guard):
    """``target`` with each of its coroutine methods raising ``Unavailable`` for Redis errors
    (but ``aclose``, which must close what it holds during an outage too)."""
    for name in dir(type(target)):
        method = getattr(target, name)
        if not name.startswith("_") and name != "aclose" and inspect.iscoroutinefunction(method):
            setattr(target, name, guard.wrap(method))
    return target


async def _quietly(coroutine):
    try:
        await coroutine
    except Exception:  # noqa: BLE001 - closing what already broke.
        pass
