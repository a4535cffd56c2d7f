"""Where the server keeps its sessions: one small interface, in memory by default.

Public names:

- ``SessionStore``: the interface. Every method is a coroutine, so a shared store (Redis)
  can implement it without changing its callers.
- ``MemoryStore``: the default store, for one server process.
- ``new_access_code(taken)``: a random 6-digit code not in ``taken``.
- ``CodesExhausted``: raised when (almost) every code is live or retired.
- ``new_token()``: a fresh secret (a resume token, an agent's token, an agent id).
- ``VISITOR``: the ``who`` of the visitor's attachment (an agent's is its id);
  ``attachment(session, who)`` (``GONE`` for an agent no longer there),
  ``attached(session, who, conn)``, ``set_attachment(session, who, value)``;
  ``agent_of(session, agent_id)``: the agent's dict in a session, or None.
- ``JoinLimiter``: the interface that counts failed joins per client.
- ``MemoryJoinLimiter``: the default limiter, in this process's memory.
- ``ViewLog``: the interface that keeps each session's live view for late joiners; ``LOST``;
  ``log_entries(entries, after, count)``: what a reader of a log gets.
- ``MemoryViewLog``: the default view log, in this process's memory.
- ``RETIRED_CODE_SECONDS``, ``TOKEN_BYTES``, ``JOIN_ATTEMPTS``, ``JOIN_WINDOW_SECONDS``,
  ``VIEW_LOG_CHARS``, ``BATCH``.

A session is a plain dict (JSON-ready, so another store can serialize it):
``{"accessCode", "SID", "siteCode", "url", "title", "agents": [{"id", "name", "token", "conn"}],
"created", "token", "networkTimeout", "visitor"}``. ``token`` is the visitor's resume token and
each agent's ``token`` is that agent's rejoin secret: neither is ever shown to anybody but its
owner. ``visitor`` and each agent's ``conn`` are attachments: None while nobody is connected for
that party, else ``{"conn": connection id}`` (with ``"silent": True`` once the process holding
the connection has not heard from it for a while). The sockets themselves belong to the process
holding them (``relay.Relay``); the attachment is what every process can see of them. Any other
state of a session that every process must see belongs in this record too.
"""

import math
import secrets
import time

# An ended session's code is not handed out again for this long, so an agent typing a code
# that just ended gets "no active session" rather than somebody else's session.
RETIRED_CODE_SECONDS = 3600

# Secrets are 24 random bytes (192 bits), 32 characters of URL-safe base64.
TOKEN_BYTES = 24

# The ``who`` of the visitor's attachment; an agent's attachment is named by the agent's id.
VISITOR = "visitor"

# More than this many failed joins from one client within the window are refused.
JOIN_ATTEMPTS = 5
JOIN_WINDOW_SECONDS = 60


class CodesExhausted(RuntimeError):
    """Nine codes in ten are live or retired: drawing a free one would take too long."""


def new_access_code(taken):
    """Return a uniformly random 6-digit code (leading zeros kept) that is not in ``taken``."""
    if len(taken) >= 900_000:
        raise CodesExhausted("access codes are exhausted")
    while True:
        code = "%06d" % secrets.randbelow(1_000_000)
        if code not in taken:
            return code


