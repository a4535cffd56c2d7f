"""Where the server keeps its sessions: the interface every session store offers.

Public names:

- ``SessionStore``: the interface (``memory.store.MemoryStore``, ``redis.store.RedisStore``).
  Every method is a coroutine, so that a shared store can implement it without changing its
  callers. A session is the record of ``records``.
"""

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from cobrowse.server.backends.records import Agent, Attachment, Session

T = TypeVar("T")


class SessionStore(Protocol):
    """The sessions of a deployment, by access code, external SID and secret token."""

    async def create(self, site_code: str, sid: str | None = None, url: str | None = None,
                     network_timeout: float | None = None) -> Session:
        """Create a session with a fresh access code and resume token and return it."""

    async def by_token(self, token: str) -> Session | None:
        """The live session whose current resume token is ``token``, or None."""

    async def new_token(self, code: str) -> str | None:
        """Give a live session a fresh resume token (the old one stops working) and return it.

        Return None if the session has ended.
        """

    async def get(self, code: str) -> Session | None:
        """The live session with this access code, or None."""

    async def sessions(self) -> list[Session]:
        """Every live session (the supervisors' list), in no particular order."""

    async def find(self, code_or_sid: str | None) -> Session | None:
        """The live session with this access code or external SID, or None."""

    async def update(self, code: str, **fields: Any) -> Session | None:
        """Set fields (url, title) of a live session; return it, or None if it ended."""

    async def add_agent(self, code: str, agent: Agent) -> Session | None:
        """Add ``{"id", "name", "token"}`` to a live session's agents; return the session or None."""

    async def agent_by_token(self, token: str) -> tuple[Session, Agent] | None:
        """``(session, agent)`` for the agent whose current token is ``token``, or None."""

    async def new_agent_token(self, code: str, agent_id: str) -> str | None:
        """Give an agent a fresh token (the old one stops working) and return it, or None."""

    async def remove_agent(self, code: str, agent_id: str) -> Agent | None:
        """Remove an agent; return the agent removed, or None if it was not there."""

    async def end(self, code: str) -> Session | None:
        """End a session: return it as it was, or None if it had already ended."""

    async def change(self, code: str, function: Callable[[Session], T | None]) -> T | None:
        """Change a live session's record at once for every process: ``function(session)``
        changes the dict it is given and returns what ``change`` returns, or None to leave the
        record as it was. None if the session has ended. ``function`` may run more than once
        (a shared store retries it when another process changed the record meanwhile), so it
        must not do anything but look at and change the record."""

    async def attach(self, code: str, who: str, conn: str, expected: Attachment = None) -> Session | None:
        """Attach connection ``conn`` for ``who`` (``VISITOR`` or an agent id) if the current
        attachment is still ``expected``; return the session, or None if it ended, the agent is
        gone, or another connection got there first."""

    async def detach(self, code: str, who: str, conn: str) -> Session | None:
        """Detach ``who`` if connection ``conn`` is its attachment; return the session, or None
        if ``conn`` was not attached (it was replaced, or the session ended)."""

    async def mark_silent(self, code: str, who: str, conn: str, silent: bool) -> None:
        """Say whether ``who``'s attached connection ``conn`` has gone silent."""
