"""The relay's own life, in process: it stops at once whatever its engine is doing, and a drain
hands every session on before it closes the sockets with 1012.
"""

from cobrowse.core.constants import CLOSE_DRAINING
from cobrowse.server.relay import NETWORK_TIMEOUT_SECONDS
from support.relay import run_relays
from support.wire import SNAPSHOT, agent, join, next_view_text, start, until_state, visitor


def test_a_relay_stops_at_once_even_right_after_it_started(run_relay):
    # On Redis, the engine's tasks are sending their first commands then; Python 3.11's
    # asyncio.wait_for (which redis-py sends each command with) lost such a cancel, and the
    # engine waited for ever for a task that went on (the SIGTERM drain's rare hang).
    async def steps(server):
        pass

    for _ in range(3):
        run_relay(steps)


def test_a_drain_closes_every_socket_with_1012_and_the_session_waits_for_its_people(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            started = await start(customer)
            await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            await server.relay.drain()
            for peer in (customer, alice):
                assert await peer.closed() == CLOSE_DRAINING
            # Handed on, not ended: both may come back within the network timeout.
            session = await server.relay.store.get(started["accessCode"])
            assert session["visitor"] is None and session["agents"][0]["conn"] is None
            await server.advance(NETWORK_TIMEOUT_SECONDS - 1)
            assert await server.relay.store.get(started["accessCode"]) is not None

    run_relay(steps)


def test_a_drained_visitor_resumes_on_another_process_at_once(redis_url):
    async def steps(one, two):
        async with visitor(one) as customer, agent(two) as alice:
            started = await start(customer)
            await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            await one.relay.drain()
            assert await customer.closed() == CLOSE_DRAINING
            # Handed on before the close: the resume is taken at once, no in_use, no wait.
            async with visitor(two) as back:
                await back.send("resume", token=started["token"])
                resumed = await back.expect("resumed")
                assert resumed["accessCode"] == started["accessCode"]
                assert (await until_state(alice, "ACTIVE:ACTIVE"))["visitorConnected"] is True
                await back.send_raw(SNAPSHOT)
                assert await next_view_text(alice) == SNAPSHOT

    run_relays(steps, 2, redis_url)
