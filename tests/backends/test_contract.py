"""The backends' contract: every interface of ``cobrowse.server.backends`` (the store, the view
log, the join limiter, the engine's publications, timers and presence), each method of it,
held by the memory backend and by Redis alike (``conftest.py`` feeds each test both).

Each test is a coroutine function ``scenario(made)`` handed to ``backend``; ``made`` makes the
backend's parts and moves its time by hand.
"""

import asyncio
import inspect
import json
import re

import pytest

from cobrowse.server.backends import records
from cobrowse.server.backends.broker import CLOSE, ENDED, TO_AGENT, TO_AGENTS, TO_VISITOR, VIEW, Broker
from cobrowse.server.backends.engine import Engine
from cobrowse.server.backends.limiter import JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS, JoinLimiter
from cobrowse.server.backends.presence import Presence
from cobrowse.server.backends.records import GONE, VISITOR, attachment
from cobrowse.server.backends.store import SessionStore
from cobrowse.server.backends.timers import Timers
from cobrowse.server.backends.views import LOST, VIEW_LOG_CHARS, ViewLog
from cobrowse.core.protocol import MAX_VIEW_CHARS


def coroutine_names(interface):
    """The names of the coroutine methods of a Protocol, its bases' included."""
    return sorted({name for klass in interface.__mro__ if klass is not object
                   for name, member in vars(klass).items() if inspect.iscoroutinefunction(member)})


def draws(monkeypatch, *numbers):
    """``secrets.randbelow`` hands out ``numbers``, in order (the access codes drawn)."""
    left = list(numbers)
    monkeypatch.setattr(records.secrets, "randbelow", lambda limit: left.pop(0))
    return left


# -- the interfaces ---------------------------------------------------------------------------


def test_the_interfaces_are_protocols_of_coroutines():
    assert coroutine_names(SessionStore) == sorted([
        "create", "get", "sessions", "find", "update", "add_agent", "remove_agent", "end", "by_token", "new_token",
        "agent_by_token", "new_agent_token", "change", "attach", "detach", "mark_silent"])
    assert coroutine_names(JoinLimiter) == ["failed", "retry_after"]
    assert coroutine_names(ViewLog) == ["close", "drop", "read", "record"]
    assert coroutine_names(Broker) == ["publish", "publish_view", "subscribe", "unsubscribe"]
    assert coroutine_names(Timers) == ["cancel", "schedule"]
    assert coroutine_names(Presence) == ["alive"]
    assert set(coroutine_names(Engine)) == {"start", "stop", *coroutine_names(Broker), *coroutine_names(Timers),
                                            *coroutine_names(Presence)}
    for interface in (SessionStore, JoinLimiter, ViewLog, Engine):
        with pytest.raises(TypeError):
            interface()


def test_every_backend_offers_every_method_as_a_coroutine(backend):
    async def scenario(made):
        engine = await made.engine(made.heard())
        parts = [(SessionStore, made.stores(1)[0]), (JoinLimiter, made.limiter()), (ViewLog, made.views()),
                 (Engine, engine), (SessionStore, engine.store), (JoinLimiter, engine.limiter), (ViewLog, engine.views)]
        for interface, part in parts:
            for name in coroutine_names(interface):
                assert inspect.iscoroutinefunction(getattr(part, name)), (part, name)
        assert isinstance(engine.process, str) and engine.process
        assert engine.health() is None

    backend(scenario)


# -- the session store ------------------------------------------------------------------------


def test_create_returns_a_json_ready_session(backend):
    async def scenario(made):
        store, = made.stores(1)
        session = await store.create("ACME-1", sid="chat-42", url="https://shop.example/", network_timeout=45)
        assert set(session) == {"accessCode", "SID", "siteCode", "url", "title", "agents", "created", "token",
                                "networkTimeout", "visitor"}
        assert (session["SID"], session["siteCode"], session["url"], session["title"], session["agents"]) == (
            "chat-42", "ACME-1", "https://shop.example/", None, [])
        assert session["networkTimeout"] == 45 and session["visitor"] is None
        assert re.fullmatch(r"\d{6}", session["accessCode"])
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", session["token"])
        assert isinstance(session["created"], float)
        assert json.loads(json.dumps(session)) == session
        assert await store.get(session["accessCode"]) == session

    backend(scenario)


