"""Many server processes, one set of sessions: real ``serve --redis`` processes sharing one
redis-server of the tests' own, killed, drained and cut off from Redis on purpose.

Clients come back the way the widget and the console do: on a lost connection they reconnect
(to any live process, as a load balancer would send them) and resume or rejoin with their token,
retrying an ``in_use`` answer with the widget's backoff until the network timeout is over.
"""

import asyncio
import contextlib
import signal
import subprocess
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cobrowse.core import protocol
from cobrowse.core.session import reconnect_delay
from support.processes import NginxProcess, RedisProcess
from support.loop import run_async as run
from support.wire import (SNAPSHOT, TIMEOUT, agent, assert_dead, cluster, deploy_config, health, holder_of, join,
                          next_view_text, quiet, start, view, visitor)

# Short timeouts, so that the tests wait seconds rather than minutes.
QUICK = ("--network-timeout", "6")


@pytest.fixture
def own_redis():
    """A redis-server for one test, which it may kill and restart."""
    running = RedisProcess()
    yield running
    running.stop()


async def come_back(servers, role, token, deadline=30):
    """Reconnect to the first live process that takes the session back, as a client does:
    ``(peer, stack, reply)``; ``in_use`` and refused connections are retried with backoff."""
    give_up = time.monotonic() + deadline
    attempt = 0
    while True:
        for server in servers:
            if server.process.poll() is not None:
                continue
            stack = contextlib.AsyncExitStack()
            try:
                peer = await stack.enter_async_context(visitor(server) if role == "visitor" else agent(server))
                await peer.send("resume" if role == "visitor" else "rejoin", token=token)
                reply = await peer.receive()
                while reply["type"] == "session":
                    reply = await peer.receive()
                if reply["type"] in ("resumed", "joined"):
                    return peer, stack, reply
                assert reply == {"type": "error", "code": "in_use", "message": reply["message"]}, reply
            except (OSError, ConnectionClosed):
                pass
            await stack.aclose()
        assert time.monotonic() < give_up, "could not come back within %d s" % deadline
        await asyncio.sleep(reconnect_delay(attempt, 0.5))
        attempt += 1


def exit_status(server, seconds):
    """The status the server process ended with, waited for up to ``seconds``; None if it runs."""
    try:
        return server.process.wait(seconds)
    except subprocess.TimeoutExpired:
        return None


async def wait_for(condition, seconds=15):
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, "gave up waiting"
        await asyncio.sleep(0.1)


async def session_between(customer, alice):
    """Start a session on ``customer`` and join it from ``alice``; return the `started` message."""
    started = await start(customer)
    await join(alice, started["accessCode"])
    await customer.expect("agent_joined")
    return started


async def expect_session(peer, **wanted):
    """Read `session` broadcasts until one has every field of ``wanted``."""
    while True:
        session = (await peer.expect("session"))["session"]
        if all(session[name] == value for name, value in wanted.items()):
            return session


# Sharing sessions.


def test_a_visitor_and_agents_on_different_processes_share_one_session(redis):
    with cluster(redis, 3) as (one, two, three):
        async def steps():
            async with visitor(one) as customer, agent(two) as alice, agent(three) as bob:
                started = await start(customer, SID="crm-1")
                code = started["accessCode"]
                await join(alice, code, "Alice")
                assert (await customer.expect("agent_joined"))["name"] == "Alice"
                joined = await join(bob, "crm-1", "Bob")
                assert [a["name"] for a in joined["session"]["agents"]] == ["Alice", "Bob"]
                assert (await customer.expect("agent_joined"))["name"] == "Bob"
                # The view, and the page, reach agents on the other processes.
                await customer.send_raw(SNAPSHOT)
                assert await next_view_text(alice) == SNAPSHOT
                assert await next_view_text(bob) == SNAPSHOT
                await customer.send("page", url="http://shop.test/cart", title="Cart")
                for peer in (alice, bob):
                    await expect_session(peer, url="http://shop.test/cart", title="Cart")
                # Leaving and ending travel too; then the code is dead on every process.
                await bob.send("leave")
                assert (await customer.expect("agent_left"))["name"] == "Bob"
                await alice.send("end")
                assert (await customer.expect("ended"))["reason"] == "AGENT_INITIATED"
                assert (await alice.expect("ended"))["reason"] == "AGENT_INITIATED"
                for server in (one, two, three):
                    await assert_dead(server, code)

        run(steps())


