"""Property test: no message, however broken or ill-timed, disturbs another session or the server.

One real server process holds a healthy session (a visitor and an agent) for the whole run.
For each example, hypothesis opens victim connections (a bare visitor or agent socket, or a
visitor and an agent in a session of their own) and throws frames at them: random text,
random JSON, binary frames, deep nesting, valid messages of every type in any order, and valid
messages with fields dropped, added, retyped or made huge. Tokens, codes and SIDs of the
victims' own session may be used, so resume, rejoin, join, leave and end really happen. After
each example the test checks that

- every frame the victims received is a valid message of their direction,
- the healthy session still relays a `view` and a `page` and answers pings, and neither of its
  ends heard anything else,
- the server process is alive and has logged no traceback.

Hypothesis calls the example function synchronously, so it runs in a worker thread while the
event loop (started with ``run_async``) keeps the healthy session's connections open; each
example hands its coroutines to that loop.
"""

import asyncio
import contextlib
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cobrowse.core import protocol
from support.processes import ServerProcess as Server
from support.loop import run_async as run

# Its server is a process of the module's own; 150 examples take seconds.
pytestmark = [pytest.mark.process, pytest.mark.slow]

TIMEOUT = 10
SITE = "FUZZ-1"

# Victim agents come from addresses of their own, so the join limit is met only within an example.
ADDRESSES = ("127.%d.%d.%d" % (a, b, c) for a in itertools.count(50) for b in range(256) for c in range(1, 255))

# A valid sample of every message a client may send. "$..." strings stand for the victims'
# own secrets and codes, filled in when the frame is sent.
SAMPLES = {
    "start": {"siteCode": SITE, "SID": "$SID", "url": "http://fuzz.test/", "networkTimeout": 30},
    "resume": {"token": "$TOKEN", "url": "http://fuzz.test/again", "networkTimeout": 10},
    "stop": {"reason": "USER_INITIATED"},
    "navigated_away": {"url": "http://elsewhere.test/"},
    "page": {"url": "http://fuzz.test/p", "title": "Page"},
    "view": {"events": [{"type": 3, "data": {"x": 1}}]},
    "view_part": {"text": "{\"v\":1,", "size": 40},
    "ping": {},
    "join": {"code": "$CODE", "name": "Fuzz"},
    "rejoin": {"token": "$AGENT_TOKEN"},
    "leave": {},
    "end": {},
    "control_grant": {"id": "0f" * 16},
    "control_end": {"id": "0f" * 16, "reason": "revoked"},
    "refused": {"id": "0f" * 16, "message": "Held off"},
    "request_control": {},
    "release_control": {},
    "act": {"action": {"kind": "click", "id": 1, "x": 1, "y": 1}},
    "point": {"at": {"id": 1, "x": 1, "y": 1, "ring": True}},
    "draw": {"stroke": {"id": "s1", "node": 1, "points": [1, 2, 3, 4], "done": True}},
    "clear": {},
    "tools": {"allowed": ["point", "draw", "control"], "on": True, "fresh": True},
}
PLACEHOLDERS = ["$TOKEN", "$AGENT_TOKEN", "$CODE", "$SID"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
huge_values = st.sampled_from([
    "x" * 70_000, "x" * 2049, "\u2603" * 3000, 10**40, -(10**40), 2**63, -1, 0, 10**9, [0] * 20_000,
    {"k%d" % i: i for i in range(3000)}, "", " ",
])
field_values = json_values | huge_values | st.sampled_from(PLACEHOLDERS)
field_names = st.sampled_from(sorted({name for fields in SAMPLES.values() for name in fields} | {"v", "type", "extra"}))


DIRECTION = {"visitor": protocol.VISITOR_TO_SERVER, "agent": protocol.AGENT_TO_SERVER}


@st.composite
def mutated(draw, role):
    """A message for ``role``'s socket (now and then another's), maybe broken in a few places."""
    kind = draw(st.sampled_from(list(DIRECTION[role]) * 4 + sorted(SAMPLES)))
    message = {"v": 1, "type": kind, **SAMPLES[kind]}
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["drop", "set", "set", "extra", "version", "type"]))
        if how == "drop" and len(message) > 0:
            message.pop(draw(st.sampled_from(sorted(message))))
        elif how == "set" and len(message) > 2:
            message[draw(st.sampled_from(sorted(set(message) - {"v", "type"})))] = draw(field_values)
        elif how == "extra":
            message[draw(field_names)] = draw(field_values)
        elif how == "version":
            message["v"] = draw(st.sampled_from([2, 0, "1", True, 1.0, None]))
        elif how == "type":
            message["type"] = draw(st.sampled_from(sorted(protocol.SCHEMAS) + ["", "START", None, 7]))
    return ("json", message)


