"""The session server over the wire: a real ``python -m cobrowse serve`` and real clients.

Visitors and agents are ``websockets`` clients; each test runs its coroutine with
``asyncio.run``. Every message the server sends is checked with ``protocol.decode``, so a reply
that breaks the protocol fails the test that received it. Static files are fetched with
``http.client``, which neither follows redirects nor decompresses, so the tests see the raw
responses. The ``server`` fixture also fails the run if the server logged a traceback.
"""

import asyncio
import contextlib
import gzip
import http.client
import json
import re

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cobrowse import protocol
from conftest import ROOT
from helpers import run_async as run

# The longest wait for any one message or close, in seconds.
TIMEOUT = 10
SITE = "ACME-1"
NO_SESSION = "No active session with that code"




class Peer:
    """One WebSocket client, a visitor or an agent, that speaks the wire protocol."""

    def __init__(self, socket, accept):
        self.socket = socket
        self.accept = accept
        # The `session` broadcasts an agent received while it waited for something else.
        self.sessions = []

    async def send(self, kind, **fields):
        await self.socket.send(protocol.encode(kind, **fields))

    async def send_raw(self, data):
        await self.socket.send(data)

    async def receive(self):
        """The next message, which must be valid and of a type this side may receive."""
        text = await asyncio.wait_for(self.socket.recv(), TIMEOUT)
        return protocol.decode(text, self.accept)

    async def expect(self, kind):
        """The next message apart from `session` broadcasts; it must be of type ``kind``."""
        while True:
            message = await self.receive()
            if message["type"] == "session" and kind != "session":
                self.sessions.append(message["session"])
                continue
            assert message["type"] == kind, "expected %s, got %r" % (kind, message)
            return message

    async def expect_error(self, code):
        error = await self.expect("error")
        assert error["code"] == code, error
        assert error["message"].strip(), error
        return error

    async def closed(self):
        """Wait until the server closes the socket and return the close code.

        Any message other than a `session` broadcast arriving first fails the test.
        """
        try:
            while True:
                message = await self.receive()
                assert message["type"] == "session", "expected the socket to close, got %r" % (message,)
                self.sessions.append(message["session"])
        except ConnectionClosed:
            pass
        return self.socket.close_code


@contextlib.asynccontextmanager
async def visitor(server):
    async with connect(server.ws + "/ws/visitor", open_timeout=TIMEOUT) as socket:
        yield Peer(socket, protocol.SERVER_TO_VISITOR)


@contextlib.asynccontextmanager
async def agent(server, query=None):
    query = "?key=" + server.key if query is None else query
    async with connect(server.ws + "/ws/agent" + query, open_timeout=TIMEOUT) as socket:
        yield Peer(socket, protocol.SERVER_TO_AGENT)


async def start(peer, site=SITE, **fields):
    """Start a session on a visitor connection; return the `started` message."""
    await peer.send("start", siteCode=site, **fields)
    started = await peer.expect("started")
    assert re.fullmatch(r"\d{6}", started["accessCode"]), started
    return started


async def join(peer, code, name="Alice"):
    """Join a session from an agent connection; return the `joined` message."""
    await peer.send("join", code=code, name=name)
    return await peer.expect("joined")


async def assert_dead(server, code):
    """A new agent joining ``code`` (an access code or SID) is told there is no such session."""
    async with agent(server) as late:
        await late.send("join", code=code, name="Latecomer")
        error = await late.expect_error("no_session")
        assert error["message"] == NO_SESSION


# Sessions starting.


def test_start_gives_a_six_digit_access_code(server):
    async def steps():
        async with visitor(server) as customer:
            started = await start(customer, url="http://shop.test/")
            # No SID was given, so none comes back (optional fields are left out, never null).
            assert started == {"type": "started", "accessCode": started["accessCode"]}

    run(steps())


