"""Unit tests for cobrowse.server.backends.store: the in-memory session store, its access codes and secrets,
and the limiter of failed joins.

The store's methods are coroutines; each test runs its steps with ``run_async``.
"""

import inspect
import json
import re

import pytest

from cobrowse.server.backends import records
from cobrowse.core.protocol import MAX_VIEW_CHARS
from cobrowse.server.backends.limiter import JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS, JoinLimiter
from cobrowse.server.backends.memory.limiter import MemoryJoinLimiter
from cobrowse.server.backends.memory.store import MemoryStore
from cobrowse.server.backends.memory.views import MemoryViewLog
from cobrowse.server.backends.records import RETIRED_CODE_SECONDS, new_access_code, new_token
from cobrowse.server.backends.store import SessionStore
from cobrowse.server.backends.views import LOST, VIEW_LOG_CHARS, ViewLog
from support.loop import run_async as run




class Draws:
    """Stands in for ``secrets.randbelow``: hands out the given numbers, in order."""

    def __init__(self, *numbers):
        self.numbers = list(numbers)
        self.calls = []

    def __call__(self, limit):
        self.calls.append(limit)
        return self.numbers.pop(0)


class Clock:
    """Stands in for the store's and limiter's clock: one the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def draws(monkeypatch, *numbers):
    fake = Draws(*numbers)
    monkeypatch.setattr(records.secrets, "randbelow", fake)
    return fake


# -- access codes -----------------------------------------------------------------------------


def test_access_codes_are_six_digits_with_leading_zeros(monkeypatch):
    fake = draws(monkeypatch, 42, 0, 999999)
    assert [new_access_code(set()) for _ in range(3)] == ["000042", "000000", "999999"]
    assert fake.calls == [1_000_000] * 3


def test_real_access_codes_are_six_digits_and_unique_among_live_sessions():
    async def scenario():
        memory = MemoryStore()
        return [(await memory.create("S"))["accessCode"] for _ in range(2000)]

    codes = run(scenario())
    assert all(re.fullmatch(r"\d{6}", code) for code in codes)
    assert len(set(codes)) == len(codes)


def test_a_code_that_is_taken_is_drawn_again(monkeypatch):
    draws(monkeypatch, 42, 42, 7)
    assert new_access_code({"000042"}) == "000007"


def test_codes_run_out_rather_than_loop_forever():
    class Taken:
        def __len__(self):
            return 900_000

        def __contains__(self, code):
            return True

    with pytest.raises(RuntimeError, match="access codes are exhausted"):
        new_access_code(Taken())


def test_a_live_sessions_code_is_not_handed_out_again(monkeypatch):
    fake = draws(monkeypatch, 42, 42, 42, 7)

    async def scenario():
        memory = MemoryStore()
        first = await memory.create("S")
        second = await memory.create("S")
        return first["accessCode"], second["accessCode"]

    assert run(scenario()) == ("000042", "000007")
    assert fake.numbers == []


def test_an_ended_sessions_code_is_retired_for_an_hour(monkeypatch, clock):
    draws(monkeypatch, 42, 42, 99, 42)

    async def scenario():
        memory = MemoryStore(clock)
        first = await memory.create("S")
        await memory.end(first["accessCode"])
        # Just before the hour is over the code is still retired: 42 is drawn and refused.
        clock.now += RETIRED_CODE_SECONDS - 1
        second = await memory.create("S")
        await memory.end(second["accessCode"])
        # Once the hour is over the first code may come back.
        clock.now += 2
        third = await memory.create("S")
        return first["accessCode"], second["accessCode"], third["accessCode"]

    assert RETIRED_CODE_SECONDS == 3600
    assert run(scenario()) == ("000042", "000099", "000042")


# -- sessions ---------------------------------------------------------------------------------


def test_the_store_interface_is_all_coroutines():
    names = ["create", "get", "find", "update", "add_agent", "remove_agent", "end", "by_token", "new_token",
             "agent_by_token", "new_agent_token", "change", "attach", "detach", "mark_silent"]
    for name in names:
        assert inspect.iscoroutinefunction(getattr(SessionStore, name)), name
        assert inspect.iscoroutinefunction(getattr(MemoryStore, name)), name
    with pytest.raises(TypeError):
        SessionStore()


def test_create_returns_a_json_ready_session(clock):
    async def scenario():
        memory = MemoryStore()
        return await memory.create("ACME-1", sid="chat-42", url="https://shop.example/", network_timeout=45)

    session = run(scenario())
    assert set(session) == {"accessCode", "SID", "siteCode", "url", "title", "agents", "created", "token", "networkTimeout",
                            "visitor"}
    assert (session["SID"], session["siteCode"], session["url"], session["title"], session["agents"]) == (
        "chat-42", "ACME-1", "https://shop.example/", None, [])
    assert session["networkTimeout"] == 45
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", session["token"])
    assert isinstance(session["created"], float)
    assert json.loads(json.dumps(session)) == session


def test_lookup_by_code_and_by_sid():
    async def scenario():
        memory = MemoryStore()
        standalone = await memory.create("S")
        integrated = await memory.create("S", sid="chat-42")
        code = integrated["accessCode"]
        return standalone, integrated, {
            "get code": await memory.get(code),
            "get sid": await memory.get("chat-42"),
            "find code": await memory.find(code),
            "find sid": await memory.find("chat-42"),
            "find standalone": await memory.find(standalone["accessCode"]),
            "find unknown": await memory.find("nobody"),
            "get unknown": await memory.get("123456" if code != "123456" else "654321"),
            "find empty": await memory.find(""),
            "find None": await memory.find(None),
        }

    standalone, integrated, found = run(scenario())
    assert found["get code"] is integrated
    assert found["get sid"] is None
    assert found["find code"] is integrated
    assert found["find sid"] is integrated
    assert found["find standalone"] is standalone
    assert found["find unknown"] is None
    assert found["get unknown"] is None
    assert found["find empty"] is None
    assert found["find None"] is None


def test_an_ended_code_and_sid_no_longer_resolve():
    async def scenario():
        memory = MemoryStore()
        session = await memory.create("S", sid="chat-42")
        code = session["accessCode"]
        ended = await memory.end(code)
        return session, ended, [
            await memory.get(code),
            await memory.find(code),
            await memory.find("chat-42"),
            await memory.update(code, url="https://x.example/"),
            await memory.add_agent(code, {"id": "a1", "name": "Alice"}),
            await memory.remove_agent(code, "a1"),
            await memory.end(code),
        ]

    session, ended, after = run(scenario())
    assert ended is session
    assert after == [None] * 7


def test_a_sid_reused_by_a_later_session_survives_the_earlier_ones_end():
    async def scenario():
        memory = MemoryStore()
        first = await memory.create("S", sid="chat-42")
        second = await memory.create("S", sid="chat-42")
        await memory.end(first["accessCode"])
        return second, await memory.find("chat-42")

    second, found = run(scenario())
    assert found is second


def test_update_sets_fields_of_a_live_session():
    async def scenario():
        memory = MemoryStore()
        session = await memory.create("S", url="https://shop.example/")
        updated = await memory.update(session["accessCode"], url="https://shop.example/p/1", title="Product")
        return updated, await memory.get(session["accessCode"])

    updated, stored = run(scenario())
    assert updated is stored
    assert (stored["url"], stored["title"]) == ("https://shop.example/p/1", "Product")


def test_agents_are_added_and_removed_by_id():
    alice, bob = {"id": "a1", "name": "Alice"}, {"id": "b2", "name": "Bob"}

    async def scenario():
        memory = MemoryStore()
        code = (await memory.create("S"))["accessCode"]
        await memory.add_agent(code, alice)
        added = await memory.add_agent(code, bob)
        agents_then = list(added["agents"])
        removed = await memory.remove_agent(code, "a1")
        again = await memory.remove_agent(code, "a1")
        unknown = await memory.remove_agent(code, "zz")
        return agents_then, removed, again, unknown, (await memory.get(code))["agents"]

    agents_then, removed, again, unknown, agents_now = run(scenario())
    assert agents_then == [alice, bob]
    assert removed == alice
    assert again is None and unknown is None
    assert agents_now == [bob]


def test_a_change_is_applied_to_a_live_session_only():
    async def scenario():
        memory = MemoryStore()
        code = (await memory.create("S"))["accessCode"]

        def grant(session):
            session["control"] = "a1"
            return session["control"]

        granted = await memory.change(code, grant)
        unchanged = await memory.change(code, lambda session: None)
        await memory.end(code)
        return granted, unchanged, await memory.change(code, grant)

    assert run(scenario()) == ("a1", None, None)


def test_sessions_are_independent():
    async def scenario():
        memory = MemoryStore()
        one = await memory.create("S")
        two = await memory.create("S")
        await memory.add_agent(one["accessCode"], {"id": "a1", "name": "Alice"})
        await memory.end(one["accessCode"])
        return await memory.get(two["accessCode"])

    two = run(scenario())
    assert two is not None and two["agents"] == []


# -- secrets ----------------------------------------------------------------------------------


def test_tokens_are_192_bits_from_secrets(monkeypatch):
    calls = []
    monkeypatch.setattr(records.secrets, "token_urlsafe", lambda size: calls.append(size) or "t%d" % len(calls))
    assert new_token() == "t1"
    assert calls == [24]


def test_real_tokens_are_url_safe_and_distinct():
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in tokens)


def test_a_session_is_found_by_its_current_token_only():
    async def scenario():
        memory = MemoryStore()
        session = await memory.create("S")
        other = await memory.create("S")
        first = session["token"]
        found_first = await memory.by_token(first)
        second = await memory.new_token(session["accessCode"])
        return session, other, first, second, {
            "first": found_first,
            "first after rotation": await memory.by_token(first),
            "second": await memory.by_token(second),
            "other": await memory.by_token(other["token"]),
            "unknown": await memory.by_token("nope"),
            "stored": session["token"],
        }

    session, other, first, second, found = run(scenario())
    assert second != first
    assert found["first"] is session
    assert found["first after rotation"] is None
    assert found["second"] is session
    assert found["other"] is other
    assert found["unknown"] is None
    assert found["stored"] == second


def test_an_ended_sessions_tokens_no_longer_resolve():
    async def scenario():
        memory = MemoryStore()
        session = await memory.create("S")
        code = session["accessCode"]
        await memory.add_agent(code, {"id": "a1", "name": "Alice", "token": "agent-secret"})
        await memory.end(code)
        return [await memory.by_token(session["token"]), await memory.agent_by_token("agent-secret"),
                await memory.new_token(code), await memory.new_agent_token(code, "a1")]

    assert run(scenario()) == [None] * 4


def test_an_agent_is_found_by_its_current_token_only():
    async def scenario():
        memory = MemoryStore()
        session = await memory.create("S")
        code = session["accessCode"]
        alice = {"id": "a1", "name": "Alice", "token": "alice-1"}
        await memory.add_agent(code, alice)
        found = await memory.agent_by_token("alice-1")
        rotated = await memory.new_agent_token(code, "a1")
        return session, alice, found, rotated, {
            "old": await memory.agent_by_token("alice-1"),
            "new": await memory.agent_by_token(rotated),
            "unknown agent": await memory.new_agent_token(code, "zz"),
            "removed": await memory.remove_agent(code, "a1"),
            "after removal": await memory.agent_by_token(rotated),
        }

    session, alice, found, rotated, after = run(scenario())
    assert found == (session, alice)
    assert rotated != "alice-1" and alice["token"] == rotated
    assert after["old"] is None
    assert after["new"] == (session, alice)
    assert after["unknown agent"] is None
    assert after["removed"] is alice
    assert after["after removal"] is None


# -- the join limiter -------------------------------------------------------------------------


def test_the_limiter_interface_is_all_coroutines():
    for name in ["retry_after", "failed"]:
        assert inspect.iscoroutinefunction(getattr(JoinLimiter, name)), name
        assert inspect.iscoroutinefunction(getattr(MemoryJoinLimiter, name)), name
    with pytest.raises(TypeError):
        JoinLimiter()


def test_five_failures_a_minute_are_heard_and_the_sixth_waits(clock):
    async def scenario():
        limiter = MemoryJoinLimiter(clock=clock)
        waits = []
        for _ in range(JOIN_ATTEMPTS):
            waits.append(await limiter.retry_after("me"))
            await limiter.failed("me")
            clock.now += 1
        # Five failures at t=0..4; now t=5: wait until the first is a minute old (t=60).
        waits.append(await limiter.retry_after("me"))
        clock.now += 54.5
        waits.append(await limiter.retry_after("me"))
        clock.now += 0.5
        waits.append(await limiter.retry_after("me"))
        return waits

    assert (JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS) == (5, 60)
    assert run(scenario()) == [0, 0, 0, 0, 0, 55, 1, 0]


def test_clients_are_limited_separately_and_forgotten_when_quiet(clock):
    async def scenario():
        limiter = MemoryJoinLimiter(attempts=2, window=10, clock=clock)
        for _ in range(2):
            await limiter.failed(("key", "10.0.0.1"))
        limited = await limiter.retry_after(("key", "10.0.0.1"))
        other = await limiter.retry_after(("key", "10.0.0.2"))
        clock.now += 11
        # Another client's failure sweeps the quiet one away.
        await limiter.failed(("key", "10.0.0.2"))
        return limited, other, await limiter.retry_after(("key", "10.0.0.1")), set(limiter._failures)

    limited, other, later, remembered = run(scenario())
    assert limited == 10 and other == 0 and later == 0
    assert remembered == {("key", "10.0.0.2")}


# -- the view log ------------------------------------------------------------------------------


def test_the_view_log_interface_is_all_coroutines():
    for name in ("record", "read", "drop", "close"):
        assert inspect.iscoroutinefunction(getattr(ViewLog, name)), name
        assert inspect.iscoroutinefunction(getattr(MemoryViewLog, name)), name


async def replay(log, code):
    """What a late joiner of session ``code`` is sent: the log's texts, or None, or LOST."""
    head, entries = await log.read(code, 0, 1000)
    return entries if entries in (None, LOST) else [text for seq, text in entries]


