"""One server process with everything in its memory (the default engine).

Public names:

- ``MemoryEngine(store=None, limiter=None, views=None, *, clock=None, start_limit=START_LIMIT)``:
  the ``engine.Engine`` of one process: publications are function calls, timers the clock's (a
  ``clock.Clock``, the loop's by default, which the store and limiters it builds go by too);
  ``start_limit`` session starts per client address a minute.
"""

from cobrowse.server.backends.broker import VIEW, Deliver
from cobrowse.server.backends.engine import Recovered
from cobrowse.server.backends.limiter import START_LIMIT, START_WINDOW_SECONDS, JoinLimiter
from cobrowse.server.backends.memory.limiter import MemoryJoinLimiter
from cobrowse.server.backends.memory.store import MemoryStore
from cobrowse.server.backends.memory.timers import MemoryTimers
from cobrowse.server.backends.memory.views import MemoryViewLog
from cobrowse.server.backends.presence import Died
from cobrowse.server.backends.store import SessionStore
from cobrowse.server.backends.timers import Fire
from cobrowse.server.backends.views import ViewLog
from cobrowse.server.clock import Clock, LoopClock


class MemoryEngine:
    """Everything in this process: a publication is delivered here and nowhere else."""

    process = "local"

    def __init__(self, store: SessionStore | None = None, limiter: JoinLimiter | None = None,
                 views: ViewLog | None = None, *, clock: Clock | None = None, start_limit: int = START_LIMIT) -> None:
        clock = clock or LoopClock()
        self.store: SessionStore = store or MemoryStore(clock)
        self.limiter: JoinLimiter = limiter or MemoryJoinLimiter(clock=clock)
        self.starts: JoinLimiter = MemoryJoinLimiter(start_limit, START_WINDOW_SECONDS, clock)
        self.views: ViewLog = views or MemoryViewLog()
        self.timers = MemoryTimers(clock)
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver, fire: Fire, died: Died, recovered: Recovered) -> None:
        self._deliver = deliver
        self.timers.start(fire)

    async def stop(self) -> None:
        self.timers.stop()

    def health(self) -> str | None:
        return None

    async def publish(self, code: str, kind: str, number: int, text: str) -> None:
        self._delivered()(code, kind, number, text)

    async def publish_view(self, code: str, text: str, full: bool) -> int:
        seq = await self.views.record(code, text, full)
        self._delivered()(code, VIEW, seq, text)
        return seq

    async def subscribe(self, code: str) -> None:
        """Nothing to do: every publication is this process's."""

    async def unsubscribe(self, code: str) -> None:
        """Nothing to do: every publication is this process's."""

    async def schedule(self, key: str, delay: float) -> None:
        await self.timers.schedule(key, delay)

    async def cancel(self, key: str) -> None:
        await self.timers.cancel(key)

    async def alive(self, process: str) -> bool:
        return process == self.process

    def _delivered(self) -> Deliver:
        assert self._deliver is not None, "publications come once the engine started"
        return self._deliver
