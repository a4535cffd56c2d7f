"""Clients of the wire protocol for the server tests (and benchmarks): real ``websockets``
sockets to a real server, or fake ones on an in-process relay (``support.relay``).

Public names:

- ``Speaker``: what every client does: ``send``, ``receive``, ``expect(kind)``,
  ``expect_error(code)``, ``closed()``; every message received is checked with
  ``protocol.decode``, so a reply that breaks the protocol fails the test that received it.
  Its kinds give ``send_raw(data)``, ``receive_text()`` and ``drop(how)``.
- ``Peer``: a ``Speaker`` on one real visitor or agent socket.
- ``visitor(server)``, ``agent(server, query, address)``: such clients as async context
  managers, for a server process or an in-process relay. Each agent connection comes from an
  address of its own in 127.0.0.0/8, so failed joins of one test never reach the join limit of
  another.
- ``start``, ``join``, ``rejoin``, ``resume``, ``session_with_agent``, ``until_state``, ``quiet``,
  ``drop``, ``assert_dead``, ``view``, ``next_view_text``, ``SNAPSHOT``: the protocol's steps.
- ``http_get(server, path, headers)``: a raw GET (no redirects followed, nothing decompressed).
- ``cluster(redis, count, *options)``, ``deploy_config``, ``holder_of``, ``health``: several
  server processes on one Redis, behind nginx.
"""

import asyncio
import contextlib
import http.client
import itertools
import json
import re
import urllib.error
import urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cobrowse.core import protocol
from support.processes import ROOT, ServerProcess

# The longest wait for any one message or close, in seconds.
TIMEOUT = 10
SITE = "ACME-1"
NO_SESSION = "No active session with that code"
SESSION_OVER = "The co-browse session is over"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")

# Source addresses for agent connections: 127.0.0.1 is left to the browser tests.
ADDRESSES = ("127.%d.%d.%d" % (a, b, c) for a in itertools.count(1) for b in range(256) for c in range(1, 255))


class Speaker:
    """One client, a visitor or an agent, that speaks the wire protocol."""

    def __init__(self, accept):
        self.accept = accept
        # The `session` broadcasts an agent received while it waited for something else.
        self.sessions = []

    async def send(self, kind, **fields):
        await self.send_raw(protocol.encode(kind, **fields))

    async def receive(self):
        """The next message, which must be valid and of a type this side may receive."""
        return protocol.decode(await self.receive_text(), self.accept)

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


class Peer(Speaker):
    """A client on a real WebSocket."""

    def __init__(self, socket, accept):
        super().__init__(accept)
        self.socket = socket

    async def send_raw(self, data):
        await self.socket.send(data)

    async def receive_text(self):
        return await asyncio.wait_for(self.socket.recv(), TIMEOUT)

    def drop(self, how):
        if how == "close":
            return self.socket.close()
        self.socket.transport.abort()
        return asyncio.sleep(0)


def visitor(server, origin=None):
    """A visitor's connection to ``server``: a server process, or an in-process relay
    (``support.relay.Local``, which has ``peer``)."""
    if hasattr(server, "peer"):
        return server.peer("visitor")
    return _socket(server.ws + "/ws/visitor", protocol.SERVER_TO_VISITOR, origin=origin)


def agent(server, query=None, address=None, origin=None, identity=None, token=None):
    """An agent's connection to ``server`` with the agent key (or ``query``), from ``address``;
    signed in as ``identity`` (a ``tokens.Identity``, in process) or with the signed ``token``
    (``Authorization: Bearer``, to a server process) if given."""
    address = address or next(ADDRESSES)
    if hasattr(server, "peer"):
        assert query is None and origin is None, "the key and the Origin are the app's, not the relay's"
        return server.peer("agent", address, identity)
    if token is not None:
        return _socket(server.ws + "/ws/agent" + (query or ""), protocol.SERVER_TO_AGENT, origin=origin,
                       local_addr=(address, 0), max_size=None, additional_headers={"Authorization": "Bearer " + token})
    query = "?key=" + server.key if query is None else query
    # Views of big pages are larger than the client's default limit of 1 MiB.
    return _socket(server.ws + "/ws/agent" + query, protocol.SERVER_TO_AGENT, origin=origin,
                   local_addr=(address, 0), max_size=None)


@contextlib.asynccontextmanager
async def _socket(url, accept, **options):
    async with connect(url, open_timeout=TIMEOUT, **options) as socket:
        yield Peer(socket, accept)


async def start(peer, site=SITE, **fields):
    """Start a session on a visitor connection; return the `started` message."""
    await peer.send("start", siteCode=site, **fields)
    started = await peer.expect("started")
    assert re.fullmatch(r"\d{6}", started["accessCode"]), started
    assert TOKEN.fullmatch(started["token"]), started
    return started


async def join(peer, code, name="Alice"):
    """Join a session from an agent connection; return the `joined` message."""
    await peer.send("join", code=code, name=name)
    joined = await peer.expect("joined")
    assert TOKEN.fullmatch(joined["token"]), joined
    return joined