def test_access_codes_are_unique_and_the_join_limit_is_shared_across_processes(redis):
    with cluster(redis, 3) as servers:
        async def steps():
            async with contextlib.AsyncExitStack() as stack:
                codes = []
                for index in range(60):
                    customer = await stack.enter_async_context(visitor(servers[index % 3]))
                    codes.append((await start(customer))["accessCode"])
                assert len(set(codes)) == 60
            # Five failed joins from one address, spread over the processes; the sixth waits.
            for index in range(5):
                async with agent(servers[index % 3], address="127.77.0.1") as guesser:
                    await guesser.send("join", code="999999", name="Guesser")
                    await guesser.expect_error("no_session")
            async with agent(servers[2], address="127.77.0.1") as guesser:
                await guesser.send("join", code="999999", name="Guesser")
                error = await guesser.expect_error("rate_limited")
                assert 1 <= error["retryAfter"] <= 60

        run(steps())


def test_a_late_agent_on_another_process_catches_up_five_megabytes_of_view(redis):
    padding = "x" * (protocol.MAX_VIEW_CHARS - 1024 * 1024)
    big_snapshot = view({"type": 4, "data": {}}, {"type": 2, "data": {"pad": padding}})
    changes = [view({"type": 3, "data": {"n": n, "pad": "y" * 200_000}}) for n in range(8)]

    with cluster(redis, 2) as (one, two):
        async def steps():
            async with visitor(one) as customer, agent(one) as alice, agent(two) as late:
                started = await start(customer)
                await join(alice, started["accessCode"], "Alice")
                await customer.expect("agent_joined")
                for text in [big_snapshot] + changes:
                    await customer.send_raw(text)
                    assert await next_view_text(alice) == text
                assert len(big_snapshot) + sum(map(len, changes)) > 4_500_000
                await join(late, started["accessCode"], "Late")
                # All of it, in order, read from Redis in batches; nothing asked of the visitor.
                for text in [big_snapshot] + changes:
                    assert await next_view_text(late) == text
                await customer.expect("agent_joined")
                await quiet(customer)
                await quiet(late)

        run(steps())


def test_a_33_mb_message_is_refused_and_nothing_else_notices(redis):
    with cluster(redis, 2) as (one, two):
        async def steps():
            async with visitor(one) as customer, agent(two) as alice:
                started = await session_between(customer, alice)
                async with connect(one.ws + "/ws/visitor", max_size=None, open_timeout=TIMEOUT) as attacker:
                    await attacker.send(protocol.encode("start", siteCode="X"))
                    await attacker.recv()
                    with contextlib.suppress(ConnectionClosed):
                        await attacker.send('{"v":1,"type":"view","events":["%s"]}' % ("z" * (33 << 20)))
                        await asyncio.wait_for(attacker.recv(), TIMEOUT)
                    await asyncio.wait_for(attacker.wait_closed(), TIMEOUT)
                    assert attacker.close_code == 1009
                await customer.send_raw(SNAPSHOT)
                assert await next_view_text(alice) == SNAPSHOT
                assert health(one)[0] == health(two)[0] == 200

        run(steps())
        assert one.process.poll() is None and two.process.poll() is None


# Processes dying.


def test_a_killed_process_costs_no_session(redis):
    with cluster(redis, 3, *QUICK) as (one, two, three):
        async def steps():
            async with contextlib.AsyncExitStack() as stack:
                customer = await stack.enter_async_context(visitor(one))
                alice = await stack.enter_async_context(agent(one))
                bob = await stack.enter_async_context(agent(two))
                started = await start(customer)
                code = started["accessCode"]
                alice_joined = await join(alice, code, "Alice")
                await join(bob, code, "Bob")
                await customer.send_raw(SNAPSHOT)
                for peer in (alice, bob):
                    assert await next_view_text(peer) == SNAPSHOT

                one.kill()
                # The visitor and Alice were on the dead process: they come back elsewhere.
                customer, customer_stack, resumed = await come_back([two, three], "visitor", started["token"])
                stack.push_async_callback(customer_stack.aclose)
                assert resumed["accessCode"] == code
                assert [a["name"] for a in resumed["agents"]] == ["Alice", "Bob"]
                alice, alice_stack, rejoined = await come_back([three, two], "agent", alice_joined["token"])
                stack.push_async_callback(alice_stack.aclose)
                assert rejoined["id"] == alice_joined["id"]
                # Alice's view comes back from the log; then the view simply goes on.
                assert await next_view_text(alice) == SNAPSHOT
                change = view({"type": 3, "data": {"after": "the crash"}})
                await customer.send_raw(change)
                for peer in (alice, bob):
                    assert await next_view_text(peer) == change
                # Nobody was told the session ended, and the visitor heard of no new agent.
                await quiet(customer)
                await quiet(bob)
                await quiet(alice)

        run(steps())


