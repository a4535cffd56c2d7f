"""The servers of the server tests: every test that uses ``server`` or ``own_server`` runs twice,
against the in-memory engine and against the Redis engine (``--redis``, with a redis-server of
the tests' own). Either fails the run if its server logged a traceback."""

import pytest

from support.processes import ServerProcess


@pytest.fixture(scope="module", params=["memory", "redis"])
def backend(request):
    """The options that pick the engine: none (memory), or ``--redis URL``."""
    return () if request.param == "memory" else ("--redis", request.getfixturevalue("redis").url)


@pytest.fixture(scope="module")
def server(backend):
    running = ServerProcess(*backend)
    yield running
    running.stop()
    tracebacks = [line for line in running.output if "Traceback" in line]
    assert not tracebacks, "the server logged errors:\n" + "".join(running.output)


@pytest.fixture(scope="module")
def own_server(backend):
    """Start servers with options of their own: ``own_server("--network-timeout", "2")``.

    Servers with the same options are shared by the module's tests; all are stopped at its end,
    and none may have logged a traceback.
    """
    running = {}

    def start_server(*options):
        if options not in running:
            running[options] = ServerProcess(*options, *backend)
        return running[options]

    yield start_server
    for options, process in running.items():
        process.stop()
    for options, process in running.items():
        tracebacks = [line for line in process.output if "Traceback" in line]
        assert not tracebacks, "the server %s logged errors:\n%s" % (options, "".join(process.output))
