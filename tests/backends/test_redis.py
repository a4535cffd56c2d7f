"""What only the Redis backend does, tested directly on a redis-server of the tests' own: its
key layout (which a rolling deploy shares between versions), its transactions retried under a
concurrent write, and the ways between several processes: publications in order, a timer run
once by one of them (or by another once its claimer died), a dead process noticed, an outage
turned into ``Unavailable``."""

import asyncio
import hashlib
import json

import pytest
import redis as sync_redis

from cobrowse.server.backends import records
from cobrowse.server.backends.broker import CLOSE, TO_AGENTS, TO_VISITOR, VIEW
from cobrowse.server.backends.outage import Unavailable
from cobrowse.server.backends.records import CodesExhausted
from cobrowse.server.backends.redis.engine import RedisEngine
from cobrowse.server.backends.redis.presence import TAKEOVER_SECONDS
from cobrowse.server.backends.redis.store import CODE_DRAWS
from cobrowse.server.backends.redis.timers import TIMER_LEASE_SECONDS
from cobrowse.server.backends.redis.views import INLINE_CHARS
from support.processes import free_port

CODE = "123456"


def members(values):
    return {value.decode() for value in values}


# -- the store --------------------------------------------------------------------------------


def test_a_change_is_retried_when_another_process_wrote_the_record_meanwhile(redis_backend):
    async def scenario(made):
        store, = made.stores(1)
        code = (await store.create("S"))["accessCode"]
        other = sync_redis.Redis.from_url(made.url)
        seen = []

        def grant(session):
            seen.append(dict(session))
            if len(seen) == 1:
                # Another process changes the record between this one's read and its write.
                record = json.loads(other.get("cb:s:" + code))
                record["title"] = "written meanwhile"
                other.set("cb:s:" + code, json.dumps(record))
            session["control"] = "a1"
            return "granted"

        assert await store.change(code, grant) == "granted"
        other.close()
        assert len(seen) == 2 and seen[0]["title"] is None and seen[1]["title"] == "written meanwhile"
        stored = await store.get(code)
        assert (stored["title"], stored["control"]) == ("written meanwhile", "a1")

    redis_backend(scenario)


def test_codes_run_out_after_a_bounded_number_of_draws(redis_backend, monkeypatch):
    drawn = []
    monkeypatch.setattr(records.secrets, "randbelow", lambda limit: drawn.append(limit) or 42)

    async def scenario(made):
        store, = made.stores(1)
        assert (await store.create("S"))["accessCode"] == "000042"
        with pytest.raises(CodesExhausted, match="access codes are exhausted"):
            await store.create("S")

    redis_backend(scenario)
    assert len(drawn) == 1 + CODE_DRAWS


def test_the_key_layout_is_the_one_every_version_shares(redis_backend):
    async def scenario(made):
        store, = made.stores(1)
        client = made.client()
        session = await store.create("S", sid="chat-42")
        code, token = session["accessCode"], session["token"]
        session = await store.add_agent(code, {"id": "a1", "name": "Alice", "token": "agent-token"})
        log = made.views()
        await log.record(code, "snap", True)
        await made.limiter().failed(("key", "10.0.0.1"))
        limited = "cb:lim:" + hashlib.sha256(repr(("key", "10.0.0.1")).encode()).hexdigest()[:32]
        assert members(await client.keys("*")) == {
            "cb:s:" + code, "cb:vt:" + token, "cb:sid:chat-42", "cb:at:agent-token", "cb:seq:" + code,
            "cb:log:" + code, "cb:logm:" + code, limited}
        assert json.loads(await client.get("cb:s:" + code)) == session
        assert 86390 <= await client.ttl("cb:s:" + code) <= 86400
        assert await client.get("cb:vt:" + token) == code.encode()
        assert await client.get("cb:sid:chat-42") == code.encode()
        assert await client.get("cb:at:agent-token") == (code + " a1").encode()
        assert await client.get("cb:seq:" + code) == b"1"
        assert await client.hgetall("cb:logm:" + code) == {b"chars": b"4", b"state": b"log"}
        assert await client.xrange("cb:log:" + code) == [(b"1-1", {b"t": b"snap"})]
        assert len(await client.zrange(limited, 0, -1)) == 1
        await store.end(code)
        await log.close(code)
        assert members(await client.keys("*")) == {"cb:retired:" + code, limited}
        assert 3590 <= await client.ttl("cb:retired:" + code) <= 3600

    redis_backend(scenario)


