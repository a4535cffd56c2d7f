"""What the relay tells clients in so many words: close codes, errors, fixed replies.

Public names:

- ``CLOSE_IDLE``, ``CLOSE_REPLACED``, ``CLOSE_TOO_SLOW``, ``CLOSE_DRAINING``: close codes.
- ``NO_SESSION``, ``SESSION_OVER``, ``AGENT_OVER``, ``UNAVAILABLE``, ``BUSY``: error messages;
  ``NOT_STARTED``, ``NOT_JOINED``, ``ALREADY_STARTED``, ``ALREADY_JOINED``: those of a move out
  of order (one that needs a session before there is one, one that opens one after); ``SESSION_LOST``: the reason a session ends with
  when the shared state lost it (Redis restarted empty).
- ``PONG``, ``SNAPSHOT``: those messages, encoded once.
- ``RateLimited(wait)``: the error of a client past the join limit, with its ``retry_after``.
- ``in_use(role)``, ``out_of_order(message)``: those errors.
"""

from cobrowse.core import protocol

# WebSocket close codes of our own (4000-4999 are the application's).
CLOSE_IDLE = 4408  # Nothing heard for the idle timeout: the connection is taken to be dead.
CLOSE_REPLACED = 4409  # A silent connection whose session a resume or rejoin took over.
CLOSE_TOO_SLOW = 4429  # A visitor that does not read what it is sent.
# The server is shutting down (1012, "service restart"): reconnect at once, to another process.
CLOSE_DRAINING = 1012

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

PONG = protocol.encode("pong")
SNAPSHOT = protocol.encode("snapshot")


class RateLimited(protocol.ProtocolError):  # type: ignore[misc]  # The core has no annotations.
    """Too many failed joins from one client: it may try again in ``retry_after`` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__("rate_limited", "Too many attempts, wait %d s" % wait)
        self.retry_after = wait


def in_use(role: str) -> protocol.ProtocolError:
    """The session is attached to a live connection of the same visitor or agent."""
    where = "another tab" if role == "visitor" else "another console"
    return protocol.ProtocolError("in_use", "This co-browse session is open in %s" % where)


def out_of_order(message: str) -> protocol.ProtocolError:
    return protocol.ProtocolError("out_of_order", message)