@pytest.mark.slow
def test_a_dead_process_is_noticed_and_its_visitor_who_never_returns_times_out(redis):
    with cluster(redis, 2, *QUICK) as (one, two):
        async def steps():
            async with visitor(one) as customer, agent(two) as alice:
                started = await session_between(customer, alice)
                one.kill()
                killed = time.monotonic()
                # The heartbeat runs out (4 s), then the network timeout (6 s) from there.
                await expect_session(alice, visitorConnected=False)
                noticed = time.monotonic() - killed
                ended = await alice.expect("ended")
                assert ended["reason"] == "NETWORK_TIMEOUT"
                assert noticed <= 10, noticed
                assert 6 <= time.monotonic() - killed <= 10 + 6 + 2

        run(steps())


@pytest.mark.slow
def test_a_timer_whose_process_died_fires_on_another(redis):
    with cluster(redis, 2, *QUICK) as (one, two):
        async def steps():
            async with agent(two) as alice:
                async with visitor(one) as customer:
                    started = await session_between(customer, alice)
                # The visitor's page closed: process one set the network timer, then died.
                await expect_session(alice, visitorConnected=False)
                dropped = time.monotonic()
                one.kill()
                ended = await alice.expect("ended")
                assert ended["reason"] == "NETWORK_TIMEOUT"
                assert time.monotonic() - dropped <= 6 + 2

        run(steps())


def test_sigterm_drains_and_clients_reconnect_at_once(redis):
    with cluster(redis, 2, *QUICK) as (one, two):
        async def steps():
            async with contextlib.AsyncExitStack() as stack:
                customer = await stack.enter_async_context(visitor(one))
                alice = await stack.enter_async_context(agent(two))
                started = await session_between(customer, alice)
                one.process.send_signal(signal.SIGTERM)
                assert await customer.closed() == 1012
                # Handed on before the close: the resume is taken at once, no in_use, no wait.
                drained = time.monotonic()
                async with visitor(two) as back:
                    await back.send("resume", token=started["token"])
                    resumed = await back.expect("resumed")
                    assert resumed["accessCode"] == started["accessCode"]
                    assert time.monotonic() - drained < 2
                    await back.send_raw(SNAPSHOT)
                    assert await next_view_text(alice) == SNAPSHOT

        run(steps())
        # Waited for outside the event loop, and for long enough on a loaded machine: the drain
        # is over once the process ends on its own, with status 0.
        assert exit_status(one, 60) == 0, "".join(one.output)


# Redis going away.


def test_redis_going_away_kills_no_process_and_a_lost_session_ends_clearly(own_redis):
    with cluster(own_redis, 2, *QUICK) as (one, two):
        async def steps():
            async with visitor(one) as customer, agent(two) as alice:
                started = await session_between(customer, alice)
                await quiet(alice)  # The join is over: alice's next frame was answered.
                assert health(one) == (200, {"status": "ok", "process": health(one)[1]["process"]})

                own_redis.kill()
                await wait_for(lambda: health(one)[0] == 503 and health(two)[0] == 503)
                assert "Redis" in health(one)[1]["reason"]
                # The sockets stay open; what needs Redis is refused with a clear error.
                await quiet(customer)
                await quiet(alice)
                for _ in range(3):
                    await customer.send("page", url="http://shop.test/during")
                    await customer.expect_error("unavailable")
                    await customer.send_raw(view({"type": 3, "data": {}}))

                own_redis.start()  # Empty: the session's data did not survive.
                await wait_for(lambda: health(one)[0] == 200 and health(two)[0] == 200)
                assert (await customer.expect("ended"))["reason"] == "SESSION_LOST"
                assert (await alice.expect("ended"))["reason"] == "SESSION_LOST"
            # New sessions work at once.
            async with visitor(two) as customer, agent(one) as alice:
                started = await session_between(customer, alice)

        run(steps())
        for server in (one, two):
            outages = [line for line in server.output if "Redis is unreachable" in line]
            assert len(outages) == 1, server.output


