"""Where audit lines go: the trail's interface, a JSON Lines file (or stdout), or nowhere.

Public names:

- ``AuditTrail``: the interface: ``write(line)`` appends one line (a JSON-ready dict) and
  raises ``AuditUnavailable`` if it could not; ``health()`` is None while the last write went
  through, else why not.
- ``FileTrail(path)``: JSON Lines appended to ``path`` (``-``: standard output), each line one
  ``os.write`` on a descriptor opened with ``O_APPEND``: the line is in the kernel when
  ``write`` returns (no ``fsync``: a machine that loses power may lose the last lines).
- ``NullTrail``: no audit log (``serve`` without ``--audit-log``): every write goes through.
- ``AuditUnavailable``: the audit log cannot be written; a move it was to record is refused.
- ``open_trail(path)``: the trail of ``--audit-log PATH`` (a ``NullTrail`` for None).

A trail that failed keeps trying: every write opens the file again if it has to, and the first
one that goes through ends the outage. The outage is logged once, and its end once.
"""

import json
import logging
import os
from typing import Any, Protocol

from cobrowse.server.backends.outage import Unavailable

log = logging.getLogger("cobrowse")

Line = dict[str, Any]


class AuditUnavailable(Unavailable):
    """The audit log cannot be written now: what it was to record does not happen."""


class AuditTrail(Protocol):
    def write(self, line: Line) -> None:
        """Append ``line``; raise ``AuditUnavailable`` if it could not be written."""

    def health(self) -> str | None:
        """None while the audit log takes lines, else why it does not (a short sentence)."""


class NullTrail:
    """No audit log: nothing is written and nothing is refused."""

    def write(self, line: Line) -> None:
        pass

    def health(self) -> str | None:
        return None


def encode(line: Line) -> bytes:
    """One line of JSON Lines: compact, UTF-8, ending in a newline."""
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


class FileTrail:
    """JSON Lines appended to ``path`` (``-``: this process's standard output)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.problem: str | None = None

    def write(self, line: Line) -> None:
        data = memoryview(encode(line))
        try:
            fd = self._opened()
            while data:
                data = data[os.write(fd, data):]
        except OSError as error:
            self._close()
            raise self._failed(error) from None
        if self.problem is not None:
            self.problem = None
            log.warning("cobrowse: the audit log %s is written again", self.shown)

    def health(self) -> str | None:
        return self.problem

    @property
    def shown(self) -> str:
        return "(standard output)" if self.path == "-" else self.path

    def _opened(self) -> int:
        if self.fd is None:
            if self.path == "-":
                self.fd = 1
            else:
                self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self.fd

    def _close(self) -> None:
        if self.fd is not None and self.fd != 1:
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = None

    def _failed(self, error: OSError) -> AuditUnavailable:
        if self.problem is None:
            self.problem = "the audit log %s cannot be written: %s" % (self.shown, error.strerror or error)
            log.warning("cobrowse: %s; new sessions, joins and remote control are refused until it can", self.problem)
        return AuditUnavailable(self.problem)


def open_trail(path: str | None) -> AuditTrail:
    """``--audit-log PATH``'s trail: a file (``-``: standard output), or none."""
    return NullTrail() if path is None else FileTrail(path)
