"""The session server over the wire: a real ``python -m cobrowse serve`` and real clients.

Visitors and agents are ``websockets`` clients; each test runs its coroutine with
``run_async``. Every message the server sends is checked with ``protocol.decode``, so a reply
that breaks the protocol fails the test that received it. Static files are fetched with
``http.client``, which neither follows redirects nor decompresses, so the tests see the raw
responses. The ``server`` fixture, and ``own_server`` for servers started with options of their
own (short timeouts, a rate limit, allowed origins), fail the run if the server logged a
traceback.

Every test that uses ``server`` or ``own_server`` runs twice: against the in-memory engine, and
against the Redis engine (``--redis``, with a redis-server of the tests' own).

The server limits failed joins per client address, so every agent connection here comes from
an address of its own in 127.0.0.0/8 (``address=`` picks one): failed joins of one test never
reach the limit of another, nor of the browser tests sharing the ``server`` fixture.
"""

import asyncio
import contextlib
import json
import re
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cobrowse.core import protocol
from support.loop import run_async as run
from support.wire import (ADDRESSES, NO_SESSION, SESSION_OVER, SITE, SNAPSHOT, TIMEOUT, TOKEN, agent, assert_dead, drop,
                          join, next_view_text, quiet, rejoin, resume, session_with_agent, start, until_state, view,
                          visitor)


# Sessions starting.


def test_start_gives_a_six_digit_access_code(server):
    async def steps():
        async with visitor(server) as customer:
            started = await start(customer, url="http://shop.test/")
            # No SID was given, so none comes back (optional fields are left out, never null).
            assert started == {"type": "started", "accessCode": started["accessCode"], "token": started["token"]}

    run(steps())


def test_concurrent_sessions_get_unique_codes(server):
    async def one_session(stack):
        customer = await stack.enter_async_context(visitor(server))
        return (await start(customer))["accessCode"]

    async def steps():
        # The visitors stay connected, so all their sessions are live at the same time.
        async with contextlib.AsyncExitStack() as stack:
            codes = await asyncio.gather(*(one_session(stack) for _ in range(60)))
        assert len(set(codes)) == len(codes)

    run(steps())


def test_start_with_sid_returns_the_sid(server):
    async def steps():
        async with visitor(server) as customer:
            started = await start(customer, SID="crm-4711")
            assert started["SID"] == "crm-4711"

    run(steps())


def test_second_start_on_one_connection_is_refused_and_the_first_session_goes_on(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await customer.send("start", siteCode=SITE)
            await customer.expect_error("out_of_order")
            joined = await join(alice, code)
            assert joined["session"]["accessCode"] == code
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]

    run(steps())


@pytest.mark.parametrize("kind, fields", [
    ("stop", {"reason": "USER_INITIATED"}),
    ("navigated_away", {"url": "http://elsewhere.test/"}),
    ("page", {"url": "http://shop.test/"}),
])
def test_visitor_messages_before_start_are_out_of_order(server, kind, fields):
    async def steps():
        async with visitor(server) as customer:
            await customer.send(kind, **fields)
            await customer.expect_error("out_of_order")
            # The connection is still usable for a start.
            await start(customer)

    run(steps())


# Agents joining and leaving.


def test_agent_joins_by_access_code(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, url="http://shop.test/cart"))["accessCode"]
            joined = await join(alice, code, "Alice")
            assert re.fullmatch(r"\S{1,64}", joined["id"]), joined
            assert joined["name"] == "Alice"
            assert joined["session"] == {
                "accessCode": code, "SID": None, "siteCode": SITE, "state": "ACTIVE:ACTIVE",
                "visitorConnected": True, "url": "http://shop.test/cart", "title": None,
                "agents": [{"id": joined["id"], "name": "Alice"}],
            }
            # The agent's token is its own: not in the session view, not told to the visitor.
            assert joined["token"] not in json.dumps(joined["session"])
            heard = await customer.expect("agent_joined")
            assert heard == {"type": "agent_joined", "id": joined["id"], "name": "Alice"}

    run(steps())


def test_agent_joins_by_sid(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, SID="ticket-99"))["accessCode"]
            joined = await join(alice, "ticket-99", "Alice")
            assert joined["session"]["accessCode"] == code
            assert joined["session"]["SID"] == "ticket-99"
            heard = await customer.expect("agent_joined")
            assert (heard["id"], heard["name"]) == (joined["id"], "Alice")

    run(steps())


