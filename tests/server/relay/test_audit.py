"""The audit trail, in process on both engines: each move it records is written once, before it
takes effect, by the process that makes it; nothing secret is ever in it; a log that cannot be
written refuses new sessions, joins and control, and recovers by itself.
"""

import itertools
import json
import logging
import os

from cobrowse.server.audit import EVENTS, FileTrail
from support.relay import run_relays
from support.wire import SNAPSHOT, agent, join, next_view_text, quiet, start, until_state, view

VISITOR_ADDRESS = "203.0.113.7"
AGENT_ADDRESS = "127.210.0.1"
CARD = "4111 1111 1111 1111"
TYPED = "\u00a7"  # A character typed under control: in no line, ever.
PATH = "form#checkout > button.pay"


def lines(path):
    with open(path, encoding="utf-8") as file:
        return [json.loads(text) for text in file]


def ticking_wall(start=1_800_000_000.0):
    """A time of day that moves on a millisecond each time it is read: lines in order."""
    ticks = itertools.count()
    return lambda: start + next(ticks) / 1000


async def granted(customer, alice, joined):
    await alice.send("request_control")
    await customer.expect("control_request")
    await customer.send("control_grant", id=joined["id"])
    await until_state(alice, "ACTIVE:ESCALATED")


def test_a_whole_session_is_recorded_once_per_move_and_holds_no_secret(run_relay, tmp_path):
    path = tmp_path / "audit.jsonl"
    secrets = []

    async def steps(server):
        async with server.peer("visitor", VISITOR_ADDRESS) as customer:
            started = await start(customer, SID="case-7", url="http://shop.test/cart")
            secrets.append(started["token"])
            async with agent(server, address="127.210.0.9") as eve:
                await eve.send("join", code="999999" if started["accessCode"] != "999999" else "999998", name="Eve")
                await eve.expect_error("no_session")
            async with agent(server, address=AGENT_ADDRESS) as alice:
                joined = await join(alice, started["accessCode"])
                secrets.append(joined["token"])
                await customer.expect("agent_joined")
                await customer.send_raw(view({"type": 2, "data": {"text": CARD}}))
                await next_view_text(alice)
                await granted(customer, alice, joined)
                actions = [{"kind": "click", "id": 12, "x": 10, "y": 20, "path": PATH},
                           {"kind": "move", "id": 12, "x": 11, "y": 21},
                           {"kind": "key", "key": TYPED},
                           {"kind": "key", "key": "Enter"},
                           {"kind": "wheel", "id": 3, "x": 1, "y": 2, "dy": 40, "path": "<script>alert(1)</script>"},
                           {"kind": "choose", "id": 7, "index": 2, "path": "select#size"}]
                for action in actions:
                    await alice.send("act", action=action)
                    assert (await customer.expect("act"))["action"]["kind"] == action["kind"]
                await customer.send("control_end", id=joined["id"], reason="revoked")
                await alice.expect("control_notice")
                await alice.send("request_control")
                await customer.expect("control_request")
                await customer.send("control_end", id=joined["id"], reason="declined")
                await alice.expect("control_notice")
                await alice.send("request_control")
                await customer.expect("control_request")
                await server.advance(40)
                assert (await alice.expect("control_notice"))["code"] == "timeout"
                assert (await customer.expect("control_end"))["reason"] == "timeout"
                await alice.send("leave")
                await customer.expect("agent_left")
            await customer.send("navigated_away", url="http://elsewhere.test/")
            await customer.expect("ended")

    run_relay(steps, audit=FileTrail(str(path)))
    written = lines(path)
    assert [line["event"] for line in written] == [
        "session_started", "agent_refused", "agent_connected", "control_requested", "control_granted",
        "control_action", "control_action", "control_action", "control_action", "control_action",
        "control_revoked", "control_requested", "control_denied", "control_requested", "control_timed_out",
        "agent_disconnected", "navigating_away", "session_ended"]
    assert set(line["event"] for line in written) <= set(EVENTS)
    for line in written:
        assert set(line) >= {"time", "event", "accessCode", "SID", "siteCode", "process"}
        assert line["time"].endswith("Z") and len(line["time"]) == len("2026-12-02T16:05:01.123Z")
    started, refused, connected = written[:3]
    assert (started["SID"], started["siteCode"], started["client"], started["url"]) == (
        "case-7", "ACME-1", VISITOR_ADDRESS, "http://shop.test/cart")
    assert (refused["accessCode"], refused["reason"], refused["client"]) == (None, "wrong_code", "127.210.0.9")
    assert connected["agent"]["name"] == "Alice" and connected["agent"]["role"] == "agent"
    assert (connected["client"], connected["agentCount"]) == (AGENT_ADDRESS, 1)
    assert [line["action"] for line in written if line["event"] == "control_action"] == [
        {"kind": "click", "node": 12, "target": PATH}, {"kind": "text"}, {"kind": "key", "key": "Enter"},
        {"kind": "scroll", "node": 3}, {"kind": "select", "node": 7, "target": "select#size"}]
    assert written[4]["client"] == VISITOR_ADDRESS  # The visitor granted control.
    assert [line.get("reason") for line in written[10:]] == [
        "revoked", None, "declined", None, "timeout", "left", None, "NAVIGATED_AWAY"]
    assert written[-2]["url"] == "http://elsewhere.test/"
    text = path.read_text()
    for secret in secrets + [TYPED, CARD, "999999", "999998", "<script>"]:
        assert secret not in text


