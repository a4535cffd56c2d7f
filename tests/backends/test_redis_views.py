"""The Redis view log's hot path: the views of one event-loop tick go to Redis in one script call,
each numbered, logged and sent to the session's other processes in the order it came, even after
Redis lost its scripts; a session on one process only costs no publication."""

import asyncio

import redis.asyncio as aioredis

from cobrowse.server.backends.redis.views import RedisViewLog
from support.loop import run_async


def record_together(url, views, flush_scripts=False, where=("p", "q")):
    """Record ``views`` ((code, text) pairs) of process "p" in one tick, with the processes
    ``where`` holding every session; their numbers, the logs read back per code, and the
    publications heard on the channels of "p" and "q" as (channel, text)."""
    async def run():
        client = aioredis.Redis.from_url(url)
        log = RedisViewLog(client)
        codes = sorted({code for code, _ in views})
        await client.delete(*["cb:%s:%s" % (kind, code) for code in codes for kind in ("seq", "log", "logm", "where")])
        for code in codes:
            await client.sadd("cb:where:" + code, *where)
        pubsub = client.pubsub()
        await pubsub.subscribe("cb:p:p", "cb:p:q")
        # A view of another session first, so that Redis knows the script (a lone view loads it).
        await log.record_and_publish("199999", "warm-up", True, "p")
        if flush_scripts:
            await client.script_flush()
        numbers = await asyncio.gather(*[log.record_and_publish(code, text, index == 0, "p")
                                         for index, (code, text) in enumerate(views)])
        logs = {code: (await log.read(code, 0, 100))[1] for code in codes}
        heard = []
        deadline = asyncio.get_running_loop().time() + 5
        while asyncio.get_running_loop().time() < deadline:
            message = await pubsub.get_message(timeout=0.5)
            if message is None and heard:
                break  # A batch's views to one process come in one message.
            if message is not None and message["type"] == "message":
                heard.append((message["channel"].decode(), message["data"]))
        await pubsub.aclose()
        await client.aclose()
        return numbers, logs, heard
    return run_async(run())


def test_views_of_one_tick_are_numbered_logged_and_published_in_order(redis):
    views = [("100001", "a%d é" % n) if n % 3 else ("100002", "b%d\n€" % n) for n in range(30)]
    numbers, logs, heard = record_together(redis.url, views)
    for code in ("100001", "100002"):
        mine = [text for each, text in views if each == code]
        assert [number for (each, _), number in zip(views, numbers) if each == code] == list(range(1, len(mine) + 1))
        assert heard_of(heard, code) == mine
    # The first view was a full snapshot, so its session's log holds every view since.
    assert logs["100002"] == [(n + 1, text) for n, text in enumerate(heard_of(heard, "100002"))]


def test_a_batch_after_redis_lost_its_scripts_is_recorded(redis):
    views = [("100003", "c%d" % n) for n in range(5)]
    numbers, logs, heard = record_together(redis.url, views, flush_scripts=True)
    assert numbers == [1, 2, 3, 4, 5]
    assert logs["100003"] == [(n + 1, text) for n, (_, text) in enumerate(views)]
    assert heard_of(heard, "100003") == [text for _, text in views]


def test_a_session_held_by_its_origin_alone_publishes_nothing(redis):
    views = [("100004", "d%d" % n) for n in range(3)]
    numbers, logs, heard = record_together(redis.url, views, where=("p",))
    assert numbers == [1, 2, 3] and heard == []


def heard_of(heard, code):
    """The texts of ``code``'s views heard, in order; each went to process "q" only."""
    texts = []
    for channel, data in heard:
        assert channel == "cb:p:q"
        while data:
            # Each publication is its length in bytes, a newline and itself.
            length, _, data = data.partition(b"\n")
            origin, each, kind, number, view = data[:int(length)].decode().split("\n", 4)
            data = data[int(length):]
            assert (origin, kind) == ("p", "view")
            if each == code:
                texts.append(view)
    return texts
