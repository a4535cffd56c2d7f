"""``run_async(coroutine)``: run a coroutine to completion from a synchronous test."""

import asyncio
import concurrent.futures


def run_async(coroutine):
    """Run a coroutine to completion on a fresh event loop in its own thread.

    Sync Playwright keeps an event loop running on the main thread once a browser test has run
    in this process, and ``asyncio.run`` refuses to start inside it.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
