"""What the relay tells clients in so many words: errors and fixed replies (the close codes are
``core.constants``', which every end takes them from).

Public names:

- ``NO_SESSION``, ``SESSION_OVER``, ``AGENT_OVER``, ``UNAVAILABLE``, ``BUSY``: error messages;
  ``NOT_STARTED``, ``NOT_JOINED``, ``ALREADY_STARTED``, ``ALREADY_JOINED``: those of a move out
  of order (one that needs a session before there is one, one that opens one after); ``SESSION_LOST``: the reason a session ends with
  when the shared state lost it (Redis restarted empty).
- ``PONG``, ``SNAPSHOT``: those messages, encoded once.
- ``RateLimited(wait, message)``: the error of a client past the join limit (or, with
  ``TOO_MANY_STARTS``, the start limit), with its ``retry_after``.
- ``SESSION_LIMIT_WARNING``: what visitor and agents are told a minute before the session limit.
- ``in_use(role)``, ``out_of_order(message)``: those errors.
"""

from cobrowse.core import protocol

NO_SESSION = "No active session with that code"
SESSION_OVER = "The co-browse session is over"
AGENT_OVER = "You are no longer in this co-browse session"
NOT_STARTED = "no session has been started on this connection"
NOT_JOINED = "join a session first"
ALREADY_STARTED = "this connection already has a session"
ALREADY_JOINED = "this connection has already joined a session"
UNAVAILABLE = "The co-browse service is unavailable: please try again shortly"
BUSY = "The co-browse service is busy: please try again later"
SESSION_LOST = "SESSION_LOST"
TOO_MANY_ATTEMPTS = "Too many attempts, wait %d s"
TOO_MANY_STARTS = "Too many co-browse sessions were started from your address: please try again in %d s"
SESSION_LIMIT_WARNING = "This co-browse session ends in %d s: it has reached its time limit"

PONG = protocol.encode("pong")
SNAPSHOT = protocol.encode("snapshot")


class RateLimited(protocol.ProtocolError):  # type: ignore[misc]  # The core has no annotations.
    """Too many failed joins (or starts) from one client: it may try again in ``retry_after``
    seconds; ``message`` says so with a ``%d`` for them."""

    def __init__(self, wait: int, message: str = TOO_MANY_ATTEMPTS) -> None:
        super().__init__("rate_limited", message % wait)
        self.retry_after = wait


def in_use(role: str) -> protocol.ProtocolError:
    """The session is attached to a live connection of the same visitor or agent."""
    where = "another tab" if role == "visitor" else "another console"
    return protocol.ProtocolError("in_use", "This co-browse session is open in %s" % where)


def out_of_order(message: str) -> protocol.ProtocolError:
    return protocol.ProtocolError("out_of_order", message)