# -- several processes ------------------------------------------------------------------------


def test_publications_reach_the_sessions_other_processes_in_order(redis_backend):
    async def scenario(made):
        here, there = made.heard(), made.heard()
        one = await made.engine(here)
        two = await made.engine(there)
        await one.subscribe(CODE)
        await two.subscribe(CODE)
        big = "B" * (INLINE_CHARS + 1)
        await one.publish(CODE, TO_AGENTS, 0, '{"type": "session"}')
        await one.publish_view(CODE, "snapshot", True)
        await one.publish(CODE, TO_VISITOR, 0, "two\nlines")
        await one.publish_view(CODE, big, False)
        await one.publish(CODE, CLOSE, 4000, "p.1")
        sent = [(CODE, TO_AGENTS, 0, '{"type": "session"}'), (CODE, VIEW, 1, "snapshot"), (CODE, TO_VISITOR, 0, "two\nlines"),
                (CODE, VIEW, 2, big), (CODE, CLOSE, 4000, "p.1")]
        await there.wait_for(len(sent))
        assert there.delivered == sent
        # The origin delivered each at once, and never hears it back.
        assert here.delivered == sent
        client = made.client()
        assert members(await client.smembers("cb:where:" + CODE)) == {one.process, two.process}
        assert members(await client.smembers("cb:pcodes:" + two.process)) == {CODE}
        # A process that let go of the session hears no more of it.
        await two.unsubscribe(CODE)
        await two.subscribe("654321")
        await one.publish(CODE, TO_AGENTS, 0, "not for two")
        await one.publish("654321", TO_AGENTS, 0, "marker")
        await there.wait_for(len(sent) + 1)
        assert there.delivered[len(sent):] == [("654321", TO_AGENTS, 0, "marker")]

    redis_backend(scenario)


def test_a_timer_fires_once_on_one_of_the_processes(redis_backend):
    async def scenario(made):
        here, there = made.heard(), made.heard()
        one = await made.engine(here)
        await made.engine(there)
        await one.schedule("wait:" + CODE, 5)
        assert await made.client().zscore("cb:timers", "wait:" + CODE) == made.wall.now + 5
        await made.advance(5)
        await made.advance(TIMER_LEASE_SECONDS + 1)
        assert here.fired + there.fired == ["wait:" + CODE]
        assert await made.client().zcard("cb:timers") == 0

    redis_backend(scenario)


def test_the_timers_of_a_process_that_stopped_fire_on_another(redis_backend):
    async def scenario(made):
        here, there = made.heard(), made.heard()
        one = await made.engine(here)
        await made.engine(there)
        await one.schedule("visitor:" + CODE, 5)
        await made.stop(one)
        await made.advance(5)
        assert (here.fired, there.fired) == ([], ["visitor:" + CODE])

    redis_backend(scenario)


def test_a_timer_whose_claimer_died_fires_on_another_after_the_lease(redis_backend):
    async def scenario(made):
        here, there = made.heard(), made.heard()
        one = await made.engine(here)
        two = await made.engine(there)
        await one.schedule("agent:%s:a1" % CODE, 1)
        made.wall.now += 1
        started = asyncio.Event()

        async def dies_while_running(key):
            started.set()
            await asyncio.Event().wait()

        claimer = asyncio.get_running_loop().create_task(one.timers.fire_due(dies_while_running))
        await asyncio.wait_for(started.wait(), 5)
        claimer.cancel()
        await asyncio.gather(claimer, return_exceptions=True)
        await two.timers.fire_due(there.fire)
        assert there.fired == []
        made.wall.now += TIMER_LEASE_SECONDS
        await two.timers.fire_due(there.fire)
        assert there.fired == ["agent:%s:a1" % CODE]

    redis_backend(scenario)


