"""The Redis view log's hot path: the views of one event-loop tick go to Redis in one pipeline,
each numbered, logged and published in the order it came, even after Redis lost its scripts."""

import asyncio

import redis.asyncio as aioredis

from cobrowse.redis_engine import RedisViewLog
from helpers import run_async


def record_together(url, views, flush_scripts=False):
    """Record ``views`` ((code, text) pairs) in one tick; their numbers, the logs read back per
    code, and the publications heard on the codes' channels."""
    async def run():
        client = aioredis.Redis.from_url(url)
        log = RedisViewLog(client)
        codes = sorted({code for code, _ in views})
        await client.delete(*["cb:%s:%s" % (kind, code) for code in codes for kind in ("seq", "log", "logm")])
        pubsub = client.pubsub()
        await pubsub.subscribe(*["cb:c:" + code for code in codes])
        # A view of another session first, so that Redis knows the script (a lone view loads it).
        await log.record_and_publish("199999", "warm-up", True, "p")
        if flush_scripts:
            await client.script_flush()
        numbers = await asyncio.gather(*[log.record_and_publish(code, text, index == 0, "p")
                                         for index, (code, text) in enumerate(views)])
        logs = {code: (await log.read(code, 0, 100))[1] for code in codes}
        heard = []
        deadline = asyncio.get_running_loop().time() + 5
        while len(heard) < len(views) and asyncio.get_running_loop().time() < deadline:
            message = await pubsub.get_message(timeout=1)
            if message is not None and message["type"] == "message":
                heard.append(message["data"].decode())
        await pubsub.aclose()
        await client.aclose()
        return numbers, logs, heard
    return run_async(run())


def test_views_of_one_tick_are_numbered_logged_and_published_in_order(redis):
    views = [("100001", "a%d" % n) if n % 3 else ("100002", "b%d" % n) for n in range(30)]
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


def heard_of(heard, code):
    """The texts of the publications of ``code``'s views, in the order heard; the channel is not
    in the text, so views are told apart by their text's first letter."""
    letter = {"100001": "a", "100002": "b", "100003": "c"}[code]
    return [text.split("\n", 3)[3] for text in heard if text.split("\n", 3)[3].startswith(letter)]
