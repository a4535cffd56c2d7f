"""Timeouts, reconnects and resumes, in process on both engines: the relay's clock is moved by
hand (``server.advance``), so every timeout runs at its default length, and each assertion on
when something happened is exact.

Peers ping every five seconds while the clock moves, as the widget and the console do; a peer
with ``heartbeat = False`` is silent.
"""

import json

import pytest

from cobrowse.server.relay import (AGENT_WAIT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, NETWORK_TIMEOUT_SECONDS,
                                   Timeouts, clamp_network_timeout)
from support.wire import (SESSION_OVER, TOKEN, agent, assert_dead, drop, join, quiet, rejoin, resume,
                          session_with_agent, start, until_state, visitor)

TAKEOVER_SILENCE = Timeouts().takeover_silence
SWEEP_EVERY = Timeouts().sweep_every


def test_no_agent_in_time_ends_the_session_as_user_timeout(run_relay):
    async def steps(server):
        async with visitor(server) as customer:
            began = server.clock.now
            code = (await start(customer))["accessCode"]
            await server.advance(AGENT_WAIT_TIMEOUT_SECONDS - 1)
            await quiet(customer)
            await server.advance(1)
            assert await customer.expect("ended") == {"type": "ended", "reason": "USER_TIMEOUT"}
            assert customer.received_at == began + AGENT_WAIT_TIMEOUT_SECONDS
            assert await customer.closed() == 1000
        await assert_dead(server, code)

    run_relay(steps)


def test_an_agent_stops_the_user_timeout_and_it_starts_again_when_the_last_agent_leaves(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            await join(alice, code, "Alice")
            await join(bob, code, "Bob")
            # Well past the wait timeout, the session is alive: a page change reaches the agents.
            await server.advance(AGENT_WAIT_TIMEOUT_SECONDS + 60)
            await customer.send("page", url="http://shop.test/later")
            assert (await customer.expect("agent_joined"))["name"] == "Alice"
            assert (await customer.expect("agent_joined"))["name"] == "Bob"
            await quiet(customer)
            while (await alice.expect("session"))["session"]["url"] != "http://shop.test/later":
                pass
            # One of two agents leaving does not start the clock; the last one leaving does.
            await alice.send("leave")
            await customer.expect("agent_left")
            await server.advance(AGENT_WAIT_TIMEOUT_SECONDS + 60)
            await quiet(customer)
            await bob.send("leave")
            assert (await customer.expect("agent_left"))["name"] == "Bob"
            left = server.clock.now
            await server.advance(AGENT_WAIT_TIMEOUT_SECONDS - 1)
            await quiet(customer)
            await server.advance(1)
            assert await customer.expect("ended") == {"type": "ended", "reason": "USER_TIMEOUT"}
            assert customer.received_at == left + AGENT_WAIT_TIMEOUT_SECONDS
        await assert_dead(server, code)

    run_relay(steps)


@pytest.mark.parametrize("how", ["close", "drop"])
def test_a_dropped_visitor_resumes_the_same_session_within_the_network_timeout(run_relay, how):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server, SID="case-1", url="http://shop.test/a")
        async with stack:
            code = started["accessCode"]
            await drop(customer, how)
            view = await until_state(alice, "RECONNECTING")
            assert view["visitorConnected"] is False and view["accessCode"] == code
            assert view["agents"] == [{"id": joined["id"], "name": "Alice"}]
            await server.advance(NETWORK_TIMEOUT_SECONDS - 1)

            again, reply = await resume(server, started["token"], url="http://shop.test/b")
            async with again.stack:
                assert reply == {"type": "resumed", "accessCode": code, "SID": "case-1", "token": reply["token"],
                                 "agents": [{"id": joined["id"], "name": "Alice"}]}
                assert TOKEN.fullmatch(reply["token"]) and reply["token"] != started["token"]
                view = await until_state(alice, "ACTIVE:ACTIVE")
                assert view["visitorConnected"] is True and view["url"] == "http://shop.test/b"

                # The old token is spent; the session lives on past the network timeout.
                other, refused = await resume(server, started["token"])
                async with other.stack:
                    assert refused == {"type": "error", "code": "no_session", "message": SESSION_OVER}
                await server.advance(NETWORK_TIMEOUT_SECONDS + 10)
                await again.send("page", url="http://shop.test/c")
                assert (await until_state(alice, "ACTIVE:ACTIVE"))["url"] == "http://shop.test/c"
                await alice.send("leave")
                assert (await again.expect("agent_left"))["id"] == joined["id"]
                await quiet(again)

    run_relay(steps)