def test_concurrent_sessions_get_unique_codes(server):
    async def one_session(stack):
        customer = await stack.enter_async_context(visitor(server))
        return (await start(customer))["accessCode"]

    async def steps():
        # The visitors stay connected, so all their sessions are live at the same time.
        async with contextlib.AsyncExitStack() as stack:
            codes = await asyncio.gather(*(one_session(stack) for _ in range(60)))
        assert len(set(codes)) == len(codes)

    run(steps())


def test_start_with_sid_returns_the_sid(server):
    async def steps():
        async with visitor(server) as customer:
            started = await start(customer, SID="crm-4711")
            assert started["SID"] == "crm-4711"

    run(steps())


def test_second_start_on_one_connection_is_refused_and_the_first_session_goes_on(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await customer.send("start", siteCode=SITE)
            await customer.expect_error("out_of_order")
            joined = await join(alice, code)
            assert joined["session"]["accessCode"] == code
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]

    run(steps())


@pytest.mark.parametrize("kind, fields", [
    ("stop", {"reason": "USER_INITIATED"}),
    ("navigated_away", {"url": "http://elsewhere.test/"}),
    ("page", {"url": "http://shop.test/"}),
])
def test_visitor_messages_before_start_are_out_of_order(server, kind, fields):
    async def steps():
        async with visitor(server) as customer:
            await customer.send(kind, **fields)
            await customer.expect_error("out_of_order")
            # The connection is still usable for a start.
            await start(customer)

    run(steps())


# Agents joining and leaving.


def test_agent_joins_by_access_code(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, url="http://shop.test/cart"))["accessCode"]
            joined = await join(alice, code, "Alice")
            assert re.fullmatch(r"\S{1,64}", joined["id"]), joined
            assert joined["name"] == "Alice"
            assert joined["session"] == {
                "accessCode": code, "SID": None, "siteCode": SITE, "state": "ACTIVE:ACTIVE",
                "url": "http://shop.test/cart", "title": None,
                "agents": [{"id": joined["id"], "name": "Alice"}],
            }
            heard = await customer.expect("agent_joined")
            assert heard == {"type": "agent_joined", "id": joined["id"], "name": "Alice"}

    run(steps())


def test_agent_joins_by_sid(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, SID="ticket-99"))["accessCode"]
            joined = await join(alice, "ticket-99", "Alice")
            assert joined["session"]["accessCode"] == code
            assert joined["session"]["SID"] == "ticket-99"
            heard = await customer.expect("agent_joined")
            assert (heard["id"], heard["name"]) == (joined["id"], "Alice")

    run(steps())