def new_token():
    """Return a fresh unguessable secret: ``TOKEN_BYTES`` bytes from ``secrets``, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class SessionStore:
    """The interface every session store offers."""

    async def create(self, site_code, sid=None, url=None, network_timeout=None):
        """Create a session with a fresh access code and resume token and return it."""
        raise NotImplementedError

    async def by_token(self, token):
        """The live session whose current resume token is ``token``, or None."""
        raise NotImplementedError

    async def new_token(self, code):
        """Give a live session a fresh resume token (the old one stops working) and return it.

        Return None if the session has ended.
        """
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
        """Add ``{"id", "name", "token"}`` to a live session's agents; return the session or None."""
        raise NotImplementedError

    async def agent_by_token(self, token):
        """``(session, agent)`` for the agent whose current token is ``token``, or None."""
        raise NotImplementedError

    async def new_agent_token(self, code, agent_id):
        """Give an agent a fresh token (the old one stops working) and return it, or None."""
        raise NotImplementedError

    async def remove_agent(self, code, agent_id):
        """Remove an agent; return the agent removed, or None if it was not there."""
        raise NotImplementedError

    async def end(self, code):
        """End a session: return it as it was, or None if it had already ended."""
        raise NotImplementedError

    async def change(self, code, function):
        """Change a live session's record at once for every process: ``function(session)``
        changes the dict it is given and returns what ``change`` returns, or None to leave the
        record as it was. None if the session has ended. ``function`` may run more than once
        (a shared store retries it when another process changed the record meanwhile), so it
        must not do anything but look at and change the record."""
        raise NotImplementedError

    async def attach(self, code, who, conn, expected=None):
        """Attach connection ``conn`` for ``who`` (``VISITOR`` or an agent id) if the current
        attachment is still ``expected``; return the session, or None if it ended, the agent is
        gone, or another connection got there first."""
        raise NotImplementedError

    async def detach(self, code, who, conn):
        """Detach ``who`` if connection ``conn`` is its attachment; return the session, or None
        if ``conn`` was not attached (it was replaced, or the session ended)."""
        raise NotImplementedError

    async def mark_silent(self, code, who, conn, silent):
        """Say whether ``who``'s attached connection ``conn`` has gone silent."""
        raise NotImplementedError


class MemoryStore(SessionStore):
    """Sessions in this process's memory."""

    def __init__(self):
        self._sessions = {}
        self._by_sid = {}
        self._by_token = {}  # visitor resume token -> code
        self._by_agent_token = {}  # agent token -> (code, agent id)
        self._retired = {}  # code -> time it may be reused
        self._next_sweep = 0.0

    def _taken(self):
        # Retired codes are swept at most once a minute, not on every create.
        now = time.monotonic()
        if now >= self._next_sweep:
            self._retired = {code: until for code, until in self._retired.items() if until > now}
            self._next_sweep = now + 60
        return _Taken(self._sessions, self._retired, now)

    async def create(self, site_code, sid=None, url=None, network_timeout=None):
        code = new_access_code(self._taken())
        token = new_token()
        session = {
            "accessCode": code, "SID": sid, "siteCode": site_code, "url": url, "title": None, "agents": [],
            "created": time.time(), "token": token, "networkTimeout": network_timeout, "visitor": None,
        }
        self._sessions[code] = session
        self._by_token[token] = code
        if sid:
            self._by_sid[sid] = code
        return session

    async def by_token(self, token):
        code = self._by_token.get(token)
        return self._sessions.get(code) if code else None

    async def new_token(self, code):
        session = self._sessions.get(code)
        if session is None:
            return None
        self._by_token.pop(session["token"], None)
        session["token"] = token = new_token()
        self._by_token[token] = code
        return token

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
            if agent.get("token"):
                self._by_agent_token[agent["token"]] = (code, agent["id"])
        return session

    async def agent_by_token(self, token):
        found = self._by_agent_token.get(token)
        if found is None:
            return None
        session = self._sessions.get(found[0])
        agent = agent_of(session, found[1])
        return (session, agent) if agent is not None else None

    async def new_agent_token(self, code, agent_id):
        agent = agent_of(self._sessions.get(code), agent_id)
        if agent is None:
            return None
        self._by_agent_token.pop(agent.get("token"), None)
        agent["token"] = token = new_token()
        self._by_agent_token[token] = (code, agent_id)
        return token

    async def remove_agent(self, code, agent_id):
        agent = agent_of(self._sessions.get(code), agent_id)
        if agent is None:
            return None
        self._sessions[code]["agents"].remove(agent)
        self._by_agent_token.pop(agent.get("token"), None)
        return agent

    async def end(self, code):
        session = self._sessions.pop(code, None)
        if session is not None:
            self._retired[code] = time.monotonic() + RETIRED_CODE_SECONDS
            if session["SID"] and self._by_sid.get(session["SID"]) == code:
                del self._by_sid[session["SID"]]
            self._by_token.pop(session["token"], None)
            for agent in session["agents"]:
                self._by_agent_token.pop(agent.get("token"), None)
        return session

    async def change(self, code, function):
        session = self._sessions.get(code)
        return function(session) if session is not None else None

    async def attach(self, code, who, conn, expected=None):
        session = self._sessions.get(code)
        if session is None or attachment(session, who) != expected:
            return None
        set_attachment(session, who, {"conn": conn})
        return session

    async def detach(self, code, who, conn):
        session = self._sessions.get(code)
        if session is None or not attached(session, who, conn):
            return None
        set_attachment(session, who, None)
        return session

    async def mark_silent(self, code, who, conn, silent):
        session = self._sessions.get(code)
        if session is not None and attached(session, who, conn):
            set_attachment(session, who, {"conn": conn, "silent": True} if silent else {"conn": conn})


