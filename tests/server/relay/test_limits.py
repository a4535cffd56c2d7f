"""The start limit and the session limit, in process on both engines (the start limit is the
engine's, shared by every process of a deployment; the session limit's timers too).
"""

from cobrowse.core.session import Reasons
from cobrowse.server.backends.memory.engine import MemoryEngine
from support.wire import agent, join, quiet, start


def test_the_twenty_first_start_in_a_minute_from_one_address_is_refused_with_the_wait(run_relay):
    async def steps(server):
        for _ in range(20):
            async with server.peer("visitor", "203.0.113.9") as customer:
                await start(customer)
                await customer.send("stop", reason="USER_INITIATED")
                await customer.expect("ended")
        async with server.peer("visitor", "203.0.113.9") as customer:
            await customer.send("start", siteCode="ACME-1")
            error = await customer.expect_error("rate_limited")
            assert 55 <= error["retryAfter"] <= 60
            assert error["message"] == (
                "Too many co-browse sessions were started from your address: please try again in %d s"
                % error["retryAfter"])
            # The socket stays usable: once the minute is over, the same visitor may start (the
            # Redis engine's limit goes by the time of day, which the test does not move).
            if isinstance(server.engine, MemoryEngine):
                await server.advance(error["retryAfter"])
                await start(customer)
        async with server.peer("visitor", "203.0.113.10") as other:
            await start(other)

    run_relay(steps)


def test_a_session_limit_warns_everyone_a_minute_before_and_then_ends_the_session(run_relay):
    async def steps(server):
        async with server.peer("visitor", "203.0.113.11") as customer:
            started = await start(customer)
            async with agent(server) as alice:
                await join(alice, started["accessCode"])
                await customer.expect("agent_joined")
                await server.advance(29)
                await quiet(customer)
                await server.advance(1)
                warning = await customer.expect("session_warning")
                assert warning == {"type": "session_warning", "endsIn": 60,
                                   "message": "This co-browse session ends in 60 s: it has reached its time limit"}
                assert await alice.expect("session_warning") == warning
                await server.advance(59)
                await quiet(customer)
                await server.advance(1)
                assert (await customer.expect("ended"))["reason"] == Reasons.SESSION_LIMIT
                assert (await alice.expect("ended"))["reason"] == Reasons.SESSION_LIMIT

    run_relay(steps, session_limit=90)
