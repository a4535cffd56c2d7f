"""Who may use the server: the agent key, on the console's page and its socket, and the Origin
of the pages that open the sockets (``--allowed-origin``), over real sockets; and the client
address the join limit counts by."""

import contextlib

import pytest
from websockets.exceptions import ConnectionClosed

from cobrowse.server.gate import client_address
from support.loop import run_async as run
from support.wire import SITE, agent, http_get, join, start, visitor


# The agent key.


@pytest.mark.parametrize("query", ["?key=wrong", "?key=", "", "?key=test-agent-keyX", "?key=test-agent-ke"])
def test_agent_socket_with_wrong_key_is_closed_with_4401(server, query):
    async def steps():
        async with agent(server, query) as intruder:
            await intruder.expect_error("unauthorized")
            assert await intruder.closed() == 4401

    run(steps())


def test_agent_socket_with_wrong_key_cannot_join(server):
    async def steps():
        async with visitor(server) as customer, agent(server, "?key=wrong") as intruder:
            code = (await start(customer))["accessCode"]
            # The join may or may not be sent before the server closes; it must not be honoured.
            with contextlib.suppress(ConnectionClosed):
                await intruder.send("join", code=code, name="Mallory")
            await intruder.expect_error("unauthorized")
            assert await intruder.closed() == 4401
            # The visitor heard nothing: its next message is the answer to its own stop.
            await customer.send("stop", reason="USER_INITIATED")
            assert (await customer.expect("ended"))["reason"] == "USER_INITIATED"

    run(steps())


@pytest.mark.parametrize("query", ["?key=wrong", "?key=", "", "?key=test-agent-keyX"])
def test_agent_page_with_wrong_key_is_401(server, query):
    status, headers, body = http_get(server, "/agent" + query)
    assert status == 401
    assert headers["content-type"].startswith("text/html")
    assert b"401 Unauthorized" in body
    # The console itself is not handed out.
    assert b"join-form" not in body


def test_agent_page_with_right_key_trades_it_for_a_cookie_and_serves_the_form(server):
    # The key leaves the address bar: the first load sets the sign-in cookie and redirects.
    status, headers, body = http_get(server, "/agent?key=" + server.key)
    assert status == 303
    assert headers["location"] == "/agent"
    cookie = headers["set-cookie"]
    assert cookie.startswith("cobrowse_agent=") and server.key not in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    status, headers, body = http_get(server, "/agent", headers={"Cookie": cookie.split(";")[0]})
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b'<form id="join-form"' in body
    assert b'id="code"' in body and b'id="name"' in body


# WebSocket origins.

ORIGINS = ("--allowed-origin", "https://shop.example", "--allowed-origin", "HTTP://Localhost:8123/")


async def forbidden(peer):
    error = await peer.expect_error("forbidden_origin")
    assert await peer.closed() == 4403
    return error


@pytest.mark.parametrize("origin", ["https://shop.example", "http://localhost:8123", None, "own"])
def test_allowed_origins_may_start_sessions(own_server, origin):
    server = own_server(*ORIGINS)

    async def steps():
        async with visitor(server, origin=server.base if origin == "own" else origin) as customer:
            await start(customer)

    run(steps())


@pytest.mark.parametrize("origin", ["https://evil.example", "http://shop.example", "https://shop.example:8443", "null",
                                    "http://localhost:8124", "https://shop.example.evil.example"])
def test_other_origins_are_refused_on_the_visitor_endpoint(own_server, origin):
    server = own_server(*ORIGINS)

    async def steps():
        async with visitor(server, origin=origin) as customer:
            # The start may or may not be sent before the server closes; it must not be honoured.
            with contextlib.suppress(ConnectionClosed):
                await customer.send("start", siteCode=SITE)
            await forbidden(customer)

    run(steps())


def test_without_allowed_origins_any_page_may_start_a_session(server):
    async def steps():
        for origin in ("https://anywhere.example", "null"):
            async with visitor(server, origin=origin) as customer:
                await start(customer)

    run(steps())


@pytest.mark.parametrize("allowed", [False, True])
def test_the_agent_endpoint_takes_the_servers_own_origin_and_allowed_ones_only(server, own_server, allowed):
    running = own_server(*ORIGINS) if allowed else server

    async def steps():
        async with visitor(running) as customer:
            code = (await start(customer))["accessCode"]
            good = [running.base, None] + (["https://shop.example"] if allowed else [])
            for origin in good:
                async with agent(running, origin=origin) as alice:
                    await join(alice, code)
                    await alice.send("leave")
            for origin in ["https://evil.example", "http://localhost:%d" % running.port] + ([] if allowed else ["https://shop.example"]):
                # The key is right, yet a page of another origin may not use it.
                async with agent(running, origin=origin) as mallory:
                    await forbidden(mallory)

    run(steps())


# What the join limit counts by.


@pytest.mark.parametrize("host, counted", [
    ("127.0.0.1", "127.0.0.1"),
    ("203.0.113.9", "203.0.113.9"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    # One IPv6 subscriber holds a /64: its addresses are one client.
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::7", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("", ""),
])
def test_the_join_limit_counts_ipv4_addresses_and_ipv6_networks(host, counted):
    assert client_address(host) == counted
