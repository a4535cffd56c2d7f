"""Engines: what every server process of a deployment shares, and how the processes talk.

Public names:

- ``Engine``: the interface the relay (``relay.Relay``) runs on.
- ``MemoryEngine``: one server process with everything in its memory (the default).
- ``VIEW``, ``TO_AGENTS``, ``TO_AGENT``, ``TO_VISITOR``, ``ENDED``, ``CLOSE``: the kinds of
  publication.
- ``process_of(conn)``: the process a connection id belongs to.
- ``Unavailable``: raised by an engine (and its store, limiter, view log) that cannot reach
  its shared state; ``logged(coroutine)``: await it, logging a failure other than that.

An engine is Centrifugo's engine in small: it holds the shared state (``store``, the sessions;
``limiter``, the failed joins; ``views``, the view logs), carries publications between the
processes that hold a session's connections, keeps the timers, and watches the other processes.

A publication is ``(code, kind, number, text)``: a view (``VIEW``, ``number`` its sequence
number, ``text`` as the visitor sent it), a message for the session's agents or its visitor
(``TO_AGENTS``, ``TO_VISITOR``), a message for one agent (``TO_AGENT``, ``text`` being the
agent's id, a space and the message), the end of the session (``ENDED``, ``text`` being the `ended`
message), or a request to close one connection (``CLOSE``, ``number`` the close code, ``text``
the connection id). ``publish`` hands it to this process at once (``deliver`` is called before
``publish`` returns) and to every other process that subscribed to the session, in order.
"""

import asyncio
import logging

from cobrowse.server.backends.store import MemoryJoinLimiter, MemoryStore, MemoryViewLog
from cobrowse.server.clock import LoopClock

log = logging.getLogger("cobrowse")

VIEW = "view"
TO_AGENTS = "agents"
TO_AGENT = "agent"
TO_VISITOR = "visitor"
ENDED = "ended"
CLOSE = "close"


class Unavailable(RuntimeError):
    """The shared state cannot be reached now; the engine has logged it (once per outage)."""


async def logged(coroutine):
    """Await ``coroutine``; a failure is logged with its traceback (an outage was already)."""
    try:
        await coroutine
    except asyncio.CancelledError:
        raise
    except Unavailable:
        pass
    except Exception:  # noqa: BLE001 - a background failure must be seen, not lost.
        log.exception("cobrowse: a background task failed")


def process_of(conn):
    """The id of the process holding connection ``conn`` (ids are ``process.number``)."""
    return conn.rsplit(".", 1)[0]


class Engine:
    """The interface of an engine. ``process`` is this process's id, unique in the deployment."""

    store = None
    limiter = None
    views = None
    process = None

    async def start(self, deliver, fire, died, recovered):
        """Begin: ``deliver(code, kind, number, text)`` (a plain function) gets every
        publication of the sessions this process subscribed to; coroutine ``fire(key)`` runs
        each timer when it is due, on one live process; coroutine ``died(process, codes)``
        runs, on one live process, when another process is found dead, with the sessions it
        had subscribed to; coroutine ``recovered()`` runs when this process is back in touch
        after publications may have been lost."""
        raise NotImplementedError

    async def stop(self):
        """Stop timers and connections; this process's timers stay with the others."""
        raise NotImplementedError

    async def publish(self, code, kind, number, text):
        raise NotImplementedError

    async def publish_view(self, code, text, full):
        """Number a view of the visitor (``views.record``) and publish it (``VIEW``); return
        its number."""
        raise NotImplementedError

    async def subscribe(self, code):
        """Receive the session's publications here (this process holds one of its connections)."""
        raise NotImplementedError

    async def unsubscribe(self, code):
        raise NotImplementedError

    async def schedule(self, key, delay):
        """Run ``fire(key)`` in ``delay`` seconds, replacing the timer ``key`` had."""
        raise NotImplementedError

    async def cancel(self, key):
        raise NotImplementedError

    async def alive(self, process):
        """Whether process ``process`` is still running."""
        raise NotImplementedError

    def health(self):
        """None while the shared state is reachable, else why not (a short sentence)."""
        raise NotImplementedError


class MemoryEngine(Engine):
    """Everything in this process: publications are function calls, timers ``clock``'s."""

    process = "local"

    def __init__(self, store=None, limiter=None, views=None, clock=None):
        self.clock = clock or LoopClock()
        self.store = store or MemoryStore()
        self.limiter = limiter or MemoryJoinLimiter()
        self.views = views or MemoryViewLog()
        self._deliver = self._fire = None
        self._timers = {}  # key -> asyncio.TimerHandle
        self._tasks = set()

    async def start(self, deliver, fire, died, recovered):
        self._deliver, self._fire = deliver, fire

    async def stop(self):
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    async def publish(self, code, kind, number, text):
        self._deliver(code, kind, number, text)

    async def publish_view(self, code, text, full):
        seq = await self.views.record(code, text, full)
        self._deliver(code, VIEW, seq, text)
        return seq

    async def subscribe(self, code):
        pass

    async def unsubscribe(self, code):
        pass

    async def schedule(self, key, delay):
        await self.cancel(key)
        self._timers[key] = self.clock.call_later(delay, lambda: self._due(key))

    def _due(self, key):
        self._timers.pop(key, None)
        task = asyncio.get_running_loop().create_task(logged(self._fire(key)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel(self, key):
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    async def alive(self, process):
        return process == self.process

    def health(self):
        return None