def test_join_code_may_have_spaces_around_it_and_the_name_is_tidied(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            joined = await join(alice, "  %s " % code, "  Ann \t  Lee ")
            assert joined["session"]["accessCode"] == code
            assert joined["name"] == "Ann Lee"
            assert (await customer.expect("agent_joined"))["name"] == "Ann Lee"

    run(steps())


def test_two_agents_get_distinct_ids_and_both_are_in_the_session(server):
    async def steps():
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

    run(steps())


def test_visitor_page_is_broadcast_to_agents(server):
    async def steps():
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

    run(steps())


def test_agent_leave_tells_the_visitor_and_the_session_goes_on(server):
    async def steps():
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

    run(steps())


def test_session_outlives_its_last_agent(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await alice.send("leave")
            await customer.expect("agent_left")
            async with agent(server) as bob:
                view = (await join(bob, code, "Bob"))["session"]
                assert [a["name"] for a in view["agents"]] == ["Bob"]

    run(steps())


def test_agent_must_join_before_anything_else_and_only_once(server):
    async def steps():
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

    run(steps())


def test_agent_with_a_blank_name_is_refused(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await alice.send("join", code=code, name=" \t ")
            await alice.expect_error("bad_name")
            await join(alice, code, "Alice")
            assert (await customer.expect("agent_joined"))["name"] == "Alice"

    run(steps())


def test_join_unknown_code_is_refused_and_the_agent_may_try_again(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            wrong = "%06d" % ((int(code) + 1) % 1_000_000)
            await alice.send("join", code=wrong, name="Alice")
            error = await alice.expect_error("no_session")
            assert error["message"] == NO_SESSION
            await join(alice, code)

    run(steps())


# Sessions ending.


def test_agent_end_ends_the_session_for_everyone(server):
    async def steps():
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

    run(steps())


def test_visitor_stop_tells_agents_the_reason(server):
    async def steps():
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

    run(steps())


def test_visitor_navigating_away_tells_agents_where(server):
    async def steps():
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

    run(steps())


def test_ended_session_without_agents_is_dead(server):
    async def steps():
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            await customer.send("stop", reason="USER_INITIATED")
            assert await customer.expect("ended") == {"type": "ended", "reason": "USER_INITIATED"}
            assert await customer.closed() == 1000
        await assert_dead(server, code)

    run(steps())


# Malformed messages.

LONG_TEXT = "x" * (protocol.MAX_MESSAGE_CHARS + 1)

# (case id, raw text, error code) for the visitor socket; every case is refused before any state
# is looked at, so each one gets the same answer before and after `start`.
VISITOR_BAD = [
    ("not-json", "{not json", "bad_json"),
    ("empty", "", "bad_json"),
    ("not-an-object", "[1, 2]", "bad_message"),
    ("no-version", '{"type": "page", "url": "http://shop.test/"}', "bad_version"),
    ("wrong-version", '{"v": 2, "type": "page", "url": "http://shop.test/"}', "bad_version"),
    ("version-true", '{"v": true, "type": "page", "url": "http://shop.test/"}', "bad_version"),
    ("no-type", '{"v": 1, "url": "http://shop.test/"}', "bad_type"),
    ("unknown-type", '{"v": 1, "type": "dance"}', "bad_type"),
    ("agent-type", '{"v": 1, "type": "join", "code": "123456", "name": "Eve"}', "bad_type"),
    ("missing-field", '{"v": 1, "type": "navigated_away"}', "bad_field"),
    ("unknown-field", '{"v": 1, "type": "page", "url": "http://shop.test/", "colour": "red"}', "bad_field"),
    ("wrong-field-type", '{"v": 1, "type": "page", "url": 42}', "bad_field"),
    ("field-too-long", json.dumps({"v": 1, "type": "page", "url": "x" * 2049}), "bad_field"),
    ("too-long", json.dumps({"v": 1, "type": "page", "url": LONG_TEXT}), "too_large"),
    ("deeply-nested", "[" * 100_000 + "]" * 100_000, "too_large"),
    ("deeply-nested-short", "[" * 30_000 + "]" * 30_000, "bad_json"),
]

AGENT_BAD = [
    ("not-json", "{not json", "bad_json"),
    ("not-an-object", '"join"', "bad_message"),
    ("wrong-version", '{"v": "1", "type": "leave"}', "bad_version"),
    ("unknown-type", '{"v": 1, "type": "kick"}', "bad_type"),
    ("visitor-type", '{"v": 1, "type": "start", "siteCode": "ACME-1"}', "bad_type"),
    ("missing-field", '{"v": 1, "type": "join", "code": "123456"}', "bad_field"),
    ("unknown-field", '{"v": 1, "type": "leave", "now": true}', "bad_field"),
    ("wrong-field-type", '{"v": 1, "type": "join", "code": 123456, "name": "Eve"}', "bad_field"),
    ("name-too-long", json.dumps({"v": 1, "type": "join", "code": "123456", "name": "E" * 81}), "bad_field"),
    ("too-long", json.dumps({"v": 1, "type": "join", "code": "1", "name": LONG_TEXT}), "too_large"),
]


@pytest.mark.parametrize("text, code", [case[1:] for case in VISITOR_BAD], ids=[case[0] for case in VISITOR_BAD])
def test_malformed_visitor_message_is_refused_and_the_session_survives(server, text, code):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            await customer.send_raw(text)
            await customer.expect_error(code)
            # The connection survives: a session starts on it.
            session_code = (await start(customer))["accessCode"]
            await customer.send_raw(text)
            await customer.expect_error(code)
            # The session survives: an agent joins it and the visitor hears so.
            joined = await join(alice, session_code)
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]

    run(steps())


@pytest.mark.parametrize("text, code", [case[1:] for case in AGENT_BAD], ids=[case[0] for case in AGENT_BAD])
def test_malformed_agent_message_is_refused_and_the_session_survives(server, text, code):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            session_code = (await start(customer))["accessCode"]
            await alice.send_raw(text)
            await alice.expect_error(code)
            # The connection survives: the agent joins on it.
            joined = await join(alice, session_code)
            await alice.send_raw(text)
            await alice.expect_error(code)
            # The agent is still in the session: its leave reaches the visitor.
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]
            await alice.send("leave")
            assert (await customer.expect("agent_left"))["id"] == joined["id"]

    run(steps())


def test_binary_frames_are_refused_and_the_session_survives(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            frame = protocol.encode("start", siteCode=SITE).encode()
            await customer.send_raw(frame)
            await customer.expect_error("bad_message")
            session_code = (await start(customer))["accessCode"]
            await customer.send_raw(b"\x00\xff")
            await customer.expect_error("bad_message")
            await alice.send_raw(protocol.encode("join", code=session_code, name="Alice").encode())
            await alice.expect_error("bad_message")
            joined = await join(alice, session_code)
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]

    run(steps())


# Timeouts, reconnects and resumes. Servers with short timeouts are started for these.

QUICK = ("--network-timeout", "1.5")
WAITING = ("--agent-wait-timeout", "1.5", "--network-timeout", "2")
IDLE = ("--idle-timeout", "2", "--network-timeout", "3")


def test_ping_gets_pong_on_both_sockets_before_and_during_a_session(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            await quiet(customer)
            await quiet(alice)
            code = (await start(customer))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await quiet(customer)
            await quiet(alice)

    run(steps())


def test_no_agent_in_time_ends_the_session_as_user_timeout(own_server):
    server = own_server(*WAITING)

    async def steps():
        async with visitor(server) as customer:
            began = time.monotonic()
            code = (await start(customer))["accessCode"]
            assert await customer.expect("ended") == {"type": "ended", "reason": "USER_TIMEOUT"}
            assert 1.2 < time.monotonic() - began < 6
            assert await customer.closed() == 1000
        await assert_dead(server, code)

    run(steps())


def test_an_agent_stops_the_user_timeout_and_it_starts_again_when_the_last_agent_leaves(own_server):
    server = own_server(*WAITING)

    async def steps():
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            await join(alice, code, "Alice")
            await join(bob, code, "Bob")
            # Well past the wait timeout, the session is alive: a page change reaches the agents.
            await asyncio.sleep(2.5)
            await customer.send("page", url="http://shop.test/later")
            assert (await customer.expect("agent_joined"))["name"] == "Alice"
            assert (await customer.expect("agent_joined"))["name"] == "Bob"
            await quiet(customer)
            # One of two agents leaving does not start the clock; the last one leaving does.
            await alice.send("leave")
            await customer.expect("agent_left")
            await asyncio.sleep(2)
            await quiet(customer)
            await bob.send("leave")
            assert (await customer.expect("agent_left"))["name"] == "Bob"
            left = time.monotonic()
            assert await customer.expect("ended") == {"type": "ended", "reason": "USER_TIMEOUT"}
            assert 1.2 < time.monotonic() - left < 6
        await assert_dead(server, code)

    run(steps())


@pytest.mark.parametrize("how", ["close", "drop"])
def test_a_dropped_visitor_resumes_the_same_session_within_the_network_timeout(own_server, how):
    server = own_server(*QUICK)

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server, SID="case-1", url="http://shop.test/a")
        async with stack:
            code = started["accessCode"]
            await drop(customer, how)
            view = await until_state(alice, "RECONNECTING")
            assert view["visitorConnected"] is False and view["accessCode"] == code
            assert view["agents"] == [{"id": joined["id"], "name": "Alice"}]

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
                await asyncio.sleep(2)
                await again.send("page", url="http://shop.test/c")
                assert (await until_state(alice, "ACTIVE:ACTIVE"))["url"] == "http://shop.test/c"
                await alice.send("leave")
                assert (await again.expect("agent_left"))["id"] == joined["id"]
                await quiet(again)

    run(steps())


@pytest.mark.parametrize("how", ["close", "drop"])
def test_a_visitor_gone_past_the_network_timeout_ends_the_session(own_server, how):
    server = own_server(*QUICK)

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await drop(customer, how)
            lost = time.monotonic()
            await until_state(alice, "RECONNECTING")
            assert await alice.expect("ended") == {"type": "ended", "reason": "NETWORK_TIMEOUT"}
            assert 1.2 < time.monotonic() - lost < 6
            assert await alice.closed() == 1000
        await assert_dead(server, started["accessCode"])
        late, reply = await resume(server, started["token"])
        async with late.stack:
            assert reply == {"type": "error", "code": "no_session", "message": SESSION_OVER}

    run(steps())


def test_the_pages_network_timeout_is_used_and_kept_within_5_to_300_s(own_server):
    server = own_server(*QUICK)

    async def steps():
        async with agent(server) as alice:
            async with visitor(server) as customer:
                # One second is too short for a real network: the server makes it five.
                started = await start(customer, networkTimeout=1)
                await join(alice, started["accessCode"])
                await customer.expect("agent_joined")
                await drop(customer)
            await until_state(alice, "RECONNECTING")
            # Past the server's own 1.5 s, the session waits for the page's (clamped) 5 s.
            await asyncio.sleep(2.5)
            again, reply = await resume(server, started["token"])
            async with again.stack:
                assert reply["type"] == "resumed" and reply["accessCode"] == started["accessCode"]

    run(steps())


def test_the_network_timeout_is_clamped():
    from cobrowse.server.relay import clamp_network_timeout

    assert [clamp_network_timeout(s) for s in (None, -3, 0, 4, 5, 30, 300, 301, 10**9)] == [None, 5, 5, 5, 5, 30, 300, 300, 300]


def test_a_session_open_in_one_tab_is_not_resumed_in_another(own_server):
    server = own_server(*QUICK)

    async def steps():
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

    run(steps())


def test_a_resume_takes_over_a_socket_that_went_silent(own_server):
    server = own_server(*IDLE)

    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            started = await start(customer)
            await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            # Silent for more than half the idle timeout (two heartbeats by default): dead.
            await asyncio.sleep(1.3)
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

    run(steps())


def test_a_silent_visitor_socket_is_closed_and_its_session_waits(own_server):
    server = own_server(*IDLE)

    async def heartbeat(peer):
        while True:
            await asyncio.sleep(0.5)
            await peer.send("ping")

    async def steps():
        async with visitor(server) as customer, agent(server) as alice, visitor(server) as lively:
            started = await start(customer)
            await start(lively)
            joined = await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            beats = [asyncio.create_task(heartbeat(alice)), asyncio.create_task(heartbeat(lively))]
            try:
                silent = time.monotonic()
                assert await customer.closed() == 4408
                assert 1.8 < time.monotonic() - silent < 6
                # The session was not ended: the agent is told the visitor is reconnecting.
                await until_state(alice, "RECONNECTING")
                again, reply = await resume(server, started["token"])
                async with again.stack:
                    assert reply["type"] == "resumed" and reply["agents"] == [{"id": joined["id"], "name": "Alice"}]
                    await asyncio.sleep(max(0, silent + 3 - time.monotonic()))
            finally:
                for beat in beats:
                    beat.cancel()
            # The sockets that pinged all along are open, well past the idle timeout.
            assert lively.socket.close_code is None and alice.socket.close_code is None
            await lively.send("ping")
            assert (await lively.receive())["type"] == "pong"

    run(steps())


def test_a_silent_agent_socket_is_closed_and_the_agent_may_rejoin(own_server):
    server = own_server(*IDLE)

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            for _ in range(6):
                await asyncio.sleep(0.5)
                await quiet(customer)
            assert await alice.closed() == 4408
            async with agent(server) as back:
                assert (await rejoin(back, joined["token"]))["id"] == joined["id"]
            # The visitor heard nothing of the agent's silence, the close or the rejoin.
            await quiet(customer)

    run(steps())


def test_a_dropped_agent_rejoins_as_itself_and_the_visitor_hears_nothing(own_server):
    server = own_server(*QUICK)

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await drop(alice)
            await asyncio.sleep(0.3)
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
                await asyncio.sleep(2)
                await quiet(customer)
                # The agent is really back: it hears the visitor's page, and its leave is heard.
                await customer.send("page", url="http://shop.test/after")
                assert (await until_state(back, "ACTIVE:ACTIVE"))["url"] == "http://shop.test/after"
                await back.send("leave")
                assert (await customer.expect("agent_left"))["id"] == joined["id"]

    run(steps())


def test_an_agent_gone_past_the_network_timeout_leaves_once(own_server):
    server = own_server(*QUICK)

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            second = await join(bob, started["accessCode"], "Bob")
            await customer.expect("agent_joined")
            await drop(alice)
            lost = time.monotonic()
            assert await customer.expect("agent_left") == {"type": "agent_left", "id": joined["id"], "name": "Alice"}
            assert 1.2 < time.monotonic() - lost < 6
            view = (await bob.expect("session"))["session"]
            while len(view["agents"]) != 1:
                view = (await bob.expect("session"))["session"]
            assert view["agents"] == [{"id": second["id"], "name": "Bob"}]
            await asyncio.sleep(0.5)
            await quiet(customer)
            async with agent(server) as late:
                await late.send("rejoin", token=joined["token"])
                await late.expect_error("no_session")

    run(steps())


def test_a_rejoin_while_the_agent_is_connected_is_in_use(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as copy:
            await copy.send("rejoin", token=joined["token"])
            await copy.expect_error("in_use")
            await alice.send("leave")
            assert (await customer.expect("agent_left"))["id"] == joined["id"]

    run(steps())


@pytest.mark.parametrize("peer, kind, fields", [
    ("visitor", "resume", {"token": "x" * 32}),
    ("visitor", "start", {"siteCode": SITE}),
    ("agent", "join", {"code": "000000", "name": "Eve"}),
    ("agent", "rejoin", {"token": "x" * 32}),
])
def test_a_second_start_resume_join_or_rejoin_on_one_connection_is_out_of_order(server, peer, kind, fields):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            other = customer if peer == "visitor" else alice
            await other.send(kind, **fields)
            await other.expect_error("out_of_order")
            await quiet(customer)

    run(steps())


def test_resume_and_rejoin_with_unknown_tokens_are_refused(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            await customer.send("resume", token="not-a-token")
            assert await customer.expect_error("no_session") == {"type": "error", "code": "no_session", "message": SESSION_OVER}
            await alice.send("rejoin", token="not-a-token")
            await alice.expect_error("no_session")
            # Both connections are still usable.
            code = (await start(customer))["accessCode"]
            await join(alice, code)

    run(steps())


def test_tokens_never_reach_the_session_view_or_the_visitor(own_server):
    server = own_server(*QUICK)

    async def steps():
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

    run(steps())


def test_a_start_when_no_code_is_free_is_refused_and_the_server_goes_on():
    import threading

    import uvicorn

    from cobrowse.server.app import create_app
    from cobrowse.server.backends.memory.store import MemoryStore
    from cobrowse.server.backends.records import CodesExhausted
    from support.processes import AGENT_KEY, free_port

    class Full(MemoryStore):
        async def create(self, *args, **kwargs):
            raise CodesExhausted("access codes are exhausted")

    port = free_port()
    running = uvicorn.Server(uvicorn.Config(create_app(AGENT_KEY, store=Full()), host="127.0.0.1", port=port,
                                            log_level="warning", lifespan="off"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()

    class Address:
        ws = "ws://127.0.0.1:%d" % port

    async def steps():
        while not running.started:
            await asyncio.sleep(0.02)
        async with visitor(Address) as customer:
            await customer.send("start", siteCode=SITE)
            error = await customer.expect_error("unavailable")
            assert error["message"] == "The co-browse service is busy: please try again later"
            await quiet(customer)

    try:
        run(steps())
    finally:
        running.should_exit = True
        thread.join(10)


# The view relay.


def test_a_view_is_relayed_to_every_agent_and_not_echoed(server):
    events = [{"type": 3, "data": {"source": 2, "x": 10.5, "text": "caf\u00e9 \u2603 <b>"}}, [1, [2, [3]]], None, True]

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            await join(bob, started["accessCode"], "Bob")
            await customer.expect("agent_joined")
            await customer.send("view", events=events)
            for peer in (alice, bob):
                assert await peer.expect("view") == {"type": "view", "events": events}
            await quiet(customer)

    run(steps())


def test_a_view_without_agents_goes_nowhere_and_before_start_is_out_of_order(server):
    async def steps():
        async with visitor(server) as customer:
            await customer.send("view", events=[])
            await customer.expect_error("out_of_order")
            await start(customer)
            await customer.send("view", events=[{"type": 2}])
            await quiet(customer)

    run(steps())


@pytest.mark.parametrize("events", ["[NaN]", "[1, Infinity]", "[-Infinity]"])
def test_a_view_that_is_not_json_is_refused(server, events):
    # Python reads NaN and Infinity; browsers do not. A view is relayed as it came, so the
    # server must not let through what an agent's JSON.parse would choke on.
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send_raw('{"v": 1, "type": "view", "events": %s}' % events)
            await customer.expect_error("bad_json")
            await customer.send("view", events=[1])
            assert await alice.expect("view") == {"type": "view", "events": [1]}

    run(steps())


def test_a_view_is_relayed_as_the_text_that_came(server):
    # Not decoded and encoded again: spacing, key order and number spelling arrive unchanged.
    text = '{"v":1,"type":"view","events":[1E5, {"b": 1, "a": [2.50, "caf\\u00e9"]}, -0.0]}'

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send_raw(text)
            assert await next_view_text(alice) == text

    run(steps())


def test_a_late_joiner_gets_the_last_snapshot_and_the_changes_since_and_nobody_else_hears_of_it(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            sent = [view({"type": 3, "data": {"before": "the snapshot"}}), SNAPSHOT,
                    view({"type": 3, "data": {"n": 1}}), view({"type": 3, "data": {"n": 2}})]
            for text in sent:
                await customer.send_raw(text)
            for text in sent:
                assert await next_view_text(alice) == text
            await join(bob, started["accessCode"], "Bob")
            # Bob is shown the page from the snapshot on, without asking the visitor for anything.
            for text in sent[1:]:
                assert await next_view_text(bob) == text
            assert (await customer.expect("agent_joined"))["name"] == "Bob"
            await quiet(customer)
            await quiet(alice)
            # From then on both get every change once.
            await customer.send_raw(sent[2])
            for peer in (alice, bob):
                assert await next_view_text(peer) == sent[2]
                await quiet(peer)

    run(steps())


def test_a_new_snapshot_starts_the_log_afresh(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            second = view({"type": 4, "data": {"href": "http://shop.test/next"}}, {"type": 2, "data": {"node": {"id": 1}}})
            for text in (SNAPSHOT, view({"type": 3, "data": {"n": 1}}), second, view({"type": 3, "data": {"n": 2}})):
                await customer.send_raw(text)
                assert await next_view_text(alice) == text
            await join(bob, started["accessCode"], "Bob")
            assert await next_view_text(bob) == second
            assert await next_view_text(bob) == view({"type": 3, "data": {"n": 2}})
            await quiet(bob)

    run(steps())


def test_an_agent_who_comes_back_gets_the_page_it_missed(own_server):
    server = own_server(*QUICK)

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send_raw(SNAPSHOT)
            assert await next_view_text(alice) == SNAPSHOT
            await drop(alice)
            await asyncio.sleep(0.2)
            # Changes made while the agent was away are in the log it is sent when it rejoins.
            change = view({"type": 3, "data": {"while": "away"}})
            await customer.send_raw(change)
            await quiet(customer)  # The server has taken the change when the visitor's pong comes.
            async with agent(server) as back:
                await rejoin(back, joined["token"])
                assert await next_view_text(back) == SNAPSHOT
                assert await next_view_text(back) == change
                await quiet(customer)

    run(steps())


def test_a_snapshot_sent_while_no_agent_is_in_the_session_is_not_kept(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            started = await start(customer)
            await customer.send_raw(SNAPSHOT)
            await customer.send_raw(view({"type": 3, "data": {"n": 1}}))
            await quiet(customer)
            await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            await quiet(alice)

    run(steps())


def test_no_log_is_kept_before_the_first_snapshot_nor_after_the_last_agent_leaves(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            # Changes without a snapshot before them cannot show a page: they are not kept.
            await customer.send_raw(view({"type": 3, "data": {"n": 1}}))
            await next_view_text(alice)
            async with agent(server) as bob:
                await join(bob, started["accessCode"], "Bob")
                await customer.expect("agent_joined")
                await quiet(bob)
                await bob.send("leave")
                await customer.expect("agent_left")
            # Once nobody watches, the visitor stops recording: the log would only grow stale.
            await customer.send_raw(SNAPSHOT)
            await next_view_text(alice)
            await alice.send("leave")
            await customer.expect("agent_left")
            async with agent(server) as carol:
                await join(carol, started["accessCode"], "Carol")
                await customer.expect("agent_joined")
                await quiet(carol)
                await quiet(customer)

    run(steps())


def test_a_log_past_its_limit_is_replaced_by_a_new_snapshot_when_an_agent_joins(server):
    # Three views of nearly 4 MB each outgrow the 8 MB log.
    padding = "x" * (protocol.MAX_VIEW_CHARS - 200)
    big_snapshot = view({"type": 4, "data": {}}, {"type": 2, "data": {"pad": padding}})
    big_change = view({"type": 3, "data": {"pad": padding}})

    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            for text in (big_snapshot, big_change, big_change):
                await customer.send_raw(text)
                assert await next_view_text(alice) == text
            await join(bob, started["accessCode"], "Bob")
            # Bob is not sent a log with a hole in it: the visitor is asked for a new snapshot.
            assert (await customer.expect("agent_joined"))["name"] == "Bob"
            assert await customer.expect("snapshot") == {"type": "snapshot"}
            await quiet(bob)
            await customer.send_raw(SNAPSHOT)
            for peer in (alice, bob):
                assert await next_view_text(peer) == SNAPSHOT
            # The log serves the next joiner again.
            async with agent(server) as carol:
                await join(carol, started["accessCode"], "Carol")
                assert await next_view_text(carol) == SNAPSHOT
                await customer.expect("agent_joined")
                await quiet(customer)

    run(steps())


def test_an_agent_too_slow_for_the_view_is_sent_it_afresh_and_nothing_piles_up(server):
    # An agent that reads nothing while the visitor sends 40 MB: past its 16 MiB queue, what
    # waits for it is dropped, and as the log outgrew its limit too, the visitor is asked for
    # a new snapshot, which the agent gets once it reads again.
    padding = "x" * (protocol.MAX_VIEW_CHARS - 200)
    big_snapshot = view({"type": 4, "data": {}}, {"type": 2, "data": {"pad": padding}})
    big_change = view({"type": 3, "data": {"pad": padding}})

    async def steps():
        async with visitor(server) as customer:
            slow = await connect(server.ws + "/ws/agent?key=" + server.key, max_size=None, max_queue=1,
                                 local_addr=(next(ADDRESSES), 0), open_timeout=TIMEOUT)
            try:
                started = await start(customer)
                await slow.send(protocol.encode("join", code=started["accessCode"], name="Slow"))
                await customer.expect("agent_joined")
                slow.transport.pause_reading()
                for text in [big_snapshot] + [big_change] * 10:
                    await customer.send_raw(text)
                assert await customer.expect("snapshot") == {"type": "snapshot"}
                await customer.send_raw(SNAPSHOT)
                slow.transport.resume_reading()
                texts = []
                while not texts or texts[-1] != SNAPSHOT:
                    texts.append(await asyncio.wait_for(slow.recv(), TIMEOUT))
                # Far fewer than the eleven big views sent: what waited was dropped.
                assert sum(len(text) for text in texts) < 30 * 1024 * 1024
            finally:
                slow.transport.abort()

    run(steps())


def test_agents_may_not_send_views(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await alice.send_raw(protocol.encode("view", events=[1]))
            await alice.expect_error("bad_type")
            await quiet(customer)

    run(steps())


# Guessing codes: the join limit.


def test_the_sixth_failed_join_in_a_minute_is_refused_with_the_wait(own_server):
    server = own_server("--agent-wait-timeout", "600")
    guesser = "127.200.0.1"

    async def steps():
        async with visitor(server) as customer:
            started = await start(customer, SID="case-9")
            code = started["accessCode"]
            wrong = "%06d" % ((int(code) + 1) % 1_000_000)
            async with agent(server, address=guesser) as eve:
                for attempt in range(5):
                    await eve.send("join", code=wrong if attempt % 2 else "no-such-sid", name="Eve")
                    assert (await eve.expect_error("no_session"))["message"] == NO_SESSION
                await eve.send("join", code=wrong, name="Eve")
                error = await eve.expect_error("rate_limited")
                assert 55 <= error["retryAfter"] <= 60
                assert error["message"] == "Too many attempts, wait %d s" % error["retryAfter"]
                # While limited, the right code and the right SID are refused as well.
                for right in (code, "case-9"):
                    await eve.send("join", code=right, name="Eve")
                    await eve.expect_error("rate_limited")
            # The limit is per client, not per connection.
            async with agent(server, address=guesser) as again:
                await again.send("join", code=code, name="Eve")
                await again.expect_error("rate_limited")
            # Another address is not limited, and the visitor heard of no attempt but this one.
            async with agent(server, address="127.200.0.2") as alice:
                await alice.send("join", code=wrong, name="Alice")
                await alice.expect_error("no_session")
                joined = await join(alice, code)
                assert (await customer.expect("agent_joined"))["id"] == joined["id"]
                await quiet(customer)

    run(steps())


def test_successful_joins_and_blank_names_do_not_count_toward_the_limit(own_server):
    server = own_server("--agent-wait-timeout", "600")
    address = "127.200.1.1"

    async def steps():
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            wrong = "%06d" % ((int(code) + 1) % 1_000_000)
            for _ in range(6):
                async with agent(server, address=address) as alice:
                    await alice.send("join", code=code, name=" ")
                    await alice.expect_error("bad_name")
                    await join(alice, code)
                    await alice.send("leave")
            async with agent(server, address=address) as alice:
                for _ in range(5):
                    await alice.send("join", code=wrong, name="Alice")
                    await alice.expect_error("no_session")
                await alice.send("join", code=wrong, name="Alice")
                await alice.expect_error("rate_limited")

    run(steps())


def test_a_frame_over_the_largest_view_closes_only_its_own_connection(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, visitor(server) as greedy, agent(server) as hungry:
            await start(greedy)
            for peer in (greedy, hungry):
                with contextlib.suppress(ConnectionClosed):
                    await peer.send_raw("x" * ((4 << 20) + (64 << 10) + 1))
                assert await peer.closed() == 1009
            # The other session did not notice.
            await customer.send("view", events=["still here"])
            assert await alice.expect("view") == {"type": "view", "events": ["still here"]}
            await quiet(customer)

    run(steps())


