"""Remote control through the relay, in process on both engines: consent first, one
controller, actions only from it; across two relays sharing Redis; and two processes acting on
one session's control at the same moment.
"""

import asyncio

import pytest

from cobrowse.core import protocol
from cobrowse.server.relay import SERVER_TIMEOUT_SECONDS
from cobrowse.server.relay.control import ENDED
from support.relay import run_relays
from support.wire import agent, drop, join, quiet, resume, session_with_agent, start, until_state, visitor

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


def test_actions_reach_the_visitor_only_after_consent_and_until_revoked(run_relay):
    async def steps(server):
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

    run_relay(steps)


def test_one_controller_at_a_time_and_a_second_request_is_refused(run_relay):
    async def steps(server):
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

    run_relay(steps)


def test_a_denial_is_told_to_the_agent_and_a_leaving_agent_ends_its_control(run_relay):
    async def steps(server):
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

    run_relay(steps)


def test_a_resumed_page_is_told_who_controls(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await granted(customer, alice, joined)
            await drop(customer, "close")
            page, reply = await resume(server, started["token"], url="http://shop.test/next")
            async with page.stack:
                assert reply["type"] == "resumed"
                assert reply["control"] == {"agent": joined["id"], "name": "Alice", "state": "granted"}
                await alice.send("act", action=CLICK)
                assert (await page.expect("act"))["action"] == CLICK

    run_relay(steps)


def test_control_messages_need_a_session(run_relay):
    async def steps(server):
        async with agent(server) as stray:
            await stray.send("request_control")
            assert (await stray.expect("error"))["code"] == "out_of_order"

    run_relay(steps)
    assert protocol.AGENT_TO_SERVER[5:8] == ("request_control", "release_control", "act")


def test_control_works_across_processes_sharing_redis(redis_url):
    """The visitor on one process, the agent on another: the record is in Redis, and notices for
    one agent (TO_AGENT) and actions for the visitor cross between the processes."""
    async def steps(one, two):
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

    run_relays(steps, 2, redis_url)


def test_an_unanswered_request_ends_at_the_servers_timeout_and_a_granted_one_does_not(run_relay):
    async def steps(server):
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            asked_at = server.clock.now
            await asked(customer, alice, joined)
            await server.advance(SERVER_TIMEOUT_SECONDS - 1)
            await quiet(customer)
            await server.advance(1)
            assert await customer.expect("control_end") == {"type": "control_end", "id": joined["id"], "reason": "timeout"}
            assert customer.received_at == asked_at + SERVER_TIMEOUT_SECONDS
            notice = await alice.expect("control_notice")
            assert (notice["code"], notice["message"]) == ("timeout", ENDED["timeout"])
            assert "control" not in await until_state(alice, "ACTIVE:ACTIVE")
            # A grant stops the timer: control stays with the agent long after.
            await granted(customer, alice, joined)
            await server.advance(SERVER_TIMEOUT_SECONDS * 3)
            await quiet(customer)
            await alice.send("act", action=CLICK)
            assert (await customer.expect("act"))["action"] == CLICK

    run_relay(steps)


# Two processes at once. The control record is read, decided on and written in one atomic
# change of the store, so that of two processes acting on one session at the same moment, one
# acts on the record the other left.


@pytest.mark.parametrize("first", ["alice", "bob"])
def test_two_agents_asking_at_once_from_two_processes_one_is_asked_about_the_other_is_told_busy(redis_url, first):
    async def steps(one, two):
        async with visitor(one) as customer, agent(one) as alice, agent(two) as bob:
            code = (await start(customer))["accessCode"]
            agents = {"alice": await join(alice, code, "Alice"), "bob": await join(bob, code, "Bob")}
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            peers = {"alice": alice, "bob": bob}
            order = [first] + [name for name in peers if name != first]
            await asyncio.gather(*(peers[name].send("request_control") for name in order))
            # The visitor is asked once, about one of them: the other is told somebody asked.
            request = await customer.expect("control_request")
            await quiet(customer)
            winner = next(name for name in peers if agents[name]["id"] == request["id"])
            loser = next(name for name in peers if name != winner)
            notice = await peers[loser].expect("control_notice")
            assert notice["code"] == "control_busy", notice
            assert notice["message"] == "%s has already asked for control" % winner.capitalize()
            # Both processes read the same record, which names the agent the visitor was asked about.
            for relay in (one, two):
                session = await relay.relay.store.get(code)
                assert session["control"] == {"agent": request["id"], "name": winner.capitalize(), "state": "asking"}
            # And the consent goes on as if the requests had come one after the other.
            await customer.send("control_grant", id=request["id"])
            assert (await until_state(peers[loser], "ACTIVE:ESCALATED"))["control"]["agent"] == request["id"]
            await peers[loser].send("act", action=CLICK)
            assert (await peers[loser].expect("control_notice"))["code"] == "no_control"
            await peers[winner].send("act", action=CLICK)
            assert await customer.expect("act") == {"type": "act", "id": request["id"], "action": CLICK}

    run_relays(steps, 2, redis_url)


def test_a_release_and_a_new_request_at_once_from_two_processes_leave_one_record(redis_url):
    async def steps(one, two):
        async with visitor(one) as customer, agent(one) as alice, agent(two) as bob:
            code = (await start(customer))["accessCode"]
            first = await join(alice, code, "Alice")
            second = await join(bob, code, "Bob")
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            await granted(customer, alice, first)
            await asyncio.gather(alice.send("release_control"), bob.send("request_control"))
            assert await customer.expect("control_end") == {"type": "control_end", "id": first["id"], "reason": "released"}
            await customer.send("ping")
            heard = await customer.receive()
            session = await one.relay.store.get(code)
            # Bob asked just after Alice let go, and the visitor is asked about him; or while she
            # still held control, and he is told so. Either way the record says what was said.
            if heard["type"] == "control_request":
                assert heard == {"type": "control_request", "id": second["id"], "name": "Bob"}
                assert session["control"] == {"agent": second["id"], "name": "Bob", "state": "asking"}
                assert await customer.expect("pong") == {"type": "pong"}
            else:
                assert heard == {"type": "pong"}
                assert session["control"] is None
                assert (await bob.expect("control_notice"))["code"] == "control_busy"
            assert await two.relay.store.get(code) == session

    run_relays(steps, 2, redis_url)