def test_a_dead_process_is_noticed_once_and_its_sessions_handed_on(redis_backend):
    async def scenario(made):
        here, there = made.heard(), made.heard()
        one = await made.engine(here)
        two = await made.engine(there)
        await two.subscribe(CODE)
        await two.subscribe("654321")
        await made.advance(0)
        client = made.client()
        assert members(await client.smembers("cb:procs")) == {one.process, two.process}
        assert await one.alive(two.process) and await two.alive(one.process)
        assert here.deaths == []
        await made.kill(two)
        assert not await one.alive(two.process)
        await made.advance(0)
        assert here.deaths == [(two.process, [CODE, "654321"])]
        await made.advance(0)
        assert len(here.deaths) == 1
        assert members(await client.smembers("cb:procs")) == {one.process}
        assert await client.exists("cb:pcodes:" + two.process, "cb:where:" + CODE) == 0

    redis_backend(scenario)


def test_a_process_silent_for_a_while_may_be_taken_over_before_it_is_dead(redis_backend):
    async def scenario(made):
        one = await made.engine(made.heard())
        two = await made.engine(made.heard())
        client = made.client()
        seconds, micros = await client.time()
        now = seconds * 1000 + micros // 1000
        # Two's last beat is older than the takeover threshold, and its key has not expired.
        await client.set("cb:proc:" + two.process, now - int(TAKEOVER_SECONDS * 1000) - 100, px=4000)
        assert not await one.alive(two.process)
        await client.set("cb:proc:" + two.process, now, px=4000)
        assert await one.alive(two.process)

    redis_backend(scenario)


def test_a_process_that_redis_forgot_registers_again(redis_backend):
    async def scenario(made):
        heard = made.heard()
        one = await made.engine(heard)
        await one.subscribe(CODE)
        await made.advance(0)
        assert heard.recoveries == 0
        client = made.client()
        await client.flushdb()
        # Publications may have been missed: the relay is told.
        await made.advance(0)
        assert heard.recoveries == 1
        assert members(await client.smembers("cb:procs")) == {one.process}
        assert members(await client.smembers("cb:where:" + CODE)) == {one.process}
        assert members(await client.smembers("cb:pcodes:" + one.process)) == {CODE}
        await made.advance(0)
        assert heard.recoveries == 1

    redis_backend(scenario)


def test_a_process_that_stops_leaves_no_trace(redis_backend):
    async def scenario(made):
        one = await made.engine(made.heard())
        two = await made.engine(made.heard())
        await one.subscribe(CODE)
        await two.subscribe(CODE)
        await made.stop(one)
        client = made.client()
        assert members(await client.smembers("cb:procs")) == {two.process}
        assert members(await client.smembers("cb:where:" + CODE)) == {two.process}
        assert await client.exists("cb:proc:" + one.process, "cb:pcodes:" + one.process) == 0

    redis_backend(scenario)


# -- an outage --------------------------------------------------------------------------------


def test_an_unreachable_redis_makes_calls_unavailable_and_health_says_why(redis_backend, caplog):
    async def scenario(made):
        heard = made.heard()
        engine = RedisEngine("redis://127.0.0.1:%d/0" % free_port(), clock=made.clock, wall=made.wall)
        await engine.start(heard.deliver, heard.fire, heard.died, heard.recovered)
        try:
            assert engine.health() == "Redis is unreachable: ConnectionError"
            for call in (engine.store.get(CODE), engine.limiter.retry_after("me"), engine.views.read(CODE),
                         engine.schedule("wait:" + CODE, 1), engine.cancel("wait:" + CODE), engine.alive("other"),
                         engine.subscribe(CODE), engine.publish_view(CODE, "view", True)):
                with pytest.raises(Unavailable, match="Redis is unreachable"):
                    await call
            # A publication is delivered here before the others are tried.
            with pytest.raises(Unavailable):
                await engine.publish(CODE, TO_AGENTS, 0, "here first")
            assert heard.delivered == [(CODE, TO_AGENTS, 0, "here first")]
        finally:
            await engine.stop()

    redis_backend(scenario)
    assert caplog.text.count("sessions wait until it is back") == 1