def attachment(session, who):
    """``who``'s attachment in ``session``: None, ``{"conn", "silent"?}``, or ``GONE`` when
    ``who`` is an agent no longer in the session."""
    if who == VISITOR:
        return session["visitor"]
    agent = agent_of(session, who)
    return GONE if agent is None else agent.get("conn")


def attached(session, who, conn):
    """Whether connection ``conn`` is ``who``'s attachment in ``session``."""
    current = attachment(session, who)
    return isinstance(current, dict) and current["conn"] == conn


def set_attachment(session, who, value):
    if who == VISITOR:
        session["visitor"] = value
    else:
        agent_of(session, who)["conn"] = value


# What ``attachment`` gives for an agent who is not in the session.
GONE = "gone"


def agent_of(session, agent_id):
    """The agent of ``session`` (which may be None) with this id, or None."""
    if session is not None:
        for agent in session["agents"]:
            if agent["id"] == agent_id:
                return agent
    return None


class _Taken:
    """The codes ``new_access_code`` must not hand out: live ones and those still retired.

    A view, not a copy: building a set of every code on each create would cost time in
    proportion to the number of sessions.
    """

    def __init__(self, sessions, retired, now):
        self.sessions = sessions
        self.retired = retired
        self.now = now

    def __len__(self):
        return len(self.sessions) + len(self.retired)

    def __contains__(self, code):
        return code in self.sessions or self.retired.get(code, 0) > self.now


class JoinLimiter:
    """The interface that limits failed joins per client (a coroutine per method, as the store).

    A client is any hashable key; the server uses ``(agent key, remote address)``.
    """

    async def retry_after(self, client):
        """Whole seconds ``client`` must wait before its next join is heard, or 0 if it may try."""
        raise NotImplementedError

    async def failed(self, client):
        """Count one failed join of ``client``."""
        raise NotImplementedError


class MemoryJoinLimiter(JoinLimiter):
    """At most ``attempts`` failed joins per client in any ``window`` seconds, in memory.

    A client that has failed ``attempts`` times within the last ``window`` seconds is refused
    until the oldest of those failures is ``window`` seconds old. Refused joins are not counted,
    so waiting the time given is always enough. Clients with no recent failure take no memory.
    """

    def __init__(self, attempts=JOIN_ATTEMPTS, window=JOIN_WINDOW_SECONDS):
        self.attempts = attempts
        self.window = window
        self._failures = {}  # client -> [times of recent failures, oldest first]
        self._next_sweep = 0.0

    def _recent(self, client, now):
        times = self._failures.get(client)
        if times is None:
            return []
        while times and times[0] <= now - self.window:
            times.pop(0)
        if not times:
            del self._failures[client]
        return times

    def _sweep(self, now):
        if now >= self._next_sweep:
            for client in list(self._failures):
                self._recent(client, now)
            self._next_sweep = now + self.window

    async def retry_after(self, client):
        now = time.monotonic()
        times = self._recent(client, now)
        if len(times) < self.attempts:
            return 0
        return max(1, math.ceil(times[-self.attempts] + self.window - now))

    async def failed(self, client):
        now = time.monotonic()
        self._sweep(now)
        self._recent(client, now)
        self._failures.setdefault(client, []).append(now)


