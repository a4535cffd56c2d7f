"""The view relay in process, on both engines: every view to every agent once, in order, as
the text that came; the log for agents who join late or come back; a new snapshot asked for
when the log cannot tell, or an agent could not keep up.
"""

import pytest

from cobrowse.core import protocol
from support.wire import (SNAPSHOT, agent, drop, join, next_view_text, quiet, rejoin, session_with_agent, start, view,
                          visitor)


def test_a_view_is_relayed_to_every_agent_and_not_echoed(run_relay):
    events = [{"type": 3, "data": {"source": 2, "x": 10.5, "text": "caf\u00e9 \u2603 <b>"}}, [1, [2, [3]]], None, True]

    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            await join(bob, started["accessCode"], "Bob")
            await customer.expect("agent_joined")
            await customer.send("view", events=events)
            for peer in (alice, bob):
                assert await peer.expect("view") == {"type": "view", "events": events}
            await quiet(customer)

    run_relay(steps)


def test_a_view_without_agents_goes_nowhere_and_before_start_is_out_of_order(run_relay):
    async def steps(server):
        async with visitor(server) as customer:
            await customer.send("view", events=[])
            await customer.expect_error("out_of_order")
            await start(customer)
            await customer.send("view", events=[{"type": 2}])
            await quiet(customer)

    run_relay(steps)


@pytest.mark.parametrize("events", ["[NaN]", "[1, Infinity]", "[-Infinity]"])
def test_a_view_that_is_not_json_is_refused(run_relay, events):
    # Python reads NaN and Infinity; browsers do not. A view is relayed as it came, so the
    # server must not let through what an agent's JSON.parse would choke on.
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send_raw('{"v": 1, "type": "view", "events": %s}' % events)
            await customer.expect_error("bad_json")
            await customer.send("view", events=[1])
            assert await alice.expect("view") == {"type": "view", "events": [1]}

    run_relay(steps)


def test_a_view_is_relayed_as_the_text_that_came(run_relay):
    # Not decoded and encoded again: spacing, key order and number spelling arrive unchanged.
    text = '{"v":1,"type":"view","events":[1E5, {"b": 1, "a": [2.50, "caf\\u00e9"]}, -0.0]}'

    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send_raw(text)
            assert await next_view_text(alice) == text

    run_relay(steps)


def test_a_late_joiner_gets_the_last_snapshot_and_the_changes_since_and_nobody_else_hears_of_it(run_relay):
    async def steps(server):
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

    run_relay(steps)


def test_a_new_snapshot_starts_the_log_afresh(run_relay):
    async def steps(server):
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

    run_relay(steps)


def test_an_agent_who_comes_back_gets_the_page_it_missed(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send_raw(SNAPSHOT)
            assert await next_view_text(alice) == SNAPSHOT
            await drop(alice)
            # Changes made while the agent was away are in the log it is sent when it rejoins.
            change = view({"type": 3, "data": {"while": "away"}})
            await customer.send_raw(change)
            await quiet(customer)  # The server has taken the change when the visitor's pong comes.
            async with agent(server) as back:
                await rejoin(back, joined["token"])
                assert await next_view_text(back) == SNAPSHOT
                assert await next_view_text(back) == change
                await quiet(customer)

    run_relay(steps)


def test_a_snapshot_sent_while_no_agent_is_in_the_session_is_not_kept(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as alice:
            started = await start(customer)
            await customer.send_raw(SNAPSHOT)
            await customer.send_raw(view({"type": 3, "data": {"n": 1}}))
            await quiet(customer)
            await join(alice, started["accessCode"])
            await customer.expect("agent_joined")
            await quiet(alice)

    run_relay(steps)


def test_no_log_is_kept_before_the_first_snapshot_nor_after_the_last_agent_leaves(run_relay):
    async def steps(server):
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

    run_relay(steps)


def test_a_log_past_its_limit_is_replaced_by_a_new_snapshot_when_an_agent_joins(run_relay):
    # Three views of nearly 4 MB each outgrow the 8 MB log.
    padding = "x" * (protocol.MAX_VIEW_CHARS - 200)
    big_snapshot = view({"type": 4, "data": {}}, {"type": 2, "data": {"pad": padding}})
    big_change = view({"type": 3, "data": {"pad": padding}})

    async def steps(server):
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

    run_relay(steps)


def test_an_agent_too_slow_for_the_view_is_sent_it_afresh_and_nothing_piles_up(run_relay):
    # An agent that reads nothing while the visitor sends 40 MB: past its 16 MiB queue, what
    # waits for it is dropped, and as the log outgrew its limit too, the visitor is asked for
    # a new snapshot, which the agent gets once it reads again.
    padding = "x" * (protocol.MAX_VIEW_CHARS - 200)
    big_snapshot = view({"type": 4, "data": {}}, {"type": 2, "data": {"pad": padding}})
    big_change = view({"type": 3, "data": {"pad": padding}})

    async def steps(server):
        async with visitor(server) as customer, agent(server) as slow:
            started = await start(customer)
            await slow.send("join", code=started["accessCode"], name="Slow")
            await customer.expect("agent_joined")
            slow.pause()
            for text in [big_snapshot] + [big_change] * 10:
                await customer.send_raw(text)
            assert await customer.expect("snapshot") == {"type": "snapshot"}
            # What waits for the agent is what it will get, well under what was sent.
            assert slow.conn.queued < 30 * 1024 * 1024
            await customer.send_raw(SNAPSHOT)
            slow.resume()
            texts = []
            while not texts or texts[-1] != SNAPSHOT:
                texts.append(await slow.receive_text())
            # Far fewer than the eleven big views sent: what waited was dropped.
            assert sum(len(text) for text in texts) < 30 * 1024 * 1024

    run_relay(steps)


def test_agents_may_not_send_views(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await alice.send_raw(protocol.encode("view", events=[1]))
            await alice.expect_error("bad_type")
            await quiet(customer)

    run_relay(steps)

