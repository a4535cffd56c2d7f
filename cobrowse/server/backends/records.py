"""The session record: what every store keeps of a session, and the helpers that read and change it.

Public names:

- ``Session``, ``Agent``, ``Attachment``: the types of a record, an agent's dict in it, and an
  attachment (below).
- ``new_session(code, token, site_code, sid, url, network_timeout)``: a fresh record.
- ``new_access_code(taken)``: a random 6-digit code not in ``taken`` (a ``Taken``); ``CodesExhausted``: raised
  when (almost) every code is live or retired.
- ``new_token()``: a fresh secret (a resume token, an agent's token, an agent id).
- ``VISITOR``: the ``who`` of the visitor's attachment (an agent's is its id);
  ``attachment(session, who)`` (``GONE`` for an agent no longer there),
  ``attached(session, who, conn)``, ``set_attachment(session, who, value)``;
  ``agent_of(session, agent_id)``: the agent's dict in a session, or None.
- ``attach_to``, ``detach_from``, ``silence``: the attachment moves on a record, as every store
  makes them; ``RecordMoves``: a store's ``update``, ``attach``, ``detach`` and ``mark_silent``,
  written once over its ``change``.
- ``RETIRED_CODE_SECONDS``, ``TOKEN_BYTES``.

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

import secrets
import time
from collections.abc import Callable
from typing import Any, Final, Literal, Protocol, TypeVar

Session = dict[str, Any]
Agent = dict[str, Any]
# None (nobody connected), ``{"conn": id}`` or ``{"conn": id, "silent": True}``.
Attachment = dict[str, Any] | None

T = TypeVar("T")

# An ended session's code is not handed out again for this long, so an agent typing a code
# that just ended gets "no active session" rather than somebody else's session.
RETIRED_CODE_SECONDS: Final = 3600

# Secrets are 24 random bytes (192 bits), 32 characters of URL-safe base64.
TOKEN_BYTES: Final = 24

# The ``who`` of the visitor's attachment; an agent's attachment is named by the agent's id.
VISITOR: Final = "visitor"

# What ``attachment`` gives for an agent who is not in the session.
GONE: Final = "gone"


class Taken(Protocol):
    """The codes in use: how many, and whether one is (a set will do)."""

    def __len__(self) -> int: ...

    def __contains__(self, code: object) -> bool: ...


class CodesExhausted(RuntimeError):
    """Nine codes in ten are live or retired: drawing a free one would take too long."""


def new_access_code(taken: Taken) -> str:
    """Return a uniformly random 6-digit code (leading zeros kept) that is not in ``taken``."""
    if len(taken) >= 900_000:
        raise CodesExhausted("access codes are exhausted")
    while True:
        code = "%06d" % secrets.randbelow(1_000_000)
        if code not in taken:
            return code


def new_token() -> str:
    """Return a fresh unguessable secret: ``TOKEN_BYTES`` bytes from ``secrets``, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_session(code: str | None, token: str, site_code: str, sid: str | None, url: str | None,
                network_timeout: float | None) -> Session:
    """A new session's record: nobody attached, no agent, created now."""
    return {
        "accessCode": code, "SID": sid, "siteCode": site_code, "url": url, "title": None, "agents": [],
        "created": time.time(), "token": token, "networkTimeout": network_timeout, "visitor": None,
    }


def attachment(session: Session, who: str) -> Attachment | Literal["gone"]:
    """``who``'s attachment in ``session``: None, ``{"conn", "silent"?}``, or ``GONE`` when
    ``who`` is an agent no longer in the session."""
    if who == VISITOR:
        visitor: Attachment = session["visitor"]
        return visitor
    agent = agent_of(session, who)
    if agent is None:
        return GONE
    conn: Attachment = agent.get("conn")
    return conn


def attached(session: Session, who: str, conn: str) -> bool:
    """Whether connection ``conn`` is ``who``'s attachment in ``session``."""
    current = attachment(session, who)
    return isinstance(current, dict) and current["conn"] == conn


def set_attachment(session: Session, who: str, value: Attachment) -> None:
    if who == VISITOR:
        session["visitor"] = value
    else:
        agent = agent_of(session, who)
        assert agent is not None, "only an agent of the session is attached"
        agent["conn"] = value


def agent_of(session: Session | None, agent_id: str) -> Agent | None:
    """The agent of ``session`` (which may be None) with this id, or None."""
    if session is not None:
        agents: list[Agent] = session["agents"]
        for agent in agents:
            if agent["id"] == agent_id:
                return agent
    return None


def attach_to(session: Session, who: str, conn: str, expected: Attachment) -> Session | None:
    """Attach ``conn`` for ``who`` if its attachment is still ``expected``: the session, else
    None (an agent who left is attached to nothing, whatever was expected)."""
    current = attachment(session, who)
    if current == GONE or current != expected:
        return None
    set_attachment(session, who, {"conn": conn})
    return session


def detach_from(session: Session, who: str, conn: str) -> Session | None:
    """Detach ``who`` if ``conn`` is its attachment: the session, else None."""
    if not attached(session, who, conn):
        return None
    set_attachment(session, who, None)
    return session


def silence(session: Session, who: str, conn: str, silent: bool) -> Session | None:
    """Say whether ``who``'s attached ``conn`` has gone silent: the session, else None."""
    if not attached(session, who, conn):
        return None
    set_attachment(session, who, {"conn": conn, "silent": True} if silent else {"conn": conn})
    return session


class _Changes(Protocol):
    async def change(self, code: str, function: Callable[[Session], T | None]) -> T | None: ...


class RecordMoves:
    """``SessionStore``'s moves that only read and change the record, over the store's own
    atomic ``change``: the same for every store."""

    async def update(self: _Changes, code: str, **fields: Any) -> Session | None:
        def set_fields(session: Session) -> Session:
            session.update(fields)
            return session
        return await self.change(code, set_fields)

    async def attach(self: _Changes, code: str, who: str, conn: str, expected: Attachment = None) -> Session | None:
        return await self.change(code, lambda session: attach_to(session, who, conn, expected))

    async def detach(self: _Changes, code: str, who: str, conn: str) -> Session | None:
        return await self.change(code, lambda session: detach_from(session, who, conn))

    async def mark_silent(self: _Changes, code: str, who: str, conn: str, silent: bool) -> None:
        await self.change(code, lambda session: silence(session, who, conn, silent))
