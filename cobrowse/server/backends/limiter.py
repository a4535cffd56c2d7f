"""The limit on failed joins: the interface every join limiter offers, and its arithmetic.

Public names:

- ``JoinLimiter``: the interface (``memory.limiter.MemoryJoinLimiter``,
  ``redis.limiter.RedisJoinLimiter``); a coroutine per method, as the store's.
- ``retry_after(times, attempts, window, now)``: the wait a client's recent failures earn it.
- ``JOIN_ATTEMPTS``, ``JOIN_WINDOW_SECONDS``: the default limit.
- ``START_LIMIT``, ``START_WINDOW_SECONDS``: the default limit on session starts per client
  address (``--start-limit``), which an engine's ``starts`` limiter counts: every start counts
  there as a failure does here.

A client is any hashable key; the server uses ``(agent token's sub or "", remote address)``. A client that
has failed ``attempts`` times within the last ``window`` seconds is refused until the oldest of
those failures is ``window`` seconds old. Refused joins are not counted, so waiting the time
given is always enough.
"""

import math
from collections.abc import Hashable, Sequence
from typing import Final, Protocol

# More than this many failed joins from one client within the window are refused.
JOIN_ATTEMPTS: Final = 5
JOIN_WINDOW_SECONDS: Final = 60
START_LIMIT: Final = 20
START_WINDOW_SECONDS: Final = 60


class JoinLimiter(Protocol):
    """Failed joins per client, over a sliding window."""

    async def retry_after(self, client: Hashable) -> int:
        """Whole seconds ``client`` must wait before its next join is heard, or 0 if it may try."""

    async def failed(self, client: Hashable) -> None:
        """Count one failed join of ``client``."""


def retry_after(times: Sequence[float], attempts: int, window: float, now: float) -> int:
    """Whole seconds to wait at ``now`` for a client whose failures within the window happened
    at ``times`` (oldest first), or 0 if it may try."""
    if len(times) < attempts:
        return 0
    return max(1, math.ceil(times[-attempts] + window - now))