def test_a_log_starts_at_a_full_snapshot_and_keeps_the_changes_after_it():
    async def steps():
        log = MemoryViewLog()
        assert await replay(log, "111111") is None
        await log.record("111111", "change before any snapshot", False)
        assert await replay(log, "111111") is None
        await log.record("111111", "snapshot 1", True)
        await log.record("111111", "change 1", False)
        await log.record("222222", "other session", True)
        assert await replay(log, "111111") == ["snapshot 1", "change 1"]
        await log.record("111111", "snapshot 2", True)
        await log.record("111111", "change 2", False)
        assert await replay(log, "111111") == ["snapshot 2", "change 2"]
        assert await replay(log, "222222") == ["other session"]
        await log.drop("111111")
        await log.drop("111111")
        assert await replay(log, "111111") is None
        assert await replay(log, "222222") == ["other session"]

    run(steps())


def test_a_log_past_its_limit_is_lost_until_the_next_snapshot():
    async def steps():
        log = MemoryViewLog(limit=10)
        await log.record("111111", "12345", True)
        await log.record("111111", "12345", False)
        assert await replay(log, "111111") == ["12345", "12345"]
        await log.record("111111", "1", False)
        assert await replay(log, "111111") == LOST
        await log.record("111111", "later", False)
        assert await replay(log, "111111") == LOST
        await log.record("111111", "fresh", True)
        assert await replay(log, "111111") == ["fresh"]

    run(steps())