def test_join_code_may_have_spaces_around_it_and_the_name_is_tidied(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            joined = await join(alice, "  %s " % code, "  Ann \t  Lee ")
            assert joined["session"]["accessCode"] == code
            assert joined["name"] == "Ann Lee"
            assert (await customer.expect("agent_joined"))["name"] == "Ann Lee"

    run(steps())


def test_two_agents_get_distinct_ids_and_both_are_in_the_session(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            first = await join(alice, code, "Alice")
            second = await join(bob, code, "Bob")
            assert first["id"] != second["id"]
            assert [a["id"] for a in second["session"]["agents"]] == [first["id"], second["id"]]
            heard = [await customer.expect("agent_joined") for _ in range(2)]
            assert [(m["id"], m["name"]) for m in heard] == [(first["id"], "Alice"), (second["id"], "Bob")]
            # Alice is told the session changed: Bob is in it now.
            while not any(len(view["agents"]) == 2 for view in alice.sessions):
                alice.sessions.append((await alice.expect("session"))["session"])

    run(steps())


def test_visitor_page_is_broadcast_to_agents(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer, url="http://shop.test/"))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await customer.send("page", url="http://shop.test/checkout", title="Checkout")
            while True:
                view = (await alice.expect("session"))["session"]
                if view["url"] == "http://shop.test/checkout":
                    break
            assert view["title"] == "Checkout"
            assert view["state"] == "ACTIVE:ACTIVE"

    run(steps())


def test_agent_leave_tells_the_visitor_and_the_session_goes_on(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            first = await join(alice, code, "Alice")
            second = await join(bob, code, "Bob")
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            await alice.send("leave")
            heard = await customer.expect("agent_left")
            assert heard == {"type": "agent_left", "id": first["id"], "name": "Alice"}
            # Alice's socket is closed normally; Bob sees a session with only himself in it.
            assert await alice.closed() == 1000
            while True:
                view = (await bob.expect("session"))["session"]
                if len(view["agents"]) == 1:
                    break
            assert view["agents"] == [{"id": second["id"], "name": "Bob"}]
            # The session is still live: a third agent can join it.
            async with agent(server) as carol:
                third = await join(carol, code, "Carol")
                assert (await customer.expect("agent_joined"))["id"] == third["id"]

    run(steps())


def test_session_outlives_its_last_agent(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await alice.send("leave")
            await customer.expect("agent_left")
            async with agent(server) as bob:
                view = (await join(bob, code, "Bob"))["session"]
                assert [a["name"] for a in view["agents"]] == ["Bob"]

    run(steps())


def test_agent_disconnect_counts_as_leaving(server):
    async def steps():
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            async with agent(server) as alice:
                joined = await join(alice, code)
                await customer.expect("agent_joined")
            heard = await customer.expect("agent_left")
            assert heard["id"] == joined["id"]

    run(steps())


def test_agent_must_join_before_anything_else_and_only_once(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await alice.send("leave")
            await alice.expect_error("out_of_order")
            await alice.send("end")
            await alice.expect_error("out_of_order")
            await join(alice, code)
            await alice.send("join", code=code, name="Alice again")
            await alice.expect_error("out_of_order")
            # Only the one join reached the visitor.
            await customer.expect("agent_joined")
            await alice.send("leave")
            await customer.expect("agent_left")

    run(steps())


def test_agent_with_a_blank_name_is_refused(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await alice.send("join", code=code, name=" \t ")
            await alice.expect_error("bad_name")
            await join(alice, code, "Alice")
            assert (await customer.expect("agent_joined"))["name"] == "Alice"

    run(steps())


def test_join_unknown_code_is_refused_and_the_agent_may_try_again(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            wrong = "%06d" % ((int(code) + 1) % 1_000_000)
            await alice.send("join", code=wrong, name="Alice")
            error = await alice.expect_error("no_session")
            assert error["message"] == NO_SESSION
            await join(alice, code)

    run(steps())


# Sessions ending.


def test_agent_end_ends_the_session_for_everyone(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer))["accessCode"]
            await join(alice, code, "Alice")
            await join(bob, code, "Bob")
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            await alice.send("end")
            for peer in (customer, alice, bob):
                assert await peer.expect("ended") == {"type": "ended", "reason": "AGENT_INITIATED"}
                assert await peer.closed() == 1000
            await assert_dead(server, code)

    run(steps())


def test_visitor_stop_tells_agents_the_reason(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice, agent(server) as bob:
            code = (await start(customer, SID="case-7"))["accessCode"]
            await join(alice, code, "Alice")
            await join(bob, code, "Bob")
            await customer.expect("agent_joined")
            await customer.expect("agent_joined")
            await customer.send("stop", reason="Closed by the shop's own button")
            for peer in (alice, bob, customer):
                ended = await peer.expect("ended")
                assert ended == {"type": "ended", "reason": "Closed by the shop's own button"}
                assert await peer.closed() == 1000
            await assert_dead(server, code)
            await assert_dead(server, "case-7")

    run(steps())


def test_visitor_navigating_away_tells_agents_where(server):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            code = (await start(customer))["accessCode"]
            await join(alice, code)
            await customer.expect("agent_joined")
            await customer.send("navigated_away", url="http://elsewhere.test/page?q=1")
            expected = {"type": "ended", "reason": "NAVIGATED_AWAY", "url": "http://elsewhere.test/page?q=1"}
            assert await alice.expect("ended") == expected
            assert await alice.closed() == 1000
            assert await customer.expect("ended") == expected
            await assert_dead(server, code)

    run(steps())


@pytest.mark.parametrize("how", ["close", "drop"])
def test_visitor_disconnect_tells_agents(server, how):
    async def steps():
        async with agent(server) as alice:
            async with visitor(server) as customer:
                code = (await start(customer))["accessCode"]
                await join(alice, code)
                await customer.expect("agent_joined")
                if how == "close":
                    await customer.socket.close()
                else:
                    # The connection drops without a closing handshake, as when a tab is killed.
                    customer.socket.transport.abort()
            assert await alice.expect("ended") == {"type": "ended", "reason": "VISITOR_DISCONNECTED"}
            assert await alice.closed() == 1000
            await assert_dead(server, code)

    run(steps())


def test_ended_session_without_agents_is_dead(server):
    async def steps():
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            await customer.send("stop", reason="USER_INITIATED")
            assert await customer.expect("ended") == {"type": "ended", "reason": "USER_INITIATED"}
            assert await customer.closed() == 1000
        await assert_dead(server, code)

    run(steps())


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


def http_get(server, path, headers=None):
    """GET ``path`` as given (not normalised); return the status, headers (lower-case) and body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("query", ["?key=wrong", "?key=", "", "?key=test-agent-keyX"])
def test_agent_page_with_wrong_key_is_401(server, query):
    status, headers, body = http_get(server, "/agent" + query)
    assert status == 401
    assert headers["content-type"].startswith("text/html")
    assert b"401 Unauthorized" in body
    # The console itself is not handed out.
    assert b"join-form" not in body


def test_agent_page_with_right_key_serves_the_form(server):
    status, headers, body = http_get(server, "/agent?key=" + server.key)
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b'<form id="join-form"' in body
    assert b'id="code"' in body and b'id="name"' in body


# Malformed messages.

LONG_TEXT = "x" * (protocol.MAX_MESSAGE_CHARS + 1)

# (case id, raw text, error code) for the visitor socket; every case is refused before any state
# is looked at, so each one gets the same answer before and after `start`.
VISITOR_BAD = [
    ("not-json", "{not json", "bad_json"),
    ("empty", "", "bad_json"),
    ("not-an-object", "[1, 2]", "bad_message"),
    ("no-version", '{"type": "page", "url": "http://shop.test/"}', "bad_version"),
    ("wrong-version", '{"v": 2, "type": "page", "url": "http://shop.test/"}', "bad_version"),
    ("version-true", '{"v": true, "type": "page", "url": "http://shop.test/"}', "bad_version"),
    ("no-type", '{"v": 1, "url": "http://shop.test/"}', "bad_type"),
    ("unknown-type", '{"v": 1, "type": "dance"}', "bad_type"),
    ("agent-type", '{"v": 1, "type": "join", "code": "123456", "name": "Eve"}', "bad_type"),
    ("missing-field", '{"v": 1, "type": "navigated_away"}', "bad_field"),
    ("unknown-field", '{"v": 1, "type": "page", "url": "http://shop.test/", "colour": "red"}', "bad_field"),
    ("wrong-field-type", '{"v": 1, "type": "page", "url": 42}', "bad_field"),
    ("field-too-long", json.dumps({"v": 1, "type": "page", "url": "x" * 2049}), "bad_field"),
    ("too-long", json.dumps({"v": 1, "type": "page", "url": LONG_TEXT}), "too_large"),
    ("deeply-nested", "[" * 100_000 + "]" * 100_000, "too_large"),
    ("deeply-nested-short", "[" * 30_000 + "]" * 30_000, "bad_json"),
]

AGENT_BAD = [
    ("not-json", "{not json", "bad_json"),
    ("not-an-object", '"join"', "bad_message"),
    ("wrong-version", '{"v": "1", "type": "leave"}', "bad_version"),
    ("unknown-type", '{"v": 1, "type": "kick"}', "bad_type"),
    ("visitor-type", '{"v": 1, "type": "start", "siteCode": "ACME-1"}', "bad_type"),
    ("missing-field", '{"v": 1, "type": "join", "code": "123456"}', "bad_field"),
    ("unknown-field", '{"v": 1, "type": "leave", "now": true}', "bad_field"),
    ("wrong-field-type", '{"v": 1, "type": "join", "code": 123456, "name": "Eve"}', "bad_field"),
    ("name-too-long", json.dumps({"v": 1, "type": "join", "code": "123456", "name": "E" * 81}), "bad_field"),
    ("too-long", json.dumps({"v": 1, "type": "join", "code": "1", "name": LONG_TEXT}), "too_large"),
]


@pytest.mark.parametrize("text, code", [case[1:] for case in VISITOR_BAD], ids=[case[0] for case in VISITOR_BAD])
def test_malformed_visitor_message_is_refused_and_the_session_survives(server, text, code):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            await customer.send_raw(text)
            await customer.expect_error(code)
            # The connection survives: a session starts on it.
            session_code = (await start(customer))["accessCode"]
            await customer.send_raw(text)
            await customer.expect_error(code)
            # The session survives: an agent joins it and the visitor hears so.
            joined = await join(alice, session_code)
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]

    run(steps())


@pytest.mark.parametrize("text, code", [case[1:] for case in AGENT_BAD], ids=[case[0] for case in AGENT_BAD])
def test_malformed_agent_message_is_refused_and_the_session_survives(server, text, code):
    async def steps():
        async with visitor(server) as customer, agent(server) as alice:
            session_code = (await start(customer))["accessCode"]
            await alice.send_raw(text)
            await alice.expect_error(code)
            # The connection survives: the agent joins on it.
            joined = await join(alice, session_code)
            await alice.send_raw(text)
            await alice.expect_error(code)
            # The agent is still in the session: its leave reaches the visitor.
            assert (await customer.expect("agent_joined"))["id"] == joined["id"]
            await alice.send("leave")
            assert (await customer.expect("agent_left"))["id"] == joined["id"]

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


# Static files.


def test_loader_is_served_for_cross_origin_embedding(server):
    status, headers, body = http_get(server, "/static/cobrowse.js")
    assert status == 200
    assert body == (ROOT / "static" / "cobrowse.js").read_bytes()
    assert headers["access-control-allow-origin"] == "*"
    assert re.match(r"(text|application)/javascript\b", headers["content-type"])
    assert headers["etag"]
    # The loader's URL is fixed in customers' pages, so it may be cached but never for good.
    assert headers["cache-control"]
    assert "immutable" not in headers["cache-control"]
    assert "content-encoding" not in headers


@pytest.mark.parametrize("path, kind", [
    ("/static/micropython/micropython.mjs", "text/javascript"),
    ("/static/micropython/micropython.wasm", "application/wasm"),
    ("/static/pyodide/pyodide.asm.wasm", "application/wasm"),
    ("/static/pyodide/pyodide.mjs", "text/javascript"),
])
def test_runtime_files_have_their_mime_types_and_are_cached(server, path, kind):
    status, headers, body = http_get(server, path)
    assert status == 200
    assert headers["content-type"].split(";")[0] == kind
    assert headers["access-control-allow-origin"] == "*"
    assert "max-age=" in headers["cache-control"]
    assert body == (ROOT / path.lstrip("/")).read_bytes()


@pytest.mark.parametrize("path", ["/static/cobrowse.js", "/static/micropython/micropython.wasm", "/cobrowse/session.py"])
def test_gzip_when_the_client_takes_it(server, path):
    plain_status, plain_headers, plain = http_get(server, path)
    status, headers, packed = http_get(server, path, {"Accept-Encoding": "gzip, deflate"})
    assert plain_status == status == 200
    assert headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain_headers
    assert "Accept-Encoding" in headers["vary"]
    assert len(packed) < len(plain)
    assert int(headers["content-length"]) == len(packed)
    assert gzip.decompress(packed) == plain
    assert headers["content-type"] == plain_headers["content-type"]


@pytest.mark.parametrize("path", ["/static/cobrowse.js", "/static/micropython/micropython.mjs", "/cobrowse/session.py", "/"])
def test_etag_revalidation_gives_304(server, path):
    status, headers, _ = http_get(server, path)
    assert status == 200
    assert "cache-control" in headers
    etag = headers["etag"]
    status, again, body = http_get(server, path, {"If-None-Match": etag})
    assert status == 304
    assert body == b""
    assert again["etag"] == etag
    # A different tag gets the whole file.
    status, _, body = http_get(server, path, {"If-None-Match": '"stale"'})
    assert status == 200 and body


def test_only_the_browser_modules_are_served(server):
    listed = re.findall(r'^"\./(cobrowse/[^"]+)"\s*=', (ROOT / "pyscript.toml").read_text(), re.M)
    assert "cobrowse/session.py" in listed
    for module in listed:
        status, headers, body = http_get(server, "/" + module)
        assert status == 200, module
        assert body == (ROOT / module).read_bytes()
    for secret in ("server.py", "store.py", "__main__.py", "console/index.html", "../pyproject.toml", "nope.py"):
        status, _, _ = http_get(server, "/cobrowse/" + secret)
        assert status == 404, secret


@pytest.mark.parametrize("path", [
    "/static/../cobrowse/server.py",
    "/static/%2e%2e/cobrowse/server.py",
    "/static/..%2fcobrowse/server.py",
    "/static/micropython/../../pyproject.toml",
    "/demo/../cobrowse/server.py",
    "/agent/../../cobrowse/server.py",
    "/static/",
    "/static/micropython",
])
def test_paths_outside_the_served_folders_are_404(server, path):
    status, _, body = http_get(server, path)
    assert status == 404, body[:200]


def test_pyscript_toml_and_the_demo_index_are_served(server):
    status, headers, body = http_get(server, "/pyscript.toml")
    assert status == 200
    assert body == (ROOT / "pyscript.toml").read_bytes()
    assert headers["access-control-allow-origin"] == "*"
    status, headers, body = http_get(server, "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert body == (ROOT / "index.html").read_bytes()


def test_each_encoding_has_its_own_etag_and_a_refused_gzip_is_respected(server):
    path = "/static/micropython/micropython.mjs"
    _, plain, _ = http_get(server, path)
    _, packed, _ = http_get(server, path, {"Accept-Encoding": "gzip"})
    assert plain["etag"] != packed["etag"]
    status, _, body = http_get(server, path, {"Accept-Encoding": "gzip", "If-None-Match": plain["etag"]})
    assert status == 200 and body, "a plain copy's tag must not validate the gzip copy"
    status, _, _ = http_get(server, path, {"Accept-Encoding": "gzip", "If-None-Match": packed["etag"]})
    assert status == 304
    _, refused, _ = http_get(server, path, {"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused


def test_modules_asked_for_with_the_current_build_are_cached_for_good(server):
    # The loader reads the build from pyscript.toml's response (exposed to cross-origin pages).
    _, toml, _ = http_get(server, "/pyscript.toml")
    build = toml["x-cobrowse-build"]
    assert re.fullmatch(r"[0-9a-f]{16}", build)
    assert "X-Cobrowse-Build" in toml["access-control-expose-headers"]
    _, current, _ = http_get(server, "/cobrowse/session.py?v=" + build)
    assert "immutable" in current["cache-control"]
    # Another build's URL (an old page, a guess) must not be cached for good.
    _, other, body = http_get(server, "/cobrowse/session.py?v=0000000000000000")
    assert "immutable" not in other["cache-control"] and body == (ROOT / "cobrowse/session.py").read_bytes()
