"""Shared state out of reach: what a backend raises then, and how background work copes.

Public names:

- ``Unavailable``: raised by a backend (an engine, its store, limiter or view log) that cannot
  reach its shared state.
- ``logged(coroutine)``: await it, logging a failure other than that (already logged, once per
  outage, by the backend).
"""

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger("cobrowse")


class Unavailable(RuntimeError):
    """The shared state cannot be reached now; the engine has logged it (once per outage)."""


async def logged(coroutine: Awaitable[object]) -> None:
    """Await ``coroutine``; a failure is logged with its traceback (an outage was already)."""
    try:
        await coroutine
    except asyncio.CancelledError:
        raise
    except Unavailable:
        pass
    except Exception:  # noqa: BLE001 - a background failure must be seen, not lost.
        log.exception("cobrowse: a background task failed")