def test_two_processes_each_write_their_own_moves_once_in_order(redis_url, tmp_path):
    paths = [tmp_path / "one.jsonl", tmp_path / "two.jsonl"]

    async def steps(one, two):
        wall = ticking_wall()
        for local, path in zip((one, two), paths):
            local.relay.audit.trail = FileTrail(str(path))
            local.relay.audit.wall = wall
        async with one.peer("visitor", VISITOR_ADDRESS) as customer:
            started = await start(customer)
            async with two.peer("agent", AGENT_ADDRESS) as alice:
                joined = await join(alice, started["accessCode"])
                await customer.expect("agent_joined")
                await granted(customer, alice, joined)
                await alice.send("act", action={"kind": "click", "id": 4, "x": 1, "y": 1, "path": "a#next"})
                await customer.expect("act")
                await alice.send("release_control")
                await customer.expect("control_end")
                await alice.send("leave")
                await customer.expect("agent_left")
            # Nobody joins again: the wait timer ends the session, on one process only.
            await one.advance(301)
            assert (await customer.expect("ended"))["reason"] == "USER_TIMEOUT"

    run_relays(steps, 2, redis_url)
    one, two = (lines(path) for path in paths)
    assert {line["event"] for line in one} >= {"session_started", "control_granted"}
    assert {line["event"] for line in two} >= {"agent_connected", "control_requested", "control_action",
                                               "control_released", "agent_disconnected"}
    assert len({line["process"] for line in one}) == len({line["process"] for line in two}) == 1
    merged = sorted(one + two, key=lambda line: line["time"])
    assert [line["event"] for line in merged] == [
        "session_started", "agent_connected", "control_requested", "control_granted", "control_action",
        "control_released", "agent_disconnected", "session_ended"]
    assert merged[-1]["reason"] == "USER_TIMEOUT"


def test_an_unwritable_audit_log_refuses_sessions_joins_and_control_and_recovers(run_relay, tmp_path, caplog):
    target = tmp_path / "audit.jsonl"
    link = tmp_path / "current.jsonl"
    os.symlink(target, link)
    trail = FileTrail(str(link))

    def disk(full):
        """The disk fills up (the open log's descriptor now gives ENOSPC, as does the path
        opened again), or has room again."""
        link.unlink()
        os.symlink("/dev/full" if full else target, link)
        if full and trail.fd is not None:
            dev_full = os.open("/dev/full", os.O_WRONLY)
            os.dup2(dev_full, trail.fd)
            os.close(dev_full)

    async def steps(server):
        async with server.peer("visitor", VISITOR_ADDRESS) as customer:
            started = await start(customer)
            async with agent(server, address=AGENT_ADDRESS) as alice:
                joined = await join(alice, started["accessCode"])
                await customer.expect("agent_joined")
                disk(full=True)
                # The live view goes on.
                await customer.send_raw(SNAPSHOT)
                assert await next_view_text(alice) == SNAPSHOT
                await alice.send("request_control")
                error = await alice.expect_error("unavailable")
                assert "try again" in error["message"]
                assert trail.health() == "the audit log %s cannot be written: No space left on device" % link
                async with agent(server, address="127.210.0.2") as bob:
                    await bob.send("join", code=started["accessCode"], name="Bob")
                    await bob.expect_error("unavailable")
                async with server.peer("visitor", "203.0.113.8") as other:
                    await other.send("start", siteCode="ACME-1")
                    await other.expect_error("unavailable")
                # Nothing happened: the visitor heard of no request and no second agent.
                await quiet(customer)
                disk(full=False)
                await alice.send("request_control")
                assert (await customer.expect("control_request"))["id"] == joined["id"]
                assert trail.health() is None

    with caplog.at_level(logging.WARNING, logger="cobrowse"):
        run_relay(steps, audit=trail)
    outages = [record.getMessage() for record in caplog.records if "audit log" in record.getMessage()]
    assert len(outages) == 2, outages  # Once when it failed (three refusals), once when it came back.
    assert "cannot be written" in outages[0] and "written again" in outages[1]
    events = [line["event"] for line in lines(target)]
    assert events == ["session_started", "agent_connected", "control_requested"]


def test_a_log_whose_folder_cannot_be_made_refuses_every_start(run_relay, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    trail = FileTrail(str(blocker / "audit.jsonl"))

    async def steps(server):
        async with server.peer("visitor", VISITOR_ADDRESS) as customer:
            await customer.send("start", siteCode="ACME-1")
            await customer.expect_error("unavailable")
            assert "Not a directory" in trail.health()

    run_relay(steps, audit=trail)
