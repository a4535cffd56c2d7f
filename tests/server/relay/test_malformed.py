"""Malformed messages, in process on both engines: every one is refused with its error code
before any state is looked at, and neither the connection nor its session notices.

The limits a socket sets before the relay sees a frame (binary frames, the largest frame) are
the real-socket tests' (``tests/server/test_wire.py``).
"""

import json

import pytest

from cobrowse.core import protocol
from support.wire import agent, join, start, visitor


LONG_TEXT = "x" * (protocol.MAX_MESSAGE_CHARS + 1)


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
def test_malformed_visitor_message_is_refused_and_the_session_survives(run_relay, text, code):
    async def steps(server):
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

    run_relay(steps)


@pytest.mark.parametrize("text, code", [case[1:] for case in AGENT_BAD], ids=[case[0] for case in AGENT_BAD])
def test_malformed_agent_message_is_refused_and_the_session_survives(run_relay, text, code):
    async def steps(server):
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

    run_relay(steps)