@pytest.mark.parametrize("how", ["close", "drop"])
def test_a_visitor_gone_past_the_network_timeout_ends_the_session(run_relay, how):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await drop(customer, how)
            lost = server.clock.now
            await until_state(alice, "RECONNECTING")
            await server.advance(NETWORK_TIMEOUT_SECONDS)
            assert await alice.expect("ended") == {"type": "ended", "reason": "NETWORK_TIMEOUT"}
            assert alice.received_at == lost + NETWORK_TIMEOUT_SECONDS
            assert await alice.closed() == 1000
        await assert_dead(server, started["accessCode"])
        late, reply = await resume(server, started["token"])
        async with late.stack:
            assert reply == {"type": "error", "code": "no_session", "message": SESSION_OVER}

    run_relay(steps)


def test_the_pages_network_timeout_is_used_and_kept_within_5_to_300_s(run_relay):
    async def steps(server):
        async with agent(server) as alice:
            async with visitor(server) as customer:
                # One second is too short for a real network: the server makes it five.
                started = await start(customer, networkTimeout=1)
                await join(alice, started["accessCode"])
                await customer.expect("agent_joined")
                await drop(customer)
            await until_state(alice, "RECONNECTING")
            # Past the server's own 1.5 s, the session waits for the page's (clamped) 5 s.
            await server.advance(4.9)
            again, reply = await resume(server, started["token"])
            async with again.stack:
                assert reply["type"] == "resumed" and reply["accessCode"] == started["accessCode"]

    run_relay(steps, network_timeout=1.5)


def test_the_network_timeout_is_clamped():
    assert [clamp_network_timeout(s) for s in (None, -3, 0, 4, 5, 30, 300, 301, 10**9)] == [None, 5, 5, 5, 5, 30, 300, 300, 300]


