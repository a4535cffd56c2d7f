"""Engines: what every server process of a deployment shares, and how the processes talk.

Public names:

- ``Engine``: the interface the relay (``relay.Relay``) runs on
  (``memory.engine.MemoryEngine``, ``redis.engine.RedisEngine``).
- ``Recovered``: the coroutine function told that publications may have been lost.

An engine is Centrifugo's engine in small: it holds the shared state (``store``, the sessions;
``limiter``, the failed joins; ``starts``, the session starts; ``views``, the view logs), carries publications between the
processes that hold a session's connections (``broker.Broker``), keeps the timers
(``timers.Timers``), and watches the other processes (``presence.Presence``).
"""

from collections.abc import Awaitable, Callable
from typing import Protocol

from cobrowse.server.backends.broker import Broker, Deliver
from cobrowse.server.backends.limiter import JoinLimiter
from cobrowse.server.backends.presence import Died, Presence
from cobrowse.server.backends.store import SessionStore
from cobrowse.server.backends.timers import Fire, Timers
from cobrowse.server.backends.views import ViewLog

# ``recovered()``: runs when this process is back in touch after publications may have been lost.
Recovered = Callable[[], Awaitable[None]]


class Engine(Broker, Timers, Presence, Protocol):
    """The shared state and the ways between the processes of one deployment."""

    @property
    def store(self) -> SessionStore:
        """The sessions."""

    @property
    def limiter(self) -> JoinLimiter:
        """The failed joins."""

    @property
    def starts(self) -> JoinLimiter:
        """The session starts, per client address (each one counted as a failure)."""

    @property
    def views(self) -> ViewLog:
        """The view logs."""

    async def start(self, deliver: Deliver, fire: Fire, died: Died, recovered: Recovered) -> None:
        """Begin: ``deliver(code, kind, number, text)`` gets every publication of the sessions
        this process subscribed to; ``fire(key)`` runs each timer when it is due, on one live
        process; ``died(process, codes)`` runs, on one live process, when another process is
        found dead, with the sessions it had subscribed to; ``recovered()`` runs when this
        process is back in touch after publications may have been lost."""

    async def stop(self) -> None:
        """Stop timers and connections; this process's timers stay with the others."""

    def health(self) -> str | None:
        """None while the shared state is reachable, else why not (a short sentence)."""
