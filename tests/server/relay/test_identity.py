"""Agents who are somebody, in process on both engines: an agent signed in with a token joins as
its ``sub`` with its ``name`` and ``role``, within its ``sites`` only (another site's session is
refused exactly like an unknown code, and counted by the guessing limit), and the same ``sub``
joining again takes its own place over without a second ``agent_joined``; a supervisor who joins
is announced like any agent."""

from cobrowse.core.constants import CLOSE_REPLACED
from cobrowse.server.backends.records import agent_of
from cobrowse.server.tokens import Identity
from support.relay import run_relays
from support.wire import NO_SESSION, agent, join, quiet, start, visitor

ALICE = Identity("alice-7", "Alice Agent", "agent", None, 2e9)
SHOP_ONLY = Identity("sam", "Sam", "agent", ("shop",), 2e9)
SUE = Identity("sue", "Sue Supervisor", "supervisor", None, 2e9)


def test_a_signed_in_agent_joins_as_its_sub_with_its_name_and_role(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server, identity=ALICE) as alice:
            started = await start(customer)
            joined = await join(alice, started["accessCode"], name="Whatever I type")
            assert (joined["id"], joined["name"]) == ("alice-7", "Alice Agent")
            assert await customer.expect("agent_joined") == {"type": "agent_joined", "id": "alice-7",
                                                             "name": "Alice Agent"}
            assert joined["session"]["agents"] == [{"id": "alice-7", "name": "Alice Agent"}]
            record = agent_of(await server.relay.store.get(started["accessCode"]), "alice-7")
            assert (record["name"], record["role"]) == ("Alice Agent", "agent")

    run_relay(steps)


def test_agents_on_the_shared_key_get_a_fresh_id_the_name_typed_and_the_agent_role(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server) as one, agent(server) as two:
            code = (await start(customer))["accessCode"]
            first, second = await join(one, code, "Bob"), await join(two, code, "Bob")
            assert first["id"] != second["id"] and first["name"] == second["name"] == "Bob"
            assert agent_of(await server.relay.store.get(code), first["id"])["role"] == "agent"

    run_relay(steps)


def test_another_sites_session_is_refused_like_an_unknown_code_and_counted(run_relay):
    guesser = "127.210.0.1"

    async def steps(server):
        async with visitor(server) as shop, visitor(server) as bank:
            in_shop = await start(shop, site="shop")
            in_bank = await start(bank, site="bank", SID="bank-case")
            async with agent(server, address=guesser, identity=SHOP_ONLY) as sam:
                for code in (in_bank["accessCode"], "bank-case"):
                    await sam.send("join", code=code, name="")
                    assert (await sam.expect_error("no_session"))["message"] == NO_SESSION
                joined = await join(sam, in_shop["accessCode"], name="")
                assert joined["id"] == "sam"
            # The refusals counted toward the guessing limit: three more and the next waits.
            async with agent(server, address=guesser, identity=SHOP_ONLY) as again:
                for _ in range(3):
                    await again.send("join", code=in_bank["accessCode"], name="")
                    await again.expect_error("no_session")
                await again.send("join", code=in_shop["accessCode"], name="")
                await again.expect_error("rate_limited")
            assert (await shop.expect("agent_joined"))["id"] == "sam"
            # The bank's visitor never heard of Sam.
            await quiet(bank)

    run_relay(steps)


def test_the_same_sub_joining_again_takes_over_and_nobody_hears_a_second_agent_connected(run_relay):
    async def steps(server):
        async with visitor(server) as customer, agent(server, identity=ALICE) as first_tab, \
                agent(server, identity=SUE) as sue:
            code = (await start(customer))["accessCode"]
            first = await join(first_tab, code)
            await customer.expect("agent_joined")
            await join(sue, code)
            # A supervisor is announced like any agent: nobody watches a visitor unseen.
            assert (await customer.expect("agent_joined"))["name"] == "Sue Supervisor"
            assert agent_of(await server.relay.store.get(code), "sue")["role"] == "supervisor"
            async with agent(server, identity=ALICE) as second_tab:
                second = await join(second_tab, code)
                assert second["id"] == first["id"] == "alice-7"
                assert second["token"] != first["token"]
                assert await first_tab.closed() == CLOSE_REPLACED
                assert [a["id"] for a in second["session"]["agents"]] == ["alice-7", "sue"]
                # The visitor heard nothing: no second AgentConnected, no AgentDisconnected.
                await quiet(customer)
                session = await server.relay.store.get(code)
                assert [a["id"] for a in session["agents"]] == ["alice-7", "sue"]
                assert agent_of(session, "alice-7")["conn"] == {"conn": second_tab.conn.id}
                # The old tab's rejoin token no longer works; the new tab goes on.
                async with agent(server, identity=ALICE) as stale:
                    await stale.send("rejoin", token=first["token"])
                    await stale.expect_error("no_session")
                await second_tab.send("ping")
                await second_tab.expect("pong")

    run_relay(steps)


def test_a_sub_that_left_joins_afresh_and_is_announced_again(run_relay):
    async def steps(server):
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            async with agent(server, identity=ALICE) as alice:
                await join(alice, code)
                await customer.expect("agent_joined")
                await alice.send("leave")
                await customer.expect("agent_left")
            async with agent(server, identity=ALICE) as alice:
                await join(alice, code)
                assert (await customer.expect("agent_joined"))["id"] == "alice-7"

    run_relay(steps)


def test_the_same_sub_takes_over_across_processes(redis_url):
    async def steps(one, two):
        async with visitor(one) as customer, agent(one, identity=ALICE) as first_tab, \
                agent(two, identity=ALICE) as second_tab:
            code = (await start(customer))["accessCode"]
            await join(first_tab, code)
            await customer.expect("agent_joined")
            await join(second_tab, code)
            assert await first_tab.closed() == CLOSE_REPLACED
            await quiet(customer)
            assert [a["id"] for a in (await two.relay.store.get(code))["agents"]] == ["alice-7"]

    run_relays(steps, 2, redis_url)
