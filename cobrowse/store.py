"""Where the server keeps its sessions: one small interface, in memory by default.

Public names:

- ``SessionStore``: the interface. Every method is a coroutine, so a shared store (Redis)
  can implement it without changing its callers.
- ``MemoryStore``: the default store, for one server process.
- ``new_access_code(taken)``: a random 6-digit code not in ``taken``.

A session is a plain dict (JSON-ready, so another store can serialize it):
``{"accessCode", "SID", "siteCode", "url", "title", "agents": [{"id", "name"}], "created"}``.
Connections are not state: they belong to the process holding them (``server.Hub``).
"""

import secrets
import time

# An ended session's code is not handed out again for this long, so an agent typing a code
# that just ended gets "no active session" rather than somebody else's session.
RETIRED_CODE_SECONDS = 3600


def new_access_code(taken):
    """Return a uniformly random 6-digit code (leading zeros kept) that is not in ``taken``."""
    if len(taken) >= 900_000:
        raise RuntimeError("access codes are exhausted")
    while True:
        code = "%06d" % secrets.randbelow(1_000_000)
        if code not in taken:
            return code


class SessionStore:
    """The interface every session store offers."""

    async def create(self, site_code, sid=None, url=None):
        """Create a session with a fresh access code and return it."""
        raise NotImplementedError

    async def get(self, code):
        """The live session with this access code, or None."""
        raise NotImplementedError

    async def find(self, code_or_sid):
        """The live session with this access code or external SID, or None."""
        raise NotImplementedError

    async def update(self, code, **fields):
        """Set fields (url, title) of a live session; return it, or None if it ended."""
        raise NotImplementedError

    async def add_agent(self, code, agent):
        """Add ``{"id", "name"}`` to a live session's agents; return the session or None."""
        raise NotImplementedError

    async def remove_agent(self, code, agent_id):
        """Remove an agent; return the agent removed, or None if it was not there."""
        raise NotImplementedError

    async def end(self, code):
        """End a session: return it as it was, or None if it had already ended."""
        raise NotImplementedError


class MemoryStore(SessionStore):
    """Sessions in this process's memory."""

    def __init__(self):
        self._sessions = {}
        self._by_sid = {}
        self._retired = {}  # code -> time it may be reused

    async def create(self, site_code, sid=None, url=None):
        now = time.monotonic()
        self._retired = {code: until for code, until in self._retired.items() if until > now}
        code = new_access_code(self._sessions.keys() | self._retired.keys())
        session = {"accessCode": code, "SID": sid, "siteCode": site_code, "url": url, "title": None, "agents": [], "created": time.time()}
        self._sessions[code] = session
        if sid:
            self._by_sid[sid] = code
        return session

    async def get(self, code):
        return self._sessions.get(code)

    async def find(self, code_or_sid):
        code = code_or_sid if code_or_sid in self._sessions else self._by_sid.get(code_or_sid)
        return self._sessions.get(code) if code else None

    async def update(self, code, **fields):
        session = self._sessions.get(code)
        if session is not None:
            session.update(fields)
        return session

    async def add_agent(self, code, agent):
        session = self._sessions.get(code)
        if session is not None:
            session["agents"].append(agent)
        return session

    async def remove_agent(self, code, agent_id):
        session = self._sessions.get(code)
        if session is None:
            return None
        for agent in session["agents"]:
            if agent["id"] == agent_id:
                session["agents"].remove(agent)
                return agent
        return None

    async def end(self, code):
        session = self._sessions.pop(code, None)
        if session is not None:
            self._retired[code] = time.monotonic() + RETIRED_CODE_SECONDS
            if session["SID"] and self._by_sid.get(session["SID"]) == code:
                del self._by_sid[session["SID"]]
        return session