def test_a_session_open_in_one_tab_is_not_resumed_in_another(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            started = await start(customer)
            second, reply = await resume(server, started["token"])
            async with second.stack:
                assert reply == {"type": "error", "code": "in_use", "message": "This co-browse session is open in another tab"}
                # The refused connection may start a session of its own.
                assert (await start(second))["accessCode"] != started["accessCode"]
            # The first tab's session goes on, and its token still resumes it after a drop.
            await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            await drop(customer)
            await until_state(alice, "RECONNECTING")
            again, reply = await resume(server, started["token"])
            async with again.stack:
                assert reply["type"] == "resumed"

    run_relay(steps)


def test_a_resume_takes_over_a_socket_that_went_silent(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            customer.heartbeat = False
            started = await start(customer)
            await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            # Silent for the takeover silence (two heartbeats by default) is not dead yet...
            await server.advance(TAKEOVER_SILENCE)
            early, reply = await resume(server, started["token"])
            async with early.stack:
                assert reply["code"] == "in_use"
            # ...for more, it is.
            await server.advance(0.1)
            again, reply = await resume(server, started["token"])
            async with again.stack:
                assert reply["type"] == "resumed"
                assert await customer.closed() == 4409
                await again.send("page", url="http://shop.test/new-tab")
                await alice.send("ping")
                while True:
                    message = await alice.receive()
                    if message["type"] == "session" and message["session"]["url"] == "http://shop.test/new-tab":
                        break
                    assert message["type"] in ("session", "pong"), message

    run_relay(steps)


def test_a_silent_visitor_socket_is_closed_and_its_session_waits(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice, visitor(server) as lively:
            customer.heartbeat = False
            started = await start(customer)
            await start(lively)
            joined = await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            silent = server.clock.now
            await server.advance(IDLE_TIMEOUT_SECONDS + SWEEP_EVERY)
            assert await customer.closed() == 4408
            assert IDLE_TIMEOUT_SECONDS < customer.socket.closed_at - silent <= IDLE_TIMEOUT_SECONDS + SWEEP_EVERY
            # The session was not ended: the agent is told the visitor is reconnecting.
            await until_state(alice, "RECONNECTING")
            again, reply = await resume(server, started["token"])
            async with again.stack:
                assert reply["type"] == "resumed" and reply["agents"] == [{"id": joined["id"], "name": "Alice"}]
                await server.advance(IDLE_TIMEOUT_SECONDS)
            # The sockets that pinged all along are open, well past the idle timeout.
            assert lively.socket.close_code is None and alice.socket.close_code is None
            await lively.send("ping")
            assert (await lively.receive())["type"] == "pong"

    run_relay(steps)


def test_a_silent_agent_socket_is_closed_and_the_agent_may_rejoin(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            alice.heartbeat = False
            await server.advance(IDLE_TIMEOUT_SECONDS + SWEEP_EVERY)
            await quiet(customer)
            assert await alice.closed() == 4408
            async with agent(server) as back:
                assert (await rejoin(back, joined["token"]))["id"] == joined["id"]
            # The visitor heard nothing of the agent's silence, the close or the rejoin.
            await quiet(customer)

    run_relay(steps)


def test_a_dropped_agent_rejoins_as_itself_and_the_visitor_hears_nothing(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await drop(alice)
            await server.advance(NETWORK_TIMEOUT_SECONDS - 1)
            async with agent(server) as back:
                rejoined = await rejoin(back, joined["token"])
                assert (rejoined["id"], rejoined["name"]) == (joined["id"], "Alice")
                assert TOKEN.fullmatch(rejoined["token"]) and rejoined["token"] != joined["token"]
                assert rejoined["session"]["agents"] == [{"id": joined["id"], "name": "Alice"}]
                assert rejoined["session"]["accessCode"] == started["accessCode"]
                # The old token is spent.
                async with agent(server) as stale:
                    await stale.send("rejoin", token=joined["token"])
                    await stale.expect_error("no_session")
                # Past the network timeout, the visitor still has heard nothing at all.
                await server.advance(NETWORK_TIMEOUT_SECONDS + 10)
                await quiet(customer)
                # The agent is really back: it hears the visitor's page, and its leave is heard.
                await customer.send("page", url="http://shop.test/after")
                assert (await until_state(back, "ACTIVE:ACTIVE"))["url"] == "http://shop.test/after"
                await back.send("leave")
                assert (await customer.expect("agent_left"))["id"] == joined["id"]

    run_relay(steps)


def test_an_agent_gone_past_the_network_timeout_leaves_once(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            second = await join(bob, started["accessCode"], "Bob")
            await customer.expect("agent_joined")
            await drop(alice)
            lost = server.clock.now
            await server.advance(NETWORK_TIMEOUT_SECONDS - 1)
            await quiet(customer)
            await server.advance(1)
            assert await customer.expect("agent_left") == {"type": "agent_left", "id": joined["id"], "name": "Alice"}
            assert customer.received_at == lost + NETWORK_TIMEOUT_SECONDS
            view = (await bob.expect("session"))["session"]
            while len(view["agents"]) != 1:
                view = (await bob.expect("session"))["session"]
            assert view["agents"] == [{"id": second["id"], "name": "Bob"}]
            await server.advance(NETWORK_TIMEOUT_SECONDS)
            await quiet(customer)
            async with agent(server) as late:
                await late.send("rejoin", token=joined["token"])
                await late.expect_error("no_session")

    run_relay(steps)


def test_tokens_never_reach_the_session_view_or_the_visitor(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            second = await join(bob, started["accessCode"], "Bob")
            seen = [json.dumps(joined), json.dumps(second["session"])]
            await drop(customer)
            view = await until_state(bob, "RECONNECTING")
            again, reply = await resume(server, started["token"])
            async with again.stack:
                assert all(set(agent) == {"id", "name"} for agent in reply["agents"])
                seen += [json.dumps(view), json.dumps(reply), json.dumps(await until_state(bob, "ACTIVE:ACTIVE"))]
            for text in seen[1:]:
                assert joined["token"] not in text and second["token"] not in text
            assert started["token"] not in "".join(seen)

    run_relay(steps)
