"""Sessions in this process's memory.

Public names:

- ``MemoryStore(clock=None)``: the default ``store.SessionStore``, for one server process;
  ``clock`` (a ``clock.Clock``, the loop's by default) times the retirement of ended codes.
"""

from collections.abc import Callable, Mapping
from typing import TypeVar

from cobrowse.server.backends.records import (RETIRED_CODE_SECONDS, Agent, RecordMoves, Session, agent_of,
                                              new_access_code, new_session, new_token)
from cobrowse.server.clock import Clock, LoopClock

T = TypeVar("T")


class MemoryStore(RecordMoves):
    """Sessions in this process's memory, with lookups by SID and by token."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or LoopClock()
        self._sessions: dict[str, Session] = {}
        self._by_sid: dict[str, str] = {}
        self._by_token: dict[str, str] = {}  # visitor resume token -> code
        self._by_agent_token: dict[str, tuple[str, str]] = {}  # agent token -> (code, agent id)
        self._retired: dict[str, float] = {}  # code -> time it may be reused
        self._next_sweep = 0.0

    def _taken(self) -> "_Taken":
        # Retired codes are swept at most once a minute, not on every create.
        now = self.clock.time()
        if now >= self._next_sweep:
            self._retired = {code: until for code, until in self._retired.items() if until > now}
            self._next_sweep = now + 60
        return _Taken(self._sessions, self._retired, now)

    async def create(self, site_code: str, sid: str | None = None, url: str | None = None,
                     network_timeout: float | None = None) -> Session:
        code = new_access_code(self._taken())
        session = new_session(code, new_token(), site_code, sid, url, network_timeout)
        self._sessions[code] = session
        self._by_token[session["token"]] = code
        if sid:
            self._by_sid[sid] = code
        return session

    async def by_token(self, token: str) -> Session | None:
        code = self._by_token.get(token)
        return self._sessions.get(code) if code else None

    async def new_token(self, code: str) -> str | None:
        session = self._sessions.get(code)
        if session is None:
            return None
        self._by_token.pop(session["token"], None)
        session["token"] = token = new_token()
        self._by_token[token] = code
        return token

    async def get(self, code: str) -> Session | None:
        return self._sessions.get(code)

    async def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    async def find(self, code_or_sid: str | None) -> Session | None:
        if code_or_sid is None:
            return None
        code = code_or_sid if code_or_sid in self._sessions else self._by_sid.get(code_or_sid)
        return self._sessions.get(code) if code else None

    async def add_agent(self, code: str, agent: Agent) -> Session | None:
        session = self._sessions.get(code)
        if session is not None:
            session["agents"].append(agent)
            if agent.get("token"):
                self._by_agent_token[agent["token"]] = (code, agent["id"])
        return session

    async def agent_by_token(self, token: str) -> tuple[Session, Agent] | None:
        found = self._by_agent_token.get(token)
        if found is None:
            return None
        session = self._sessions.get(found[0])
        agent = agent_of(session, found[1])
        return (session, agent) if session is not None and agent is not None else None

    async def new_agent_token(self, code: str, agent_id: str) -> str | None:
        agent = agent_of(self._sessions.get(code), agent_id)
        if agent is None:
            return None
        self._forget_agent_token(agent)
        agent["token"] = token = new_token()
        self._by_agent_token[token] = (code, agent_id)
        return token

    async def remove_agent(self, code: str, agent_id: str) -> Agent | None:
        agent = agent_of(self._sessions.get(code), agent_id)
        if agent is None:
            return None
        self._sessions[code]["agents"].remove(agent)
        self._forget_agent_token(agent)
        return agent

    async def end(self, code: str) -> Session | None:
        session = self._sessions.pop(code, None)
        if session is not None:
            self._retired[code] = self.clock.time() + RETIRED_CODE_SECONDS
            if session["SID"] and self._by_sid.get(session["SID"]) == code:
                del self._by_sid[session["SID"]]
            self._by_token.pop(session["token"], None)
            for agent in session["agents"]:
                self._forget_agent_token(agent)
        return session

    def _forget_agent_token(self, agent: Agent) -> None:
        if agent.get("token"):
            self._by_agent_token.pop(agent["token"], None)

    async def change(self, code: str, function: Callable[[Session], T | None]) -> T | None:
        session = self._sessions.get(code)
        return function(session) if session is not None else None


class _Taken:
    """The codes ``new_access_code`` must not hand out: live ones and those still retired.

    A view, not a copy: building a set of every code on each create would cost time in
    proportion to the number of sessions.
    """

    def __init__(self, sessions: Mapping[str, Session], retired: Mapping[str, float], now: float) -> None:
        self.sessions = sessions
        self.retired = retired
        self.now = now

    def __len__(self) -> int:
        return len(self.sessions) + len(self.retired)

    def __contains__(self, code: object) -> bool:
        return code in self.sessions or (isinstance(code, str) and self.retired.get(code, 0) > self.now)
