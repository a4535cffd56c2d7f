"""Remote control through the server: consent first, one controller, actions only from it."""

from cobrowse.core import protocol
from support.loop import run_async as run
from support.wire import agent, cluster, join, quiet, resume, session_with_agent, start, until_state, visitor

CLICK = {"kind": "click", "id": 5, "x": 10, "y": 20}


async def asked(customer, alice, joined):
    """Alice asks for control; the visitor hears it and agents see ACTIVE:ESCALATING."""
    await alice.send("request_control")
    request = await customer.expect("control_request")
    assert request == {"type": "control_request", "id": joined["id"], "name": "Alice"}
    view = await until_state(alice, "ACTIVE:ESCALATING")
    assert view["control"] == {"agent": joined["id"], "name": "Alice", "state": "asking"}


async def granted(customer, alice, joined):
    await asked(customer, alice, joined)
    await customer.send("control_grant", id=joined["id"])
    view = await until_state(alice, "ACTIVE:ESCALATED")
    assert view["control"]["state"] == "granted"


def test_actions_reach_the_visitor_only_after_consent_and_until_revoked(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await alice.send("act", action=CLICK)
            notice = await alice.expect("control_notice")
            assert notice["code"] == "no_control"
            await asked(customer, alice, joined)
            await alice.send("act", action=CLICK)
            assert (await alice.expect("control_notice"))["code"] == "no_control"
            await customer.send("control_grant", id=joined["id"])
            await until_state(alice, "ACTIVE:ESCALATED")
            await alice.send("act", action=dict(CLICK, html="<b>dropped</b>"))
            assert await customer.expect("act") == {"type": "act", "id": joined["id"], "action": CLICK}
            # A malformed action is refused at the server and never reaches the visitor.
            await alice.send("act", action={"kind": "eval", "code": "alert(1)"})
            assert (await alice.expect("control_notice"))["code"] == "bad_action"
            # What the page refused is told to the agent.
            await customer.send("refused", id=joined["id"], message="Held off: the visitor is using the page")
            assert (await alice.expect("control_notice"))["message"] == "Held off: the visitor is using the page"
            await customer.send("control_end", id=joined["id"], reason="revoked")
            assert (await alice.expect("control_notice"))["code"] == "revoked"
            view = await until_state(alice, "ACTIVE:ACTIVE")
            assert "control" not in view
            await alice.send("act", action=CLICK)
            assert (await alice.expect("control_notice"))["code"] == "no_control"
            await quiet(customer)

    run(steps())


def test_one_controller_at_a_time_and_a_second_request_is_refused(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            bob = await stack.enter_async_context(agent(server))
            await join(bob, started["accessCode"], "Bob")
            await customer.expect("agent_joined")
            await granted(customer, alice, joined)
            await bob.send("request_control")
            notice = await bob.expect("control_notice")
            assert (notice["code"], notice["message"]) == ("control_busy", "Alice controls the page")
            await bob.send("act", action=CLICK)
            assert (await bob.expect("control_notice"))["code"] == "no_control"
            # A visitor's grant for an agent who did not ask changes nothing.
            await customer.send("control_grant", id="0f" * 16)
            await quiet(customer)
            await alice.send("release_control")
            assert await customer.expect("control_end") == {"type": "control_end", "id": joined["id"], "reason": "released"}
            await until_state(bob, "ACTIVE:ACTIVE")

    run(steps())


def test_a_denial_is_told_to_the_agent_and_a_leaving_agent_ends_its_control(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await asked(customer, alice, joined)
            await customer.send("control_end", id=joined["id"], reason="declined")
            notice = await alice.expect("control_notice")
            assert notice == {"type": "control_notice", "code": "declined",
                              "message": "The visitor declined your request for control."}
            await until_state(alice, "ACTIVE:ACTIVE")
            await granted(customer, alice, joined)
            await alice.send("leave")
            await customer.expect("agent_left")
            # The next agent finds nobody in control and may ask.
            async with agent(server) as bob:
                joined_bob = await join(bob, started["accessCode"], "Bob")
                assert "control" not in joined_bob["session"]

    run(steps())


def test_a_resumed_page_is_told_who_controls(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await granted(customer, alice, joined)
            await customer.socket.close()
            page, reply = await resume(server, started["token"], url="http://shop.test/next")
            async with page.stack:
                assert reply["type"] == "resumed"
                assert reply["control"] == {"agent": joined["id"], "name": "Alice", "state": "granted"}
                await alice.send("act", action=CLICK)
                assert (await page.expect("act"))["action"] == CLICK

    run(steps())


def test_control_messages_need_a_session(server):
    async def steps():
        async with agent(server) as stray:
            await stray.send("request_control")
            assert (await stray.expect("error"))["code"] == "out_of_order"

    run(steps())
    assert protocol.AGENT_TO_SERVER[-3:] == ("request_control", "release_control", "act")


def test_control_works_across_processes_sharing_redis(redis):
    """The visitor on one process, the agent on another: the record is in Redis, and notices for
    one agent (TO_AGENT) and actions for the visitor cross between the processes."""
    with cluster(redis, 2) as (one, two):
        async def steps():
            async with visitor(one) as customer, agent(two) as alice:
                started = await start(customer)
                joined = await join(alice, started["accessCode"])
                await customer.expect("agent_joined")
                await asked(customer, alice, joined)
                await customer.send("control_end", id=joined["id"], reason="declined")
                assert (await alice.expect("control_notice"))["code"] == "declined"
                await granted(customer, alice, joined)
                await alice.send("act", action=CLICK)
                assert (await customer.expect("act"))["action"] == CLICK
                await customer.send("refused", id=joined["id"], message="Held off: the visitor is using the page")
                assert (await alice.expect("control_notice"))["code"] == "refused"

        run(steps())
