"""``relay.eager.start``: a coroutine runs at once; only one that must wait gets a task, which
carries it on with what it waits for, its results, its errors and its cancellation."""

import asyncio

import pytest

from cobrowse.server.relay import eager
from support.loop import run_async


def test_a_coroutine_that_need_not_wait_is_done_before_start_returns():
    done = []

    async def send():
        done.append("sent")

    async def main():
        assert eager.start(send()) is None
        assert done == ["sent"]

    run_async(main())


def test_a_coroutine_that_waits_goes_on_in_a_task_with_what_it_waited_for():
    steps = []

    async def main():
        ready = asyncio.get_running_loop().create_future()

        async def send():
            steps.append("before")
            steps.append(await ready)
            await asyncio.sleep(0)  # A bare yield, as asyncio.sleep(0) makes, passes through too.
            steps.append("after")

        task = eager.start(send())
        assert steps == ["before"] and isinstance(task, asyncio.Task) and not task.done()
        ready.set_result("value")
        await task
        assert steps == ["before", "value", "after"]

    run_async(main())


def test_an_error_after_the_wait_is_the_tasks():
    async def main():
        ready = asyncio.get_running_loop().create_future()

        async def send():
            await ready
            raise ValueError("peer gone")

        task = eager.start(send())
        ready.set_result(None)
        with pytest.raises(ValueError, match="peer gone"):
            await task

    run_async(main())


def test_cancelling_the_task_cancels_the_coroutine_where_it_waits():
    cleaned = []

    async def main():
        never = asyncio.get_running_loop().create_future()

        async def send():
            try:
                await never
            finally:
                cleaned.append("finally")

        task = eager.start(send())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned == ["finally"] and never.cancelled()

    run_async(main())


def test_a_connection_held_up_by_a_slow_peer_sends_everything_in_order_once():
    from cobrowse.server.relay.connection import Connection

    class SlowSocket:
        def __init__(self):
            self.sent = []
            self.gate = None

        async def send_text(self, text):
            if self.gate is not None:
                await self.gate
            self.sent.append(text)

        async def close(self, code):
            self.sent.append(code)

    async def main():
        socket = SlowSocket()
        conn = Connection("p.1", socket, "agent", None, 0.0)
        conn.push("a")
        assert socket.sent == ["a"] and conn.writer is None  # Sent at once, no task.
        socket.gate = asyncio.get_running_loop().create_future()
        conn.push("b")
        conn.push("c")
        assert socket.sent == ["a"] and conn.writer is not None
        socket.gate.set_result(None)
        socket.gate = None
        conn.close(4408)
        await conn.finished()
        assert socket.sent == ["a", "b", "c", 4408]

    run_async(main())
