"""A view longer than one message, sent in ``view_part`` messages, on both engines: put back
together and relayed as one view; one past the log's limit refused once, with the visitor and
every agent (later ones too) told why; bad parts refused without losing the session.
"""

import json

from cobrowse.core import protocol
from cobrowse.server.backends.views import VIEW_LOG_CHARS
from support.wire import SNAPSHOT, agent, join, next_view_text, quiet, session_with_agent, view


def part(size, text):
    """A view_part as the widget sends it: compact, with v and type first (long ones must be)."""
    return json.dumps({"v": 1, "type": "view_part", "size": size, "text": text}, separators=(",", ":"))


def parts_of(text, size=protocol.VIEW_PART_CHARS):
    return [part(len(text), text[i:i + size]) for i in range(0, len(text), size)]


async def next_big_view(peer):
    """The next view ``peer`` receives, as the text that came: longer than one view message may be,
    so it is looked at, not decoded."""
    while True:
        text = await peer.receive_text()
        if text.startswith('{"v":1,"type":"view",'):
            return text
        assert protocol.decode(text, peer.accept)["type"] in ("session", "pong"), text[:200]


def big_snapshot(chars):
    return view({"type": 4, "data": {"href": "http://shop.test/"}},
                {"type": 2, "data": {"node": {"id": 1, "text": "caf\u00e9 \U0001f600 \"" + "x" * chars}}})


def refusal(message):
    return {"type": "view", "events": [{"type": 5, "timestamp": 0, "data": {
        "tag": protocol.REFUSED_VIEW_TAG, "payload": {"message": message}}}]}


def test_a_snapshot_in_parts_reaches_every_agent_whole_and_serves_a_late_joiner(run_relay):
    # Over the 4 MiB of one view message: the page of 50,000 elements that used to loop.
    text = big_snapshot(6 * 1024 * 1024)
    parts = parts_of(text)
    assert len(parts) > 8 and max(len(part) for part in parts) < protocol.MAX_VIEW_CHARS

    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            for part in parts:
                await customer.send_raw(part)
            assert await next_big_view(alice) == text
            await quiet(alice)
            await join(bob, started["accessCode"], "Bob")
            assert await next_big_view(bob) == text
            await customer.expect("agent_joined")
            await quiet(customer)
            # The changes after it travel as before.
            change = view({"type": 3, "data": {"n": 1}})
            await customer.send_raw(change)
            for peer in (alice, bob):
                assert await next_view_text(peer) == change

    run_relay(steps)


def test_a_short_view_may_come_in_parts_too(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            for part in parts_of(SNAPSHOT, size=7):
                await customer.send_raw(part)
            assert await next_view_text(alice) == SNAPSHOT
            await quiet(alice)
            await quiet(customer)

    run_relay(steps)


def test_a_page_past_the_budget_is_refused_once_and_every_agent_is_told_why(run_relay):
    text = big_snapshot(VIEW_LOG_CHARS + 1000)
    message = "The live view stopped: this page is too large to share: %.1f MB" % (len(text) / 1_000_000)

    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            for part in parts_of(text):
                await customer.send_raw(part)
            assert await customer.expect("view_refused") == {"type": "view_refused", "size": len(text), "message": message}
            assert await alice.expect("view") == refusal(message)
            # Told once: the rest of its parts are let go of without a word.
            await quiet(customer)
            await quiet(alice)
            # A later agent is told from the log, and the visitor is asked for nothing.
            await join(bob, started["accessCode"], "Bob")
            assert await bob.expect("view") == refusal(message)
            await customer.expect("agent_joined")
            await quiet(customer)
            # The session goes on: a page that fits (after a navigation, say) is shared again.
            await customer.send_raw(SNAPSHOT)
            for peer in (alice, bob):
                assert await next_view_text(peer) == SNAPSHOT

    run_relay(steps)


def test_parts_that_do_not_add_up_are_refused_and_the_session_goes_on(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send("view_part", size=5, text="{\"v\":1,")
            await customer.expect_error("bad_field")
            await customer.send("view_part", size=100, text="{\"v\":")
            await customer.send("view_part", size=50, text="1}")
            await customer.expect_error("bad_field")
            # Parts that add up to something that is not a view are refused as any message is.
            for part in parts_of('{"v":1,"type":"view","events":[NaN]}', size=10):
                await customer.send_raw(part)
            await customer.expect_error("bad_json")
            for part in parts_of('{"v":1,"type":"start","siteCode":"S"}', size=10):
                await customer.send_raw(part)
            await customer.expect_error("bad_type")
            await quiet(alice)
            await customer.send_raw(SNAPSHOT)
            assert await next_view_text(alice) == SNAPSHOT

    run_relay(steps)


def test_agents_may_not_send_view_parts(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await alice.send("view_part", size=5, text="12345")
            await alice.expect_error("bad_type")
            await quiet(customer)

    run_relay(steps)