# What ``ViewLog.read`` gives for a log that outgrew its limit.
LOST = "lost"

# A session's view log is dropped past this many characters (its snapshot and the changes
# since), about 8 MB: a late joiner then waits for a new snapshot instead.
VIEW_LOG_CHARS = 8 * 1024 * 1024

# A log is read in batches of this many messages, so that no read holds the whole log at once.
BATCH = 16


class ViewLog:
    """The interface that keeps each session's live view, so that an agent who joins (or comes
    back) late sees the current page at once, without a new snapshot that would rebuild the
    view of the agents already watching.

    Every view message of a session gets the next number of that session (its ``seq``, from 1).
    A log is the view message that carried the latest full snapshot, then every view message
    after it, as the text that came from the visitor. A session is in one of three states:
    no log (no snapshot has come since the log was last dropped), a log, or a lost log (it grew
    past its limit; a new snapshot is needed to serve a late joiner).
    """

    async def record(self, code, text, full):
        """Number view message ``text`` of session ``code`` and keep it if there is a log (or
        start one, when ``full``: it carries a full snapshot). Return its number."""
        raise NotImplementedError

    async def read(self, code, after=0, count=BATCH):
        """``(head, entries)``: ``head`` is the number of the session's latest view message (0
        before any); ``entries`` are at most ``count`` ``(seq, text)`` of the log, oldest first:
        those after ``after`` when the log holds ``after + 1``, else the whole log from its
        snapshot (a replay that a viewer who missed messages can start from). ``entries`` is
        None when there is no log, ``LOST`` when it outgrew its limit."""
        raise NotImplementedError

    async def drop(self, code):
        """Forget the session's log (nobody is watching any more); its numbers go on."""
        raise NotImplementedError

    async def close(self, code):
        """Forget everything about the session (it ended)."""
        raise NotImplementedError


def log_entries(entries, after, count):
    """The ``count`` entries of a log (``(seq, text)``, oldest first) a reader after ``after``
    gets: those after it if the log holds ``after + 1``, else the log from its start."""
    if entries and entries[0][0] <= after + 1:
        entries = [entry for entry in entries if entry[0] > after]
    return entries[:count]


class MemoryViewLog(ViewLog):
    """Each session's log in this process's memory, up to ``limit`` characters."""

    def __init__(self, limit=VIEW_LOG_CHARS):
        self.limit = limit
        self._heads = {}  # code -> number of the latest view message
        self._logs = {}  # code -> [total characters, [(seq, text)]], or LOST

    async def record(self, code, text, full):
        seq = self._heads[code] = self._heads.get(code, 0) + 1
        if full:
            self._logs[code] = [len(text), [(seq, text)]]
            return seq
        log = self._logs.get(code)
        if log is None or log == LOST:
            return seq
        log[0] += len(text)
        if log[0] > self.limit:
            self._logs[code] = LOST
        else:
            log[1].append((seq, text))
        return seq

    async def read(self, code, after=0, count=BATCH):
        log = self._logs.get(code)
        head = self._heads.get(code, 0)
        if log is None or log == LOST:
            return head, log
        return head, log_entries(log[1], after, count)

    async def drop(self, code):
        self._logs.pop(code, None)

    async def close(self, code):
        self._logs.pop(code, None)
        self._heads.pop(code, None)