def test_real_access_codes_are_unique_among_live_sessions(backend):
    async def scenario(made):
        store, = made.stores(1)
        codes = [(await store.create("S"))["accessCode"] for _ in range(2000)]
        assert all(re.fullmatch(r"\d{6}", code) for code in codes)
        assert len(set(codes)) == len(codes)

    backend(scenario)


def test_a_live_sessions_code_is_not_handed_out_again(backend, monkeypatch):
    left = draws(monkeypatch, 42, 42, 7)

    async def scenario(made):
        store, = made.stores(1)
        first = await store.create("S")
        second = await store.create("S")
        return first["accessCode"], second["accessCode"]

    assert backend(scenario) == ("000042", "000007")
    assert left == []


def test_an_ended_sessions_code_is_not_handed_out_at_once(backend, monkeypatch):
    draws(monkeypatch, 42, 42, 99)

    async def scenario(made):
        store, = made.stores(1)
        first = await store.create("S")
        await store.end(first["accessCode"])
        return first["accessCode"], (await store.create("S"))["accessCode"]

    assert backend(scenario) == ("000042", "000099")


def test_lookup_by_code_and_by_sid(backend):
    async def scenario(made):
        store, = made.stores(1)
        standalone = await store.create("S")
        integrated = await store.create("S", sid="chat-42")
        code = integrated["accessCode"]
        assert await store.get(code) == integrated
        assert await store.get("chat-42") is None
        assert await store.find(code) == integrated
        assert await store.find("chat-42") == integrated
        assert await store.find(standalone["accessCode"]) == standalone
        assert await store.find("nobody") is None
        assert await store.get("123456" if code != "123456" else "654321") is None
        assert await store.find("") is None
        assert await store.find(None) is None

    backend(scenario)


def test_sessions_lists_every_live_session_and_no_ended_one(backend):
    async def scenario(made):
        one, other = made.stores(2)
        assert await one.sessions() == []
        first = await one.create("S", sid="chat-1")
        second = await other.create("T")
        ended = await other.create("S")
        await one.add_agent(first["accessCode"], {"id": "a1", "name": "Alice", "role": "agent", "token": "t"})
        await one.end(ended["accessCode"])
        for store in (one, other):
            listed = sorted(await store.sessions(), key=lambda session: session["siteCode"])
            assert [session["accessCode"] for session in listed] == [first["accessCode"], second["accessCode"]]
            assert listed[0]["agents"] == [{"id": "a1", "name": "Alice", "role": "agent", "token": "t"}]

    backend(scenario)


def test_an_ended_code_and_sid_no_longer_resolve(backend):
    async def scenario(made):
        store, = made.stores(1)
        session = await store.create("S", sid="chat-42")
        code = session["accessCode"]
        assert await store.end(code) == session
        assert [await store.get(code), await store.find(code), await store.find("chat-42"),
                await store.update(code, url="https://x.example/"),
                await store.add_agent(code, {"id": "a1", "name": "Alice", "token": "t"}),
                await store.remove_agent(code, "a1"), await store.end(code),
                await store.change(code, lambda session: "changed"),
                await store.attach(code, VISITOR, "p.1"), await store.detach(code, VISITOR, "p.1")] == [None] * 10
        await store.mark_silent(code, VISITOR, "p.1", True)
        assert await store.get(code) is None

    backend(scenario)


def test_a_sid_reused_by_a_later_session_survives_the_earlier_ones_end(backend):
    async def scenario(made):
        store, = made.stores(1)
        first = await store.create("S", sid="chat-42")
        second = await store.create("S", sid="chat-42")
        await store.end(first["accessCode"])
        assert await store.find("chat-42") == second

    backend(scenario)


