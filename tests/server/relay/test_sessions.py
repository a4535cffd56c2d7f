"""Sessions starting, agents joining and leaving, sessions ending: the relay's moves in
process, on both engines (``conftest``), checked as the wire tests checked them over sockets.

Every message a peer receives is checked with ``protocol.decode``; a relay that logged an error
fails its test.
"""

import asyncio
import contextlib
import json
import re

import pytest

from cobrowse.server.backends.memory.store import MemoryStore
from cobrowse.server.backends.records import CodesExhausted
from support.relay import run_relay as run_in_memory
from support.wire import (NO_SESSION, SESSION_OVER, SITE, agent, assert_dead, join, quiet, session_with_agent, start,
                          visitor)


# Sessions starting.


def test_start_gives_a_six_digit_access_code(run_relay):
    async def steps(server):
        async with visitor(server) as customer:
            started = await start(customer, url="http://shop.test/")
            # No SID was given, so none comes back (optional fields are left out, never null).
            assert started == {"type": "started", "accessCode": started["accessCode"], "token": started["token"]}

    run_relay(steps)


def test_concurrent_sessions_get_unique_codes(run_relay):
    async def one_session(server, stack):
        customer = await stack.enter_async_context(visitor(server))
        return (await start(customer))["accessCode"]

    async def steps(server):
        # The visitors stay connected, so all their sessions are live at the same time.
        async with contextlib.AsyncExitStack() as stack:
            codes = await asyncio.gather(*(one_session(server, stack) for _ in range(60)))
        assert len(set(codes)) == len(codes)

    run_relay(steps)


def test_start_with_sid_returns_the_sid(run_relay):
    async def steps(server):
        async with visitor(server) as customer:
            started = await start(customer, SID="crm-4711")
            assert started["SID"] == "crm-4711"

    run_relay(steps)


def test_second_start_on_one_connection_is_refused_and_the_first_session_goes_on(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await customer.send("start", siteCode=SITE)
            await customer.expect_error("out_of_order")
            joined = await join(alice, code)
            assert joined["session"]["accessCode"] == code
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]

    run_relay(steps)


@pytest.mark.parametrize("kind, fields", [
    ("stop", {"reason": "USER_INITIATED"}),
    ("navigated_away", {"url": "http://elsewhere.test/"}),
    ("page", {"url": "http://shop.test/"}),
])
def test_visitor_messages_before_start_are_out_of_order(run_relay, kind, fields):
    async def steps(server):
        async with visitor(server) as customer:
            await customer.send(kind, **fields)
            await customer.expect_error("out_of_order")
            # The connection is still usable for a start.
            await start(customer)

    run_relay(steps)



# Agents joining and leaving.


def test_agent_joins_by_access_code(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, url="http://shop.test/cart"))["accessCode"]
            joined = await join(alice, code, "Alice")
            assert re.fullmatch(r"\S{1,64}", joined["id"]), joined
            assert joined["name"] == "Alice"
            assert joined["session"] == {
                "accessCode": code, "SID": None, "siteCode": SITE, "state": "ACTIVE:ACTIVE",
                "visitorConnected": True, "url": "http://shop.test/cart", "title": None,
                "agents": [{"id": joined["id"], "name": "Alice"}],
                "tools": {"allowed": ["point", "draw", "control"], "on": True, "usable": ["point", "draw", "control"]},
            }
            # The agent's token is its own: not in the session view, not told to the visitor.
            assert joined["token"] not in json.dumps(joined["session"])
            heard = await customer.expect("agent_joined")
            assert heard == {"type": "agent_joined", "id": joined["id"], "name": "Alice"}

    run_relay(steps)


def test_agent_joins_by_sid(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, SID="ticket-99"))["accessCode"]
            joined = await join(alice, "ticket-99", "Alice")
            assert joined["session"]["accessCode"] == code
            assert joined["session"]["SID"] == "ticket-99"
            heard = await customer.expect("agent_joined")
            assert (heard["id"], heard["name"]) == (joined["id"], "Alice")

    run_relay(steps)


