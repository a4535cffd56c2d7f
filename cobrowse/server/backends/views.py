"""The view logs: the interface that keeps each session's live view for late joiners.

Public names:

- ``ViewLog``: the interface (``memory.views.MemoryViewLog``, ``redis.views.RedisViewLog``).
- ``Entries``: what a read gives: ``(seq, text)`` pairs, oldest first.
- ``LOST``: what ``read`` gives for a log that outgrew its limit.
- ``VIEW_LOG_CHARS``: the default limit; ``BATCH``: how many messages a read gives at most.

Every view message of a session gets the next number of that session (its ``seq``, from 1).
A log is the view message that carried the latest full snapshot, then every view message
after it, as the text that came from the visitor. A session is in one of three states: no log
(no snapshot has come since the log was last dropped), a log, or a lost log (it grew past its
limit; a new snapshot is needed to serve a late joiner).
"""

from typing import Final, Literal, Protocol

Entries = list[tuple[int, str]]

LOST: Final = "lost"

# A session's view log is dropped past this many characters (its snapshot and the changes
# since), about 8 MB: a late joiner then waits for a new snapshot instead.
VIEW_LOG_CHARS: Final = 8 * 1024 * 1024

# A log is read in batches of this many messages, so that no read holds the whole log at once.
BATCH: Final = 16


class ViewLog(Protocol):
    """Each session's live view, so that an agent who joins (or comes back) late sees the
    current page at once, without a new snapshot that would rebuild the view of the agents
    already watching. ``limit`` is the size in characters past which a log is lost: no one
    view longer than that is taken."""

    limit: int

    async def record(self, code: str, text: str, full: bool) -> int:
        """Number view message ``text`` of session ``code`` and keep it if there is a log (or
        start one, when ``full``: it carries a full snapshot). Return its number."""

    async def read(self, code: str, after: int = 0, count: int = BATCH) -> tuple[int, Entries | Literal["lost"] | None]:
        """``(head, entries)``: ``head`` is the number of the session's latest view message (0
        before any); ``entries`` are at most ``count`` ``(seq, text)`` of the log, oldest first:
        those after ``after`` when the log holds ``after + 1``, else the whole log from its
        snapshot (a replay that a viewer who missed messages can start from). ``entries`` is
        None when there is no log, ``LOST`` when it outgrew its limit."""

    async def drop(self, code: str) -> None:
        """Forget the session's log (nobody is watching any more); its numbers go on."""

    async def close(self, code: str) -> None:
        """Forget everything about the session (it ended)."""