def test_update_sets_fields_of_a_live_session(backend):
    async def scenario(made):
        store, = made.stores(1)
        session = await store.create("S", url="https://shop.example/")
        updated = await store.update(session["accessCode"], url="https://shop.example/p/1", title="Product")
        stored = await store.get(session["accessCode"])
        assert updated == stored
        assert (stored["url"], stored["title"]) == ("https://shop.example/p/1", "Product")

    backend(scenario)


def test_agents_are_added_and_removed_by_id(backend):
    alice, bob = {"id": "a1", "name": "Alice", "token": "alice-1"}, {"id": "b2", "name": "Bob", "token": "bob-1"}

    async def scenario(made):
        store, = made.stores(1)
        code = (await store.create("S"))["accessCode"]
        await store.add_agent(code, dict(alice))
        added = await store.add_agent(code, dict(bob))
        assert added["agents"] == [alice, bob]
        assert await store.remove_agent(code, "a1") == alice
        assert await store.remove_agent(code, "a1") is None
        assert await store.remove_agent(code, "zz") is None
        assert (await store.get(code))["agents"] == [bob]

    backend(scenario)


def test_a_change_is_applied_to_a_live_session_only(backend):
    async def scenario(made):
        store, = made.stores(1)
        code = (await store.create("S"))["accessCode"]

        def grant(session):
            session["control"] = "a1"
            return session["control"]

        def look_only(session):
            session["control"] = "not kept"
            return None

        assert await store.change(code, grant) == "a1"
        assert (await store.get(code))["control"] == "a1"
        assert await store.change(code, look_only) is None
        await store.end(code)
        assert await store.change(code, grant) is None

    backend(scenario)


def test_changes_raced_from_two_processes_all_land(backend):
    async def scenario(made):
        one, two = made.stores(2)
        code = (await one.create("S"))["accessCode"]

        def count(who):
            def increment(session):
                session.setdefault("counts", {}).setdefault(who, 0)
                session["counts"][who] += 1
                return session["counts"][who]
            return increment

        numbers = await asyncio.gather(*[store.change(code, count(name)) for _ in range(20)
                                         for store, name in ((one, "one"), (two, "two"))])
        assert sorted(numbers) == sorted(list(range(1, 21)) * 2)
        assert (await two.get(code))["counts"] == {"one": 20, "two": 20}

    backend(scenario)


def test_sessions_are_independent(backend):
    async def scenario(made):
        store, = made.stores(1)
        one = await store.create("S")
        two = await store.create("S")
        await store.add_agent(one["accessCode"], {"id": "a1", "name": "Alice", "token": "t"})
        await store.end(one["accessCode"])
        assert (await store.get(two["accessCode"]))["agents"] == []

    backend(scenario)


def test_a_session_is_found_by_its_current_token_only(backend):
    async def scenario(made):
        store, = made.stores(1)
        session = await store.create("S")
        other = await store.create("S")
        code, first = session["accessCode"], session["token"]
        assert await store.by_token(first) == session
        second = await store.new_token(code)
        assert second != first and re.fullmatch(r"[A-Za-z0-9_-]{32}", second)
        assert await store.by_token(first) is None
        assert (await store.by_token(second))["accessCode"] == code
        assert await store.by_token(other["token"]) == other
        assert await store.by_token("nope") is None
        assert (await store.get(code))["token"] == second

    backend(scenario)


def test_an_ended_sessions_tokens_no_longer_resolve(backend):
    async def scenario(made):
        store, = made.stores(1)
        session = await store.create("S")
        code = session["accessCode"]
        await store.add_agent(code, {"id": "a1", "name": "Alice", "token": "agent-secret"})
        await store.end(code)
        assert [await store.by_token(session["token"]), await store.agent_by_token("agent-secret"),
                await store.new_token(code), await store.new_agent_token(code, "a1")] == [None] * 4

    backend(scenario)


