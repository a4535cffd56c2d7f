"""What only the memory backend does: its records are its own dicts, its codes retire on its
clock, its limiter forgets quiet clients, its timers run on the clock they were given, its view
logs keep to a budget."""

import pytest

from cobrowse.server.backends import records
from cobrowse.server.backends.memory.engine import MemoryEngine
from cobrowse.server.backends.memory.limiter import MemoryJoinLimiter
from cobrowse.server.backends.memory.store import MemoryStore
from cobrowse.server.backends.records import RETIRED_CODE_SECONDS
from support.loop import run_async as run


class Clock:
    """A clock the test moves by hand (``time`` only: what the store and the limiter ask)."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_the_store_hands_out_its_records_themselves():
    async def scenario():
        memory = MemoryStore()
        integrated = await memory.create("S", sid="chat-42")
        code = integrated["accessCode"]
        assert await memory.get(code) is integrated
        assert await memory.find(code) is integrated
        assert await memory.find("chat-42") is integrated
        assert await memory.update(code, title="T") is integrated
        assert (await memory.by_token(integrated["token"])) is integrated
        assert await memory.end(code) is integrated

    run(scenario())


def test_an_ended_sessions_code_is_retired_for_an_hour(monkeypatch, clock):
    numbers = [42, 42, 99, 42]
    monkeypatch.setattr(records.secrets, "randbelow", lambda limit: numbers.pop(0))

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


def test_quiet_clients_are_forgotten(clock):
    async def scenario():
        limiter = MemoryJoinLimiter(attempts=2, window=10, clock=clock)
        for _ in range(2):
            await limiter.failed(("key", "10.0.0.1"))
        clock.now += 11
        # Another client's failure sweeps the quiet one away.
        await limiter.failed(("key", "10.0.0.2"))
        return await limiter.retry_after(("key", "10.0.0.1")), set(limiter._failures)

    later, remembered = run(scenario())
    assert later == 0
    assert remembered == {("key", "10.0.0.2")}


def test_the_engine_builds_its_store_and_limiter_on_its_clock(clock):
    engine = MemoryEngine(clock=clock)
    assert engine.store.clock is clock and engine.limiter.clock is clock and engine.timers.clock is clock
    given = MemoryStore()
    assert MemoryEngine(given).store is given
    assert MemoryEngine().process == "local"


def test_past_the_budget_the_largest_view_logs_are_dropped_until_the_rest_fit():
    from cobrowse.server.backends.memory.views import MemoryViewLog
    from cobrowse.server.backends.views import LOST

    async def scenario():
        views = MemoryViewLog(limit=1000, budget=1000)
        await views.record("big", "b" * 400, True)
        await views.record("mid", "m" * 300, True)
        await views.record("small", "s" * 100, True)
        await views.record("big", "b" * 100, False)
        assert views.chars == 900
        # 250 more: the biggest log (500) goes, the others stay whole.
        await views.record("small", "s" * 250, False)
        assert (await views.read("big"))[1] == LOST
        assert [len(text) for _, text in (await views.read("small"))[1]] == [100, 250]
        assert len((await views.read("mid"))[1]) == 1
        assert views.chars == 650
        # A lost log starts again at its next snapshot, and counts again.
        await views.record("big", "B" * 200, True)
        assert views.chars == 850 and (await views.read("big"))[1] == [(3, "B" * 200)]
        # One snapshot bigger than the whole budget never stays.
        await views.record("huge", "h" * 2000, True)
        assert (await views.read("huge"))[1] == LOST and views.chars == 850
        await views.close("mid")
        await views.drop("small")
        assert views.chars == 200

    run(scenario())
