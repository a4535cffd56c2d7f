"""View logs in this process's memory.

Public names:

- ``MemoryViewLog(limit)``: the default ``views.ViewLog``, each session's log up to ``limit``
  characters.
- ``log_entries(entries, after, count)``: what a reader of a log gets.
"""

from typing import Literal

from cobrowse.server.backends.views import BATCH, LOST, VIEW_LOG_CHARS, Entries


def log_entries(entries: Entries, after: int, count: int) -> Entries:
    """The ``count`` entries of a log (``(seq, text)``, oldest first) a reader after ``after``
    gets: those after it if the log holds ``after + 1``, else the log from its start."""
    if entries and entries[0][0] <= after + 1:
        entries = [entry for entry in entries if entry[0] > after]
    return entries[:count]


class _Log:
    """A session's log: its entries and their total size in characters."""

    def __init__(self, seq: int, text: str) -> None:
        self.chars = len(text)
        self.entries: Entries = [(seq, text)]


class MemoryViewLog:
    """Each session's log in this process's memory, up to ``limit`` characters."""

    def __init__(self, limit: int = VIEW_LOG_CHARS) -> None:
        self.limit = limit
        self._heads: dict[str, int] = {}  # code -> number of the latest view message
        self._logs: dict[str, _Log | Literal["lost"]] = {}

    async def record(self, code: str, text: str, full: bool) -> int:
        seq = self._heads[code] = self._heads.get(code, 0) + 1
        if full:
            self._logs[code] = _Log(seq, text)
            return seq
        log = self._logs.get(code)
        if not isinstance(log, _Log):
            return seq
        log.chars += len(text)
        if log.chars > self.limit:
            self._logs[code] = LOST
        else:
            log.entries.append((seq, text))
        return seq

    async def read(self, code: str, after: int = 0, count: int = BATCH) -> tuple[int, Entries | Literal["lost"] | None]:
        log = self._logs.get(code)
        head = self._heads.get(code, 0)
        if not isinstance(log, _Log):
            return head, log
        return head, log_entries(log.entries, after, count)

    async def drop(self, code: str) -> None:
        self._logs.pop(code, None)

    async def close(self, code: str) -> None:
        self._logs.pop(code, None)
        self._heads.pop(code, None)