def test_an_agent_is_found_by_its_current_token_only(backend):
    async def scenario(made):
        store, = made.stores(1)
        code = (await store.create("S"))["accessCode"]
        await store.add_agent(code, {"id": "a1", "name": "Alice", "token": "alice-1"})
        session, agent = await store.agent_by_token("alice-1")
        assert session["accessCode"] == code and agent == {"id": "a1", "name": "Alice", "token": "alice-1"}
        rotated = await store.new_agent_token(code, "a1")
        assert rotated != "alice-1"
        assert await store.agent_by_token("alice-1") is None
        session, agent = await store.agent_by_token(rotated)
        assert agent["token"] == rotated and session["agents"] == [agent]
        assert await store.new_agent_token(code, "zz") is None
        assert (await store.remove_agent(code, "a1"))["token"] == rotated
        assert await store.agent_by_token(rotated) is None

    backend(scenario)


def test_a_connection_is_attached_only_over_the_attachment_it_expected(backend):
    async def scenario(made):
        store, = made.stores(1)
        code = (await store.create("S"))["accessCode"]
        first = await store.attach(code, VISITOR, "p.1")
        assert first["visitor"] == {"conn": "p.1"}
        # Another connection expecting nobody there comes too late; one expecting p.1 takes over.
        assert await store.attach(code, VISITOR, "q.1") is None
        assert (await store.attach(code, VISITOR, "q.1", {"conn": "p.1"}))["visitor"] == {"conn": "q.1"}
        # Only the attached connection detaches.
        assert await store.detach(code, VISITOR, "p.1") is None
        assert (await store.detach(code, VISITOR, "q.1"))["visitor"] is None
        assert await store.detach(code, VISITOR, "q.1") is None

    backend(scenario)


def test_an_agents_attachment_and_silence(backend):
    async def scenario(made):
        store, = made.stores(1)
        code = (await store.create("S"))["accessCode"]
        await store.add_agent(code, {"id": "a1", "name": "Alice", "token": "t", "conn": None})
        assert attachment(await store.attach(code, "a1", "p.2"), "a1") == {"conn": "p.2"}
        await store.mark_silent(code, "a1", "p.2", True)
        assert attachment(await store.get(code), "a1") == {"conn": "p.2", "silent": True}
        # Another connection's silence is not this one's.
        await store.mark_silent(code, "a1", "p.9", False)
        assert attachment(await store.get(code), "a1") == {"conn": "p.2", "silent": True}
        await store.mark_silent(code, "a1", "p.2", False)
        assert attachment(await store.get(code), "a1") == {"conn": "p.2"}
        # An agent who left is gone: nothing attaches for it.
        await store.remove_agent(code, "a1")
        assert attachment(await store.get(code), "a1") == GONE
        assert await store.attach(code, "a1", "p.3") is None
        assert await store.attach(code, "a1", "p.3", GONE) is None

    backend(scenario)


# -- the view log -----------------------------------------------------------------------------


async def replay(log, code):
    """What a late joiner of session ``code`` is sent: the log's texts, or None, or LOST."""
    head, entries = await log.read(code, 0, 1000)
    return entries if entries in (None, LOST) else [text for seq, text in entries]


def test_a_log_starts_at_a_full_snapshot_and_keeps_the_changes_after_it(backend):
    async def scenario(made):
        log = made.views()
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

    backend(scenario)


def test_a_log_past_its_limit_is_lost_until_the_next_snapshot(backend):
    async def scenario(made):
        log = made.views(limit=10)
        await log.record("111111", "12345", True)
        await log.record("111111", "12345", False)
        assert await replay(log, "111111") == ["12345", "12345"]
        await log.record("111111", "1", False)
        assert await replay(log, "111111") == LOST
        await log.record("111111", "later", False)
        assert await replay(log, "111111") == LOST
        await log.record("111111", "fresh", True)
        assert await replay(log, "111111") == ["fresh"]

    backend(scenario)