def valid(role):
    """A valid message for ``role``'s socket, in whatever order it comes."""
    return st.sampled_from(DIRECTION[role]).map(lambda kind: ("json", {"v": 1, "type": kind, **SAMPLES[kind]}))


junk = st.one_of(
    st.text(max_size=200).map(lambda text: ("text", text)),
    json_values.map(lambda value: ("text", json.dumps(value))),
    st.binary(max_size=200).map(lambda data: ("binary", data)),
    st.sampled_from([
        "[" * 100_000 + "]" * 100_000, "[" * 30_000, '{"v": 1, "type": "view", "events": ' + "[" * 5000 + "]" * 5001,
        '{"v": 1, "type": "view", "events": [NaN, Infinity]}', '{"v": 1, "type": "start", "siteCode": "S", "networkTimeout": 1e999}',
        "x" * 70_000,
    ]).map(lambda text: ("text", text)),
)


# Optional fields of a resume (a rejoin has none): any url and any integer network timeout.
comeback_fields = st.fixed_dictionaries({}, optional={
    "url": st.text(max_size=30), "networkTimeout": st.integers(-(2**70), 2**70),
})


def frames(role):
    return st.tuples(st.just(role), st.one_of(
        mutated(role), mutated(role), valid(role), valid(role), junk,
        # The connection drops, or is left open but unused, and a new one takes its place
        # (which may resume or rejoin).
        st.sampled_from([("reconnect", "drop"), ("reconnect", "keep")]),
        # The same, and the new connection asks for the victims' session back at once.
        st.tuples(st.just("comeback"), st.tuples(st.sampled_from(["drop", "keep"]), comeback_fields)),
    ))


# An example: the victims' setup, the frames (each for the victim visitor or agent), and how
# the victims' connections end.
cases = st.fixed_dictionaries({
    "setup": st.sampled_from(["bare", "session", "session", "bad-key"]),
    "frames": st.lists(st.sampled_from(["visitor", "agent"]).flatmap(frames), min_size=1, max_size=10),
    "ending": st.sampled_from(["close", "drop"]),
})


class Victims:
    """The victim connections of one example and what they heard."""

    def __init__(self, server, setup):
        self.server = server
        self.setup = setup
        self.stack = contextlib.AsyncExitStack()
        self.peers = {}
        self.secrets = {"$TOKEN": "x" * 32, "$AGENT_TOKEN": "y" * 32, "$CODE": "000000", "$SID": "fuzz-sid"}

    async def open(self):
        self.address = next(ADDRESSES)
        for role in ("visitor", "agent"):
            await self.connect(role)
        if self.setup == "session":
            visitor, agent = self.peers["visitor"], self.peers["agent"]
            await visitor.send(protocol.encode("start", siteCode=SITE, SID="fuzz-sid"))
            started = await self.expect(visitor, "started")
            await agent.send(protocol.encode("join", code=started["accessCode"], name="Victim"))
            joined = await self.expect(agent, "joined")
            await self.expect(visitor, "agent_joined")
            self.secrets = {"$TOKEN": started["token"], "$AGENT_TOKEN": joined["token"],
                            "$CODE": started["accessCode"], "$SID": "fuzz-sid"}

    async def connect(self, role):
        if role == "visitor":
            url, options = self.server.ws + "/ws/visitor", {}
        else:
            query = "?key=" + ("wrong" if self.setup == "bad-key" else self.server.key)
            url, options = self.server.ws + "/ws/agent" + query, {"local_addr": (self.address, 0)}
        socket = await self.stack.enter_async_context(connect(url, open_timeout=TIMEOUT, max_size=None, **options))
        self.peers[role] = socket

    async def expect(self, socket, kind):
        while True:
            message = self.check(socket, await asyncio.wait_for(socket.recv(), TIMEOUT))
            if message["type"] == kind:
                return message

    def check(self, socket, text):
        accept = protocol.SERVER_TO_VISITOR if socket is self.peers["visitor"] else protocol.SERVER_TO_AGENT
        return protocol.decode(text, accept)

    def fill(self, value):
        if isinstance(value, str):
            return self.secrets.get(value, value)
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        return value

    async def throw(self, role, frame):
        kind, data = frame
        if kind in ("reconnect", "comeback"):
            how, fields = (data, {}) if kind == "reconnect" else data
            if how == "drop":
                self.peers[role].transport.abort()
            await self.connect(role)
            if kind == "comeback":
                await self.come_back(role, fields)
            return
        if kind == "json":
            data = json.dumps(self.fill(data))
        with contextlib.suppress(ConnectionClosed):
            await self.peers[role].send(data)

    async def come_back(self, role, fields):
        """Resume or rejoin on the new connection; a fresh token replaces the spent one."""
        socket = self.peers[role]
        if role == "visitor":
            secret, message = "$TOKEN", protocol.encode("resume", token=self.secrets["$TOKEN"], **fields)
        else:
            secret, message = "$AGENT_TOKEN", protocol.encode("rejoin", token=self.secrets["$AGENT_TOKEN"])
        with contextlib.suppress(ConnectionClosed):
            await socket.send(message)
            while True:
                message = self.check(socket, await asyncio.wait_for(socket.recv(), TIMEOUT))
                if message["type"] in ("resumed", "joined"):
                    self.secrets[secret] = message["token"]
                if message["type"] in ("resumed", "joined", "error"):
                    return

    async def settle(self):
        """Read every victim's replies up to the answer to a last ping, or until it is closed."""
        for socket in self.peers.values():
            try:
                await socket.send(protocol.encode("ping"))
                while self.check(socket, await asyncio.wait_for(socket.recv(), TIMEOUT))["type"] != "pong":
                    pass
            except ConnectionClosed:
                pass

    async def end(self, ending):
        if ending == "drop":
            for socket in self.peers.values():
                socket.transport.abort()
        await self.stack.aclose()