def test_view_messages_are_numbered_and_read_in_batches_after_an_offset():
    async def steps():
        log = MemoryViewLog()
        numbers = [await log.record("111111", "change %d" % n, False) for n in (1, 2)]
        numbers.append(await log.record("111111", "snapshot", True))
        for n in range(3, 8):
            numbers.append(await log.record("111111", "change %d" % n, False))
        assert numbers == list(range(1, 9))
        # A reader who has seen up to 5 gets what follows, two at a time.
        assert await log.read("111111", 5, 2) == (8, [(6, "change 5"), (7, "change 6")])
        assert await log.read("111111", 7, 2) == (8, [(8, "change 7")])
        assert await log.read("111111", 8, 2) == (8, [])
        # One who missed messages before the snapshot starts again from the snapshot.
        assert await log.read("111111", 1, 2) == (8, [(3, "snapshot"), (4, "change 3")])
        # Dropping the log keeps the numbers; closing the session forgets them.
        await log.drop("111111")
        assert await log.read("111111", 0) == (8, None)
        assert await log.record("111111", "change 8", False) == 9
        await log.close("111111")
        assert await log.read("111111", 0) == (0, None)

    run(steps())


def test_the_default_limit_holds_two_of_the_largest_views():
    assert MemoryViewLog().limit == VIEW_LOG_CHARS >= 2 * MAX_VIEW_CHARS
