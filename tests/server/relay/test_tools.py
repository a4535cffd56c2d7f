"""Agent tools through the relay, in process on both engines: pointing and drawing reach the
visitor (strokes every agent too) and never the view log; what the page allows and the visitor's
switch are enforced; a late joiner gets the current strokes; clear and a fresh page take them
away; an agent's pointer is held to TOOLS_PER_SECOND.
"""

from cobrowse.core.constants import AGENT_COLOURS, TOOLS_PER_SECOND
from support.wire import agent, join, quiet, session_with_agent

AT = {"id": 12, "x": 4, "y": 5.5}
STROKE = {"id": "s1", "node": 12, "points": [1, 2, 30, 40], "done": True}


async def until_usable(peer, usable):
    """The first `session` broadcast whose agents may use ``usable``."""
    peer.sessions.clear()
    while True:
        view = await peer.expect("session")
        if view["session"]["tools"]["usable"] == usable:
            return view["session"]


async def expect_draw(peer, joined, stroke, colour=AGENT_COLOURS[0]):
    heard = await peer.expect("draw")
    assert heard == {"type": "draw", "id": joined["id"], "name": joined["name"], "color": colour, "stroke": stroke}


def test_a_pointer_reaches_the_visitor_with_the_agent_s_name_and_colour(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await alice.send("point", at=dict(AT, ring=True))
            assert await customer.expect("point") == {"type": "point", "id": joined["id"], "name": "Alice",
                                                      "color": AGENT_COLOURS[0], "at": dict(AT, ring=True)}
            # Without ``at`` the pointer left the replay; a ring defaults to no ring.
            await alice.send("point")
            assert "at" not in await customer.expect("point")
            await alice.send("point", at=AT)
            assert (await customer.expect("point"))["at"] == dict(AT, ring=False)
            # Nothing of it is in the view log, nor told to the agent.
            await quiet(alice)
            await alice.send("point", at={"id": "body", "x": 1, "y": 2})
            await alice.expect_error("bad_tool")
            await quiet(customer)

    run_relay(steps)


def test_strokes_reach_the_visitor_and_every_agent_and_a_late_joiner_gets_them(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            bob = await stack.enter_async_context(agent(server))
            bob_joined = await join(bob, started["accessCode"], "Bob")
            await customer.expect("agent_joined")
            drawing = dict(STROKE, done=False)
            await alice.send("draw", stroke=drawing)
            await expect_draw(customer, joined, drawing)
            await expect_draw(bob, joined, drawing)
            await expect_draw(alice, joined, drawing)
            await bob.send("draw", stroke=dict(STROKE, id="s2"))
            await expect_draw(customer, bob_joined, dict(STROKE, id="s2"), AGENT_COLOURS[1])
            await alice.send("draw", stroke=STROKE)
            await expect_draw(customer, joined, STROKE)
            # Carol, late, gets the finished strokes as they are now (s1 once, finished).
            carol = await stack.enter_async_context(agent(server))
            await join(carol, started["accessCode"], "Carol")
            await expect_draw(carol, bob_joined, dict(STROKE, id="s2"), AGENT_COLOURS[1])
            await expect_draw(carol, joined, STROKE)
            await quiet(carol)

    run_relay(steps)


def test_clear_from_either_side_and_a_fresh_page_take_the_strokes_away(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await alice.send("draw", stroke=STROKE)
            await customer.expect("draw")
            await alice.expect("draw")
            await alice.send("clear")
            assert await customer.expect("cleared") == {"type": "cleared", "name": "Alice"}
            assert await alice.expect("cleared") == {"type": "cleared", "name": "Alice"}
            await alice.send("draw", stroke=STROKE)
            await customer.expect("draw")
            await alice.expect("draw")
            await customer.send("clear")
            assert await alice.expect("cleared") == {"type": "cleared", "name": "The visitor"}
            assert await customer.expect("cleared") == {"type": "cleared", "name": "The visitor"}
            await alice.send("draw", stroke=STROKE)
            await customer.expect("draw")
            await alice.expect("draw")
            # The next page of the site tells the server: its strokes are gone.
            await customer.send("tools", allowed=["point", "draw", "control"], on=True, fresh=True)
            assert await alice.expect("cleared") == {"type": "cleared", "name": "The visitor"}
            bob = await stack.enter_async_context(agent(server))
            await join(bob, started["accessCode"], "Bob")
            await quiet(bob)

    run_relay(steps)


def test_the_visitor_s_switch_and_the_page_s_tools_are_enforced(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send("tools", allowed=["point", "draw", "control"], on=False)
            view = await until_usable(alice, ["control"])
            assert view["tools"] == {"allowed": ["point", "draw", "control"], "on": False, "usable": ["control"]}
            await alice.send("point", at=AT)
            assert (await alice.expect_error("not_allowed"))["message"] == "The visitor turned pointing off"
            await alice.send("draw", stroke=STROKE)
            assert (await alice.expect_error("not_allowed"))["message"] == "The visitor turned drawing off"
            # A page without drawing nor control: pointing only (and unknown names are dropped).
            await customer.send("tools", allowed=["point", "laser"], on=True)
            await until_usable(alice, ["point"])
            await alice.send("draw", stroke=STROKE)
            assert (await alice.expect_error("not_allowed"))["message"] == "This site does not allow agents to draw"
            await alice.send("request_control")
            assert (await alice.expect_error("not_allowed"))["message"] == "This site does not allow remote control"
            await alice.send("point", at=AT)
            assert (await customer.expect("point"))["at"] == dict(AT, ring=False)
            await quiet(customer)

    run_relay(steps)


def test_an_agent_s_pointer_is_held_to_its_pace(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            # A second's worth of burst goes through; past it, moves are dropped until time passes.
            for index in range(TOOLS_PER_SECOND + 10):
                await alice.send("point", at=dict(AT, x=index))
            for index in range(TOOLS_PER_SECOND):
                assert (await customer.expect("point"))["at"]["x"] == index
            await quiet(customer)
            await server.advance(1)
            await alice.send("point", at=dict(AT, x=99))
            assert (await customer.expect("point"))["at"]["x"] == 99

    run_relay(steps)