def test_view_messages_are_numbered_and_read_in_batches_after_an_offset(backend):
    async def scenario(made):
        log = made.views()
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
        assert await log.read("111111") == (8, [(3, "snapshot")] + [(n + 1, "change %d" % n) for n in range(3, 8)])
        # Dropping the log keeps the numbers; closing the session forgets them.
        await log.drop("111111")
        assert await log.read("111111", 0) == (8, None)
        assert await log.record("111111", "change 8", False) == 9
        await log.close("111111")
        assert await log.read("111111", 0) == (0, None)
        assert await log.record("111111", "after the end", False) == 1

    backend(scenario)


def test_a_log_keeps_any_text_as_it_came(backend):
    texts = ['{"type": 2, "data": "é€\\n"}', "line\nbreak", "-1 looks like an id", "x" * 70_000]

    async def scenario(made):
        log = made.views()
        await log.record("111111", texts[0], True)
        for text in texts[1:]:
            await log.record("111111", text, False)
        assert await replay(log, "111111") == texts

    backend(scenario)


def test_the_default_limit_holds_two_of_the_largest_views(backend):
    async def scenario(made):
        assert made.views().limit == VIEW_LOG_CHARS >= 2 * MAX_VIEW_CHARS

    backend(scenario)


# -- the join limiter -------------------------------------------------------------------------


def test_five_failures_a_minute_are_heard_and_the_sixth_waits(backend):
    async def scenario(made):
        limiter = made.limiter()
        waits = []
        for _ in range(JOIN_ATTEMPTS):
            waits.append(await limiter.retry_after("me"))
            await limiter.failed("me")
            await made.advance(1)
        # Five failures at t=0..4; now t=5: wait until the first is a minute old (t=60).
        waits.append(await limiter.retry_after("me"))
        await made.advance(54.5)
        waits.append(await limiter.retry_after("me"))
        await made.advance(0.5)
        waits.append(await limiter.retry_after("me"))
        return waits

    assert (JOIN_ATTEMPTS, JOIN_WINDOW_SECONDS) == (5, 60)
    assert backend(scenario) == [0, 0, 0, 0, 0, 55, 1, 0]


def test_clients_are_limited_separately(backend):
    async def scenario(made):
        limiter = made.limiter(attempts=2, window=10)
        for _ in range(2):
            await limiter.failed(("key", "10.0.0.1"))
        assert await limiter.retry_after(("key", "10.0.0.1")) == 10
        assert await limiter.retry_after(("key", "10.0.0.2")) == 0
        assert await limiter.retry_after(("other key", "10.0.0.1")) == 0
        await made.advance(11)
        assert await limiter.retry_after(("key", "10.0.0.1")) == 0

    backend(scenario)


def test_refused_joins_are_not_counted(backend):
    async def scenario(made):
        limiter = made.limiter(attempts=2, window=10)
        await limiter.failed("me")
        await made.advance(3)
        await limiter.failed("me")
        assert await limiter.retry_after("me") == 7
        await made.advance(7)
        # The oldest failure is out of the window: one more try is heard.
        assert await limiter.retry_after("me") == 0
        await limiter.failed("me")
        assert await limiter.retry_after("me") == 3

    backend(scenario)


# -- the engine: publications -----------------------------------------------------------------


def test_a_publication_is_delivered_here_at_once_and_in_order(backend):
    async def scenario(made):
        heard = made.heard()
        engine = await made.engine(heard)
        await engine.subscribe("111111")
        sent = [("111111", TO_AGENTS, 0, '{"type": "session"}'), ("111111", TO_VISITOR, 0, "hello\nvisitor"),
                ("111111", TO_AGENT, 0, "a1 {}"), ("111111", CLOSE, 4000, "p.1"), ("222222", TO_AGENTS, 0, "other"),
                ("111111", ENDED, 1000, '{"type": "ended"}')]
        for publication in sent:
            await engine.publish(*publication)
            assert heard.delivered[-1] == publication
        assert heard.delivered == sent

    backend(scenario)