@pytest.mark.slow
def test_a_redis_outage_that_kept_the_data_lets_live_sessions_go_on(own_redis):
    with cluster(own_redis, 2, *QUICK) as (one, two):
        async def steps():
            async with visitor(one) as customer, agent(two) as alice:
                started = await session_between(customer, alice)
                await customer.send_raw(SNAPSHOT)
                assert await next_view_text(alice) == SNAPSHOT
                # Redis stops answering (a hung host, a long pause), then comes back as it was.
                own_redis.process.send_signal(signal.SIGSTOP)
                try:
                    await wait_for(lambda: health(one)[0] == 503 and health(two)[0] == 503, 30)
                    await quiet(customer)
                    await quiet(alice)
                finally:
                    own_redis.process.send_signal(signal.SIGCONT)
                await wait_for(lambda: health(one)[0] == 200 and health(two)[0] == 200, 30)
                change = view({"type": 3, "data": {"after": "the outage"}})
                await customer.send_raw(change)
                assert await next_view_text(alice) == change
                await customer.send("page", url="http://shop.test/after")
                session = await expect_session(alice, url="http://shop.test/after")
                assert session["accessCode"] == started["accessCode"] and session["visitorConnected"]

        run(steps())


@pytest.mark.slow
def test_a_visitor_lost_during_an_outage_who_never_returns_times_out_once_redis_is_back(own_redis):
    with cluster(own_redis, 2, *QUICK) as (one, two):
        async def steps():
            async with agent(two) as alice:
                async with visitor(one) as customer:
                    await session_between(customer, alice)
                    await quiet(alice)  # The join is over: alice's next frame was answered.
                    own_redis.process.send_signal(signal.SIGSTOP)
                try:
                    # The visitor's page closed while its process could not tell Redis.
                    await wait_for(lambda: health(one)[0] == 503, 30)
                    await asyncio.sleep(1)
                finally:
                    own_redis.process.send_signal(signal.SIGCONT)
                back = time.monotonic()
                await expect_session(alice, visitorConnected=False)
                assert (await alice.expect("ended"))["reason"] == "NETWORK_TIMEOUT"
                assert 6 <= time.monotonic() - back <= 6 + 4

        run(steps())


# nginx in front, with the configuration of docs/deploy.md.


def test_behind_nginx_a_killed_process_costs_no_session(redis, tmp_path):
    with cluster(redis, 2, *QUICK) as servers:
        proxy = NginxProcess(deploy_config(servers), tmp_path)
        try:
            async def steps():
                assert health(proxy)[0] == 200
                async with contextlib.AsyncExitStack() as stack:
                    customer = await stack.enter_async_context(visitor(proxy))
                    alice = await stack.enter_async_context(agent(proxy))
                    started = await start(customer)
                    joined = await join(alice, started["accessCode"])
                    await customer.expect("agent_joined")
                    await customer.send_raw(SNAPSHOT)
                    assert await next_view_text(alice) == SNAPSHOT
                    # Kill whichever process holds the visitor; it comes back through nginx, and
                    # so does the agent if it was there too.
                    holder = await holder_of(servers, started["accessCode"], "visitor")
                    alice_too = holder is await holder_of(servers, started["accessCode"], joined["id"])
                    holder.kill()
                    killed = time.monotonic()
                    await customer.closed()
                    customer, customer_stack, resumed = await come_back([proxy], "visitor", started["token"])
                    stack.push_async_callback(customer_stack.aclose)
                    assert resumed["accessCode"] == started["accessCode"]
                    if alice_too:
                        await alice.closed()
                        alice, alice_stack, rejoined = await come_back([proxy], "agent", joined["token"])
                        stack.push_async_callback(alice_stack.aclose)
                        assert await next_view_text(alice) == SNAPSHOT
                    change = view({"type": 3, "data": {"after": "failover"}})
                    await customer.send_raw(change)
                    assert await next_view_text(alice) == change
                    assert time.monotonic() - killed < 30

            run(steps())
        finally:
            proxy.stop()


def test_a_bad_redis_url_is_refused_at_start():
    from cobrowse.server.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--redis", "http://nope"])


def test_health_is_ok_in_memory(server):
    status, body = health(server)
    assert status == 200 and body["status"] == "ok"
