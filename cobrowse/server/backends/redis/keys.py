"""The keys of the Redis backend: one layout, shared by every version of a rolling deploy.

Public names:

- ``key(*parts)``: the key of ``parts``, under ``cb:``.
- ``decoded(raw)``: a value read from Redis (bytes, with the client's defaults), as text.
- ``SESSION_SECONDS``: how long a session's keys live without a change.

Keys (all under ``cb:``): ``s:CODE`` a session's record as JSON, changed only in WATCH/MULTI
transactions; ``retired:CODE`` an ended code, for an hour; ``sid:SID``, ``vt:TOKEN`` (visitor)
and ``at:TOKEN`` (agent) the lookups to a code; ``lim:CLIENT`` a sorted set of failed joins;
``seq:CODE`` the number of a session's latest view, ``log:CODE`` its view log (a Stream whose
entry ids are the views' numbers, so a reader resumes from an offset) and ``logm:CODE`` the
log's state and size; ``big:CODE:SEQ`` a view too large to publish, for a minute; ``timers``
a sorted set of timer keys by deadline; ``procs`` the live processes' ids, ``proc:ID`` each
one's last heartbeat by Redis's clock (it expires when the process stops beating),
``pcodes:ID`` the sessions it holds connections of, and ``where:CODE`` the other way round:
the processes holding a session's connections. Channel ``p:ID`` is process ID's.
"""

from typing import Final

# A session record left behind (every process gone for a day) expires.
SESSION_SECONDS: Final = 86400


def key(*parts: str) -> str:
    return "cb:" + ":".join(parts)


def decoded(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