def test_a_view_is_numbered_logged_and_delivered_here(backend):
    async def scenario(made):
        heard = made.heard()
        engine = await made.engine(heard)
        await engine.subscribe("111111")
        assert await engine.publish_view("111111", "snapshot", True) == 1
        assert heard.delivered == [("111111", VIEW, 1, "snapshot")]
        assert await engine.publish_view("111111", "change", False) == 2
        assert heard.delivered[-1] == ("111111", VIEW, 2, "change")
        assert await engine.views.read("111111") == (2, [(1, "snapshot"), (2, "change")])

    backend(scenario)


def test_subscriptions_repeat_harmlessly(backend):
    async def scenario(made):
        heard = made.heard()
        engine = await made.engine(heard)
        await engine.subscribe("111111")
        await engine.subscribe("111111")
        await engine.publish("111111", TO_AGENTS, 0, "once")
        await engine.unsubscribe("111111")
        await engine.unsubscribe("111111")
        await engine.unsubscribe("333333")
        assert heard.delivered == [("111111", TO_AGENTS, 0, "once")]

    backend(scenario)


# -- the engine: timers -----------------------------------------------------------------------


def test_a_timer_fires_once_when_due(backend):
    async def scenario(made):
        heard = made.heard()
        engine = await made.engine(heard)
        await engine.schedule("visitor:111111", 30)
        await made.advance(29)
        assert heard.fired == []
        await made.advance(1.5)
        assert heard.fired == ["visitor:111111"]
        await made.advance(60)
        assert heard.fired == ["visitor:111111"]

    backend(scenario)


def test_a_timer_scheduled_again_is_replaced_and_a_cancelled_one_never_fires(backend):
    async def scenario(made):
        heard = made.heard()
        engine = await made.engine(heard)
        await engine.schedule("wait:111111", 10)
        await engine.schedule("agent:111111:a1", 10)
        await engine.schedule("wait:111111", 20)
        await engine.cancel("agent:111111:a1")
        await engine.cancel("never:scheduled")
        await made.advance(15)
        assert heard.fired == []
        await made.advance(6)
        assert heard.fired == ["wait:111111"]

    backend(scenario)


def test_timers_fire_in_the_order_they_are_due(backend):
    async def scenario(made):
        heard = made.heard()
        engine = await made.engine(heard)
        await engine.schedule("late", 3)
        await engine.schedule("early", 1)
        await made.advance(1)
        await made.advance(2)
        assert heard.fired == ["early", "late"]

    backend(scenario)


def test_a_timer_that_fails_is_logged_and_the_others_still_fire(backend, caplog):
    async def scenario(made):
        heard = made.heard()
        fire = heard.fire

        async def failing(key):
            if key == "broken":
                raise ValueError("a bug in the relay")
            await fire(key)

        heard.fire = failing
        engine = await made.engine(heard)
        await engine.schedule("broken", 1)
        await engine.schedule("fine", 1)
        await made.advance(2)
        assert heard.fired == ["fine"]

    backend(scenario)
    assert "a background task failed" in caplog.text and "a bug in the relay" in caplog.text


def test_no_timer_fires_once_the_engine_stopped(backend):
    async def scenario(made):
        heard = made.heard()
        engine = await made.engine(heard)
        await engine.schedule("wait:111111", 1)
        await made.stop(engine)
        await made.advance(5)
        assert heard.fired == []

    backend(scenario)


# -- the engine: presence ---------------------------------------------------------------------


def test_this_process_is_alive_and_one_never_heard_of_is_not(backend):
    async def scenario(made):
        engine = await made.engine(made.heard())
        await made.advance(0)
        assert await engine.alive(engine.process)
        assert not await engine.alive("no-such-process")
        assert engine.health() is None

    backend(scenario)
