"""Agent tokens on real server processes, as a deployment runs them: ``serve --agent-jwt-secret``
without ``--agent-key`` (the shared key is off), a token's agent joining over a real socket, and a
supervisor's ``/api/sessions`` and join, on the memory engine and on Redis with two processes."""

import json
import secrets

import pytest

from support.processes import ServerProcess
from support.tokens import SECRET, agent_token
from support.wire import agent, cluster, http_get, join, start, visitor
from support.loop import run_async as run

# A site of these tests' own: sessions other tests left in the same Redis are not listed.
SHOP = "shop-" + secrets.token_hex(4)
SUPERVISOR = agent_token("sue", "Sue Supervisor", role="supervisor", sites=[SHOP])


@pytest.fixture(scope="module")
def token_server(backend):
    running = ServerProcess("--agent-jwt-secret", SECRET, *backend, agent_key=None)
    yield running
    running.stop()
    assert not [line for line in running.output if "Traceback" in line], "".join(running.output)


def sessions_of(server, token=None):
    headers = {"Authorization": "Bearer " + token} if token else {}
    status, _, body = http_get(server, "/api/sessions", headers)
    return status, json.loads(body)


def test_with_only_a_token_key_the_shared_key_is_off(token_server):
    assert any("/agent#token=JWT" in line for line in token_server.output)
    for query in ("?key=test-agent-key", "?key="):
        assert http_get(token_server, "/agent" + query)[0] == 401
    status, _, body = http_get(token_server, "/agent")
    assert status == 200 and b'id="sign-in"' in body

    async def steps():
        async with agent(token_server, "?key=test-agent-key") as intruder:
            await intruder.expect_error("unauthorized")
            assert await intruder.closed() == 4401

    run(steps())


def test_a_tokens_agent_joins_within_its_sites_and_a_supervisor_lists_and_joins(token_server):
    async def steps():
        async with visitor(token_server) as shop, visitor(token_server) as bank:
            in_shop = await start(shop, site=SHOP)
            await start(bank, site="bank")
            async with agent(token_server, token=agent_token("sam", "Sam", sites=["bank"])) as sam:
                await sam.send("join", code=in_shop["accessCode"], name="")
                await sam.expect_error("no_session")
            assert sessions_of(token_server)[0] == 403
            assert sessions_of(token_server, agent_token())[0] == 403
            status, listed = sessions_of(token_server, SUPERVISOR)
            assert status == 200
            assert [(s["accessCode"], s["siteCode"], s["agents"]) for s in listed] == [(in_shop["accessCode"], SHOP, [])]
            async with agent(token_server, token=SUPERVISOR) as sue:
                joined = await join(sue, listed[0]["accessCode"], name="")
                assert (joined["id"], joined["name"]) == ("sue", "Sue Supervisor")
                assert (await shop.expect("agent_joined"))["name"] == "Sue Supervisor"
                assert sessions_of(token_server, SUPERVISOR)[1][0]["agents"] == [{"id": "sue", "name": "Sue Supervisor"}]

    run(steps())


def test_a_supervisor_on_one_process_sees_and_joins_a_session_of_another(redis):
    with cluster(redis, 2, "--agent-jwt-secret", SECRET) as (one, two):
        async def steps():
            async with visitor(one) as customer:
                started = await start(customer, site=SHOP)
                status, listed = sessions_of(two, SUPERVISOR)
                assert status == 200 and started["accessCode"] in [s["accessCode"] for s in listed]
                async with agent(two, token=SUPERVISOR) as sue:
                    await join(sue, started["accessCode"])
                    assert (await customer.expect("agent_joined"))["id"] == "sue"

        run(steps())