class Healthy:
    """The session that must carry on: a visitor and an agent on the same server."""

    def __init__(self, server):
        self.server = server
        self.count = 0

    async def open(self, stack):
        self.visitor = await stack.enter_async_context(connect(self.server.ws + "/ws/visitor", open_timeout=TIMEOUT))
        self.agent = await stack.enter_async_context(
            connect(self.server.ws + "/ws/agent?key=" + self.server.key, open_timeout=TIMEOUT, local_addr=("127.49.0.1", 0)))
        await self.visitor.send(protocol.encode("start", siteCode="HEALTHY", url="http://healthy.test/"))
        started = await self.receive(self.visitor, protocol.SERVER_TO_VISITOR)
        assert started["type"] == "started", started
        self.code = started["accessCode"]
        await self.agent.send(protocol.encode("join", code=self.code, name="Healthy"))
        joined = await self.receive(self.agent, protocol.SERVER_TO_AGENT)
        assert joined["type"] == "joined", joined
        self.agents = joined["session"]["agents"]
        assert (await self.receive(self.visitor, protocol.SERVER_TO_VISITOR))["type"] == "agent_joined"
        assert (await self.receive(self.agent, protocol.SERVER_TO_AGENT))["type"] == "session"

    @staticmethod
    async def receive(socket, accept):
        return protocol.decode(await asyncio.wait_for(socket.recv(), TIMEOUT), accept)

    async def check(self):
        """A view and a page reach the agent, both ends answer pings, and nothing else arrived."""
        self.count += 1
        await self.visitor.send(protocol.encode("view", events=[{"n": self.count}]))
        assert await self.receive(self.agent, protocol.SERVER_TO_AGENT) == {"type": "view", "events": [{"n": self.count}]}
        url = "http://healthy.test/%d" % self.count
        await self.visitor.send(protocol.encode("page", url=url))
        view = (await self.receive(self.agent, protocol.SERVER_TO_AGENT))["session"]
        assert (view["accessCode"], view["url"], view["state"], view["agents"]) == (self.code, url, "ACTIVE:ACTIVE", self.agents)
        for socket, accept in ((self.visitor, protocol.SERVER_TO_VISITOR), (self.agent, protocol.SERVER_TO_AGENT)):
            await socket.send(protocol.encode("ping"))
            assert await self.receive(socket, accept) == {"type": "pong"}


@pytest.fixture(scope="module")
def fuzz_server():
    running = Server()
    yield running
    running.stop()


def alive(server, since=0):
    """The server runs, and has logged no traceback since line ``since`` of its output."""
    assert server.process.poll() is None, "the server died:\n" + "".join(server.output)
    output = server.output[since:]
    assert not any("Traceback" in line for line in output), "the server logged errors:\n" + "".join(output)


def test_random_and_mutated_messages_never_disturb_another_session(fuzz_server):
    async def main():
        loop = asyncio.get_running_loop()
        async with contextlib.AsyncExitStack() as stack:
            healthy = Healthy(fuzz_server)
            await healthy.open(stack)

            async def attack(case):
                victims = Victims(fuzz_server, case["setup"])
                try:
                    await victims.open()
                    for role, frame in case["frames"]:
                        await victims.throw(role, frame)
                    await victims.settle()
                except InvalidStatus:
                    raise AssertionError("the server refused a WebSocket handshake")
                finally:
                    await victims.end(case["ending"])
                await healthy.check()

            @settings(max_examples=150, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
            @given(case=cases)
            def example(case):
                # Only this example's output counts, so that hypothesis can shrink a failure.
                since = len(fuzz_server.output)
                asyncio.run_coroutine_threadsafe(attack(case), loop).result(60)
                alive(fuzz_server, since)

            await loop.run_in_executor(None, example)

    run(main())
    alive(fuzz_server)