async def rejoin(peer, token):
    """Rejoin as the agent whose token is ``token``; return the `joined` message."""
    await peer.send("rejoin", token=token)
    return await peer.expect("joined")


async def assert_dead(server, code):
    """A new agent joining ``code`` (an access code or SID) is told there is no such session."""
    async with agent(server) as late:
        await late.send("join", code=code, name="Latecomer")
        error = await late.expect_error("no_session")
        assert error["message"] == NO_SESSION


def http_get(server, path, headers=None):
    """GET ``path`` as given (not normalised); return the status, headers (lower-case) and body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    finally:
        connection.close()


def drop(peer, how="drop"):
    """Lose a connection: ``close`` closes it properly, ``drop`` without a closing handshake,
    as when a tab is killed or the network goes away."""
    return peer.drop(how)


async def until_state(peer, state):
    """Wait for a `session` broadcast whose state is ``state``; return that view.

    Answers to the agent's own pings are skipped; any other message fails the test.
    """
    for view in peer.sessions:
        if view["state"] == state:
            peer.sessions.clear()
            return view
    while True:
        message = await peer.receive()
        if message["type"] == "pong":
            continue
        assert message["type"] == "session", "expected a session broadcast, got %r" % (message,)
        if message["session"]["state"] == state:
            peer.sessions.clear()
            return message["session"]


async def quiet(peer):
    """Check that nothing is waiting for ``peer``: the answer to a ping is its next message
    (an agent's `session` broadcasts aside)."""
    await peer.send("ping")
    assert await peer.expect("pong") == {"type": "pong"}


async def resume(server, token, **fields):
    """Open a visitor connection and resume with ``token``; return the peer and the reply."""
    stack = contextlib.AsyncExitStack()
    peer = await stack.enter_async_context(visitor(server))
    peer.stack = stack
    await peer.send("resume", token=token, **fields)
    return peer, await peer.receive()


async def session_with_agent(server, name="Alice", **start_fields):
    """A visitor with a session that one agent has joined: ``(customer, started, alice, joined)``
    inside an exit stack the caller closes."""
    stack = contextlib.AsyncExitStack()
    customer = await stack.enter_async_context(visitor(server))
    alice = await stack.enter_async_context(agent(server))
    started = await start(customer, **start_fields)
    joined = await join(alice, started["accessCode"], name)
    await customer.expect("agent_joined")
    return stack, customer, started, alice, joined


async def next_view_text(peer):
    """The next view message ``peer`` receives, as the exact text that came over the socket."""
    while True:
        text = await peer.receive_text()
        message = protocol.decode(text, peer.accept)
        if message["type"] == "view":
            return text
        assert message["type"] in ("session", "pong"), "expected a view, got %r" % (message,)


def view(*events):
    return json.dumps({"v": 1, "type": "view", "events": list(events)}, separators=(",", ":"))


# rrweb's events, as far as the server looks into them: type 4 is Meta, 2 FullSnapshot, 3 a change.
SNAPSHOT = view({"type": 4, "data": {"href": "http://shop.test/"}}, {"type": 2, "data": {"node": {"id": 1}}})


@contextlib.contextmanager
def cluster(redis, count, *options):
    """``count`` server processes sharing ``redis``; none may log a traceback."""
    servers = [ServerProcess("--redis", redis.url, *options) for _ in range(count)]
    try:
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.stop()
        for server in servers:
            tracebacks = [line for line in server.output if "Traceback" in line]
            assert not tracebacks, "a server logged errors:\n" + "".join(server.output)


def deploy_config(servers):
    """docs/deploy.md's nginx configuration, with the tests' ports and a folder of its own."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    config = re.search(r"```nginx\n(.*?)```", text, re.S).group(1)
    upstreams = "".join("        server 127.0.0.1:%d max_fails=1 fail_timeout=5s;\n" % server.port for server in servers)
    config = re.sub(r"( *server 127\.0\.0\.1:800\d [^\n]*\n)+", upstreams, config)

    def build(port, folder):
        own = "daemon off;\npid %s/nginx.pid;\nerror_log %s/logs/error.log;\n" % (folder, folder)
        temp = "".join("    %s_temp_path %s/%s;\n" % (kind, folder, kind)
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        built = own + config.replace("listen 8080;", "listen 127.0.0.1:%d;" % port)
        return built.replace("http {\n", "http {\n    access_log off;\n" + temp, 1)
    return build


async def holder_of(servers, code, who):
    """The server process holding the connection of ``who`` (the visitor, or an agent's id) in
    session ``code``, as its record in Redis says."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(servers[0].args[1])
    try:
        session = json.loads(await client.get("cb:s:" + code))
    finally:
        await client.aclose()
    attached = session["visitor"] if who == "visitor" else [a for a in session["agents"] if a["id"] == who][0]["conn"]
    process = attached["conn"].rsplit(".", 1)[0]
    for server in servers:
        if health(server)[1]["process"] == process:
            return server
    raise AssertionError("no process holds %s" % code)


def health(server):
    """``(status, body)`` of ``GET /healthz``."""
    try:
        with urllib.request.urlopen(server.base + "/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
