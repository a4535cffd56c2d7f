"""The session server over real sockets: a real ``python -m cobrowse serve`` and real
``websockets`` clients, for what only sockets prove. Every move of the protocol is tested in
process, at the core's speed, in ``tests/server/relay/``; here are a whole session on the wire,
the frames the socket layer refuses (binary frames, a frame over the largest view, a text over
64 KiB), close codes reaching the client, a dropped TCP connection, the idle close of a server
started with a short ``--idle-timeout`` and an agent that stops reading. SIGTERM's drain is
``test_scale.py``'s.

Each test runs its coroutine with ``run_async``. Every message the server sends is checked
with ``protocol.decode``, so a reply that breaks the protocol fails the test that received it.
The ``server`` fixture, and ``own_server`` for servers started with options of their own, fail
the run if the server logged a traceback. Every test that uses them runs twice: against the
in-memory engine, and against the Redis engine (``--redis``, with a redis-server of the tests'
own).

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
from support.wire import (ADDRESSES, SITE, SNAPSHOT, TIMEOUT, TOKEN, agent, assert_dead, drop, join, next_view_text,
                          quiet, resume, session_with_agent, start, until_state, view, visitor)


def test_a_whole_session_over_real_sockets(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            await quiet(customer)
            await quiet(alice)
            started = await start(customer, url="http://shop.test/")
            code = started["accessCode"]
            assert re.fullmatch(r"\d{6}", code) and TOKEN.fullmatch(started["token"])
            joined = await join(alice, code, "Alice")
            assert joined["session"]["accessCode"] == code and joined["session"]["state"] == "ACTIVE:ACTIVE"
            assert await customer.expect("agent_joined") == {"type": "agent_joined", "id": joined["id"], "name": "Alice"}
            await join(bob, code, "Bob")
            assert (await customer.expect("agent_joined"))["name"] == "Bob"
            # A view reaches every agent as the text that came, and is not echoed.
            await customer.send_raw(SNAPSHOT)
            for peer in (alice, bob):
                assert await next_view_text(peer) == SNAPSHOT
            await customer.send("page", url="http://shop.test/cart", title="Cart")
            assert (await until_state(bob, "ACTIVE:ACTIVE"))["url"] in ("http://shop.test/", "http://shop.test/cart")
            await quiet(customer)
            await quiet(alice)
            # A leave closes the agent's socket normally; an end closes everybody's.
            await alice.send("leave")
            assert await customer.expect("agent_left") == {"type": "agent_left", "id": joined["id"], "name": "Alice"}
            assert await alice.closed() == 1000
            await bob.send("end")
            for peer in (customer, bob):
                assert await peer.expect("ended") == {"type": "ended", "reason": "AGENT_INITIATED"}
                assert await peer.closed() == 1000
            await assert_dead(server, code)

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


def test_a_text_over_64_kib_is_refused_and_the_socket_goes_on(server):
    # The frame is within the socket's limit: the relay refuses the message, not the socket.
    too_long = "x" * (protocol.MAX_MESSAGE_CHARS + 1)

    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            await customer.send_raw(json.dumps({"v": 1, "type": "page", "url": too_long}))
            await customer.expect_error("too_large")
            code = (await start(customer))["accessCode"]
            await alice.send_raw(json.dumps({"v": 1, "type": "join", "code": code, "name": too_long}))
            await alice.expect_error("too_large")
            joined = await join(alice, code)
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]

    run(steps())


@pytest.mark.parametrize("how", ["close", "drop"])
def test_a_lost_socket_is_noticed_and_its_visitor_resumes(server, how):
    # ``drop`` aborts the TCP connection without a closing handshake, as a killed tab does.
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await drop(customer, how)
            view = await until_state(alice, "RECONNECTING")
            assert view["visitorConnected"] is False
            again, reply = await resume(server, started["token"])
            async with again.stack:
                assert reply["type"] == "resumed" and reply["accessCode"] == started["accessCode"]
                assert (await until_state(alice, "ACTIVE:ACTIVE"))["visitorConnected"] is True

    run(steps())


# A server of its own with a short idle timeout (2 s; a socket silent for 1 s may be taken
# over): its sweep runs on the real clock, and the close codes reach real clients.

IDLE = ("--idle-timeout", "2", "--network-timeout", "3")


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
            # The customer's start is the last frame it sends: its silence counts from there.
            silent = time.monotonic()
            started = await start(customer)
            await start(lively)
            joined = await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            beats = [asyncio.create_task(heartbeat(alice)), asyncio.create_task(heartbeat(lively))]
            try:
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


# An agent that stops reading: TCP fills up, the relay's queue with it.


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
