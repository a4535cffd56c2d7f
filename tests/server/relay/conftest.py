"""The in-process relay's tests: each runs on the memory engine and on the Redis engine (on a
database of the tests' redis-server of its own, emptied before each test), with fake sockets
and a manual clock (``support.relay``).

``run_relay(steps, **options)`` runs ``await steps(server)``; ``server`` stands where a server
process does for ``support.wire``'s steps (``visitor(server)``, ``join``...), and
``server.advance(seconds)`` moves its clock. ``run_relays(steps, count)`` (``support.relay``,
with ``redis_url``) runs several relays on one Redis, as the processes of a deployment.
"""

import functools

import pytest

from support.relay import run_relay as run

# The Redis database of these tests: the server processes of the other tests use 0.
DATABASE = 1


@pytest.fixture(params=["memory", "redis"])
def engine(request):
    return "memory" if request.param == "memory" else request.getfixturevalue("redis_url")


@pytest.fixture
def run_relay(engine):
    return functools.partial(run, engine=engine)


@pytest.fixture
def redis_url(redis):
    """The URL of the Redis database of these tests (for those that need several relays)."""
    return redis.url.rsplit("/", 1)[0] + "/%d" % DATABASE