def test_join_code_may_have_spaces_around_it_and_the_name_is_tidied(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            joined = await join(alice, "  %s " % code, "  Ann \t  Lee ")
            assert joined["session"]["accessCode"] == code
            assert joined["name"] == "Ann Lee"
            assert (await customer.expect("agent_joined"))["name"] == "Ann Lee"

    run_relay(steps)


def test_two_agents_get_distinct_ids_and_both_are_in_the_session(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            first = await join(alice, code, "Alice")
            second = await join(bob, code, "Bob")
            assert first["id"] != second["id"]
            assert [a["id"] for a in second["session"]["agents"]] == [first["id"], second["id"]]
            heard = [await customer.expect("agent_joined") for _ in range(2)]
            assert [(m["id"], m["name"]) for m in heard] == [(first["id"], "Alice"), (second["id"], "Bob")]
            # Alice is told the session changed: Bob is in it now.
            while not any(len(view["agents"]) == 2 for view in alice.sessions):
                alice.sessions.append((await alice.expect("session"))["session"])

    run_relay(steps)


def test_visitor_page_is_broadcast_to_agents(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, url="http://shop.test/"))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await customer.send("page", url="http://shop.test/checkout", title="Checkout")
            while True:
                view = (await alice.expect("session"))["session"]
                if view["url"] == "http://shop.test/checkout":
                    break
            assert view["title"] == "Checkout"
            assert view["state"] == "ACTIVE:ACTIVE"

    run_relay(steps)


def test_agent_leave_tells_the_visitor_and_the_session_goes_on(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            first = await join(alice, code, "Alice")
            second = await join(bob, code, "Bob")
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            await alice.send("leave")
            heard = await customer.expect("agent_left")
            assert heard == {"type": "agent_left", "id": first["id"], "name": "Alice"}
            # Alice's socket is closed normally; Bob sees a session with only himself in it.
            assert await alice.closed() == 1000
            while True:
                view = (await bob.expect("session"))["session"]
                if len(view["agents"]) == 1:
                    break
            assert view["agents"] == [{"id": second["id"], "name": "Bob"}]
            # The session is still live: a third agent can join it.
            async with agent(server) as carol:
                third = await join(carol, code, "Carol")
                assert (await customer.expect("agent_joined"))["id"] == third["id"]

    run_relay(steps)


def test_session_outlives_its_last_agent(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await alice.send("leave")
            await customer.expect("agent_left")
            async with agent(server) as bob:
                view = (await join(bob, code, "Bob"))["session"]
                assert [a["name"] for a in view["agents"]] == ["Bob"]

    run_relay(steps)


def test_agent_must_join_before_anything_else_and_only_once(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await alice.send("leave")
            await alice.expect_error("out_of_order")
            await alice.send("end")
            await alice.expect_error("out_of_order")
            await join(alice, code)
            await alice.send("join", code=code, name="Alice again")
            await alice.expect_error("out_of_order")
            # Only the one join reached the visitor.
            await customer.expect("agent_joined")
            await alice.send("leave")
            await customer.expect("agent_left")

    run_relay(steps)


def test_agent_with_a_blank_name_is_refused(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await alice.send("join", code=code, name=" \t ")
            await alice.expect_error("bad_name")
            await join(alice, code, "Alice")
            assert (await customer.expect("agent_joined"))["name"] == "Alice"

    run_relay(steps)


def test_join_unknown_code_is_refused_and_the_agent_may_try_again(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            wrong = "%06d" % ((int(code) + 1) % 1_000_000)
            await alice.send("join", code=wrong, name="Alice")
            error = await alice.expect_error("no_session")
            assert error["message"] == NO_SESSION
            await join(alice, code)

    run_relay(steps)



# Sessions ending.


def test_agent_end_ends_the_session_for_everyone(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            await join(alice, code, "Alice")
            await join(bob, code, "Bob")
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            await alice.send("end")
            for peer in (customer, alice, bob):
                assert await peer.expect("ended") == {"type": "ended", "reason": "AGENT_INITIATED"}
                assert await peer.closed() == 1000
            await assert_dead(server, code)

    run_relay(steps)


def test_visitor_stop_tells_agents_the_reason(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer, SID="case-7"))["accessCode"]
            await join(alice, code, "Alice")
            await join(bob, code, "Bob")
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            await customer.send("stop", reason="Closed by the shop's own button")
            for peer in (alice, bob, customer):
                ended = await peer.expect("ended")
                assert ended == {"type": "ended", "reason": "Closed by the shop's own button"}
                assert await peer.closed() == 1000
            await assert_dead(server, code)
            await assert_dead(server, "case-7")

    run_relay(steps)


def test_visitor_navigating_away_tells_agents_where(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await customer.send("navigated_away", url="http://elsewhere.test/page?q=1")
            expected = {"type": "ended", "reason": "NAVIGATED_AWAY", "url": "http://elsewhere.test/page?q=1"}
            assert await alice.expect("ended") == expected
            assert await alice.closed() == 1000
            assert await customer.expect("ended") == expected
            await assert_dead(server, code)

    run_relay(steps)


def test_ended_session_without_agents_is_dead(run_relay):
    async def steps(server):
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            await customer.send("stop", reason="USER_INITIATED")
            assert await customer.expect("ended") == {"type": "ended", "reason": "USER_INITIATED"}
            assert await customer.closed() == 1000
        await assert_dead(server, code)

    run_relay(steps)



# One session per connection, tokens that must be current, and pings.


def test_ping_gets_pong_on_both_sockets_before_and_during_a_session(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            await quiet(customer)
            await quiet(alice)
            code = (await start(customer))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await quiet(customer)
            await quiet(alice)

    run_relay(steps)


def test_a_rejoin_while_the_agent_is_connected_is_in_use(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as copy:
            await copy.send("rejoin", token=joined["token"])
            await copy.expect_error("in_use")
            await alice.send("leave")
            assert (await customer.expect("agent_left"))["id"] == joined["id"]

    run_relay(steps)


@pytest.mark.parametrize("peer, kind, fields", [
    ("visitor", "resume", {"token": "x" * 32}),
    ("visitor", "start", {"siteCode": SITE}),
    ("agent", "join", {"code": "000000", "name": "Eve"}),
    ("agent", "rejoin", {"token": "x" * 32}),
])
def test_a_second_start_resume_join_or_rejoin_on_one_connection_is_out_of_order(run_relay, peer, kind, fields):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            other = customer if peer == "visitor" else alice
            await other.send(kind, **fields)
            await other.expect_error("out_of_order")
            await quiet(customer)

    run_relay(steps)


def test_resume_and_rejoin_with_unknown_tokens_are_refused(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            await customer.send("resume", token="not-a-token")
            assert await customer.expect_error("no_session") == {"type": "error", "code": "no_session", "message": SESSION_OVER}
            await alice.send("rejoin", token="not-a-token")
            await alice.expect_error("no_session")
            # Both connections are still usable.
            code = (await start(customer))["accessCode"]
            await join(alice, code)

    run_relay(steps)



def test_a_start_when_no_code_is_free_is_refused_and_the_relay_goes_on():
    class Full(MemoryStore):
        async def create(self, *args, **kwargs):
            raise CodesExhausted("access codes are exhausted")

    async def steps(server):
        async with visitor(server) as customer:
            await customer.send("start", siteCode=SITE)
            error = await customer.expect_error("unavailable")
            assert error["message"] == "The co-browse service is busy: please try again later"
            await quiet(customer)

    run_in_memory(steps, store=Full())
