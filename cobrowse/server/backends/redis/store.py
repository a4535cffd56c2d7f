"""Sessions in Redis, shared by every process (keys ``s:``, ``retired:``, ``sid:``, ``vt:``, ``at:``).

Public names:

- ``RedisStore(client)``: the ``store.SessionStore`` on one ``redis.asyncio.Redis`` client.
- ``CODE_DRAWS``: draws of a free access code before the codes are taken to be exhausted.
"""

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from cobrowse.server.backends.records import (RETIRED_CODE_SECONDS, Agent, CodesExhausted, RecordMoves, Session,
                                              agent_of, new_session, new_token)
from cobrowse.server.backends.redis.keys import SESSION_SECONDS, decoded, key
from cobrowse.server.backends.redis.lua import register

CODE_DRAWS: Final = 30

T = TypeVar("T")


class RedisStore(RecordMoves):
    """Sessions as JSON records, each changed in a transaction that retries on a conflict."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.redis = client
        self._create = register(client, "create")

    async def create(self, site_code: str, sid: str | None = None, url: str | None = None,
                     network_timeout: float | None = None) -> Session:
        token = new_token()
        session = new_session(None, token, site_code, sid, url, network_timeout)
        for _ in range(CODE_DRAWS):
            code = session["accessCode"] = "%06d" % secrets.randbelow(1_000_000)
            keys = [key("s", code), key("retired", code), key("vt", token)] + ([key("sid", sid)] if sid else [])
            if await self._create(keys=keys, args=[json.dumps(session), code, SESSION_SECONDS]):
                return session
        raise CodesExhausted("access codes are exhausted")

    async def get(self, code: str) -> Session | None:
        raw = await self.redis.get(key("s", code))
        return json.loads(raw) if raw is not None else None

    async def sessions(self) -> list[Session]:
        # SCAN walks the keys a page at a time, so a large deployment does not block Redis.
        keys = [found async for found in self.redis.scan_iter(match=key("s", "*"), count=1000)]
        sessions = []
        for start in range(0, len(keys), 1000):
            sessions += [json.loads(raw) for raw in await self.redis.mget(keys[start:start + 1000]) if raw is not None]
        return sessions

    async def find(self, code_or_sid: str | None) -> Session | None:
        if code_or_sid is None:
            return None
        session = await self.get(code_or_sid)
        if session is None:
            code = await self.redis.get(key("sid", code_or_sid))
            session = await self.get(decoded(code)) if code else None
        return session

    async def by_token(self, token: str) -> Session | None:
        code = await self.redis.get(key("vt", token))
        session = await self.get(decoded(code)) if code else None
        return session if session is not None and session["token"] == token else None

    async def agent_by_token(self, token: str) -> tuple[Session, Agent] | None:
        found = await self.redis.get(key("at", token))
        if not found:
            return None
        code, agent_id = decoded(found).split(" ")
        session = await self.get(code)
        agent = agent_of(session, agent_id)
        return (session, agent) if session is not None and agent is not None and agent["token"] == token else None

    async def _transaction(self, code: str, body: Callable[[Pipeline, Session], Awaitable[T]]) -> T | None:
        """Run coroutine ``body(pipe, session)`` with the record watched, again whenever another
        process changed it first; None if the session has ended."""
        record = key("s", code)
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(record)
                    raw = await pipe.get(record)
                    return None if raw is None else await body(pipe, json.loads(raw))
                except WatchError:
                    continue

    async def _change(self, code: str, change: Callable[[Session, Pipeline], T | None]) -> T | None:
        """Apply ``change(session, pipe)`` to the record in a transaction and return what it
        returns; ``change`` queues further writes on ``pipe`` and returns ``None`` to write
        nothing. None if the session has ended."""
        async def body(pipe: Pipeline, session: Session) -> T | None:
            pipe.multi()
            result = change(session, pipe)
            if result is not None:
                pipe.set(key("s", code), json.dumps(session), ex=SESSION_SECONDS)
                await pipe.execute()
            return result
        return await self._transaction(code, body)

    async def change(self, code: str, function: Callable[[Session], T | None]) -> T | None:
        return await self._change(code, lambda session, pipe: function(session))

    async def new_token(self, code: str) -> str | None:
        def change(session: Session, pipe: Pipeline) -> str:
            pipe.delete(key("vt", session["token"]))
            session["token"] = token = new_token()
            pipe.set(key("vt", token), code, ex=SESSION_SECONDS)
            return token
        return await self._change(code, change)

    async def add_agent(self, code: str, agent: Agent) -> Session | None:
        def change(session: Session, pipe: Pipeline) -> Session:
            session["agents"].append(agent)
            if agent.get("token"):
                pipe.set(key("at", agent["token"]), "%s %s" % (code, agent["id"]), ex=SESSION_SECONDS)
            return session
        return await self._change(code, change)

    async def new_agent_token(self, code: str, agent_id: str) -> str | None:
        def change(session: Session, pipe: Pipeline) -> str | None:
            agent = _forget_token(session, agent_id, pipe)
            if agent is None:
                return None
            agent["token"] = token = new_token()
            pipe.set(key("at", token), "%s %s" % (code, agent_id), ex=SESSION_SECONDS)
            return token
        return await self._change(code, change)

    async def remove_agent(self, code: str, agent_id: str) -> Agent | None:
        def change(session: Session, pipe: Pipeline) -> Agent | None:
            agent = _forget_token(session, agent_id, pipe)
            if agent is not None:
                session["agents"].remove(agent)
            return agent
        return await self._change(code, change)

    async def end(self, code: str) -> Session | None:
        async def body(pipe: Pipeline, session: Session) -> Session:
            sid_key = key("sid", session["SID"]) if session["SID"] else None
            sid_code = await pipe.get(sid_key) if sid_key else None
            pipe.multi()
            pipe.delete(key("s", code), key("vt", session["token"]),
                        *[key("at", agent["token"]) for agent in session["agents"]])
            # A later session may have taken the SID over: its lookup stays.
            if sid_key is not None and sid_code is not None and decoded(sid_code) == code:
                pipe.delete(sid_key)
            pipe.set(key("retired", code), 1, ex=RETIRED_CODE_SECONDS)
            await pipe.execute()
            return session
        return await self._transaction(code, body)


def _forget_token(session: Session, agent_id: str, pipe: Pipeline) -> Agent | None:
    """The agent ``agent_id`` of ``session``, its token's lookup deleted on ``pipe``; None if
    the agent is not there."""
    agent = agent_of(session, agent_id)
    if agent is not None:
        pipe.delete(key("at", agent["token"]))
    return agent
