"""View logs in this process's memory.

Public names:

- ``MemoryViewLog(limit, budget)``: the default ``views.ViewLog``, each session's log up to
  ``limit`` characters, all of them together up to ``budget`` (``--view-log-budget``): past it,
  the largest logs are dropped back to their next snapshot (``LOST``: a late joiner asks the
  visitor for a fresh one) until the rest fit in it again.
- ``VIEW_LOG_BUDGET``: the default budget, 512 MiB.
- ``log_entries(entries, after, count)``: what a reader of a log gets.
"""

from typing import Literal

from cobrowse.server.backends.views import BATCH, LOST, VIEW_LOG_CHARS, Entries

VIEW_LOG_BUDGET = 512 * 1024 * 1024


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
    """Each session's log in this process's memory, up to ``limit`` characters, and all of
    them up to ``budget`` characters (``chars`` is what they hold now)."""

    def __init__(self, limit: int = VIEW_LOG_CHARS, budget: int = VIEW_LOG_BUDGET) -> None:
        self.limit = limit
        self.budget = budget
        self.chars = 0
        self._heads: dict[str, int] = {}  # code -> number of the latest view message
        self._logs: dict[str, _Log | Literal["lost"]] = {}

    async def record(self, code: str, text: str, full: bool) -> int:
        seq = self._heads[code] = self._heads.get(code, 0) + 1
        if full:
            self._set(code, _Log(seq, text))
        else:
            log = self._logs.get(code)
            if not isinstance(log, _Log):
                return seq
            if log.chars + len(text) > self.limit:
                self._set(code, LOST)
            else:
                log.chars += len(text)
                self.chars += len(text)
                log.entries.append((seq, text))
        if self.chars > self.budget:
            self._trim()
        return seq

    def _set(self, code: str, log: "_Log | Literal['lost'] | None") -> None:
        """Put ``log`` in place of the session's (None: no log), keeping ``chars`` right."""
        old = self._logs.pop(code, None)
        if isinstance(old, _Log):
            self.chars -= old.chars
        if isinstance(log, _Log):
            self.chars += log.chars
        if log is not None:
            self._logs[code] = log

    def _trim(self) -> None:
        """Drop the largest logs until all of them fit in the budget."""
        largest = sorted(((log.chars, code) for code, log in self._logs.items() if isinstance(log, _Log)), reverse=True)
        for _, code in largest:
            if self.chars <= self.budget:
                break
            self._set(code, LOST)

    async def read(self, code: str, after: int = 0, count: int = BATCH) -> tuple[int, Entries | Literal["lost"] | None]:
        log = self._logs.get(code)
        head = self._heads.get(code, 0)
        if not isinstance(log, _Log):
            return head, log
        return head, log_entries(log.entries, after, count)

    async def drop(self, code: str) -> None:
        self._set(code, None)

    async def close(self, code: str) -> None:
        self._set(code, None)
        self._heads.pop(code, None)
