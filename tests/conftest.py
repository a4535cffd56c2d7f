"""Shared fixtures, and the markers every test gets from what it uses.

Fixtures (session scope: one of each per test process, so one per xdist worker):

- ``server``: ``python -m cobrowse serve`` on a free port. A test that made it log a traceback
  fails at its teardown; the whole log is checked again when the process ends.
- ``redis``: a ``redis-server`` of the tests' own on a free port.
- ``site``: a second HTTP server on another loopback origin, standing in for a customer's site;
  ``site.page(body, ...)`` publishes a page that embeds the widget from ``server``.
- ``visitor`` / ``agent`` pages come from ``new_page``: each in its own browser context. Each
  test fails on a console error it did not declare with ``expect_console_error`` and on any
  request that would leave this machine. (``tests/server/test_package.py`` uses them too; the
  fixtures only browser tests use are in ``tests/browser/conftest.py``.)

Markers (registered in pyproject.toml), applied at collection by ``markers_of``:

- ``browser``: every test under ``tests/browser/``, and any test that asks for a page.
- ``redis``: any test asking for ``redis`` or ``own_redis``, or run with the Redis engine
  (the ``backend`` parameter of ``tests/server/conftest.py``).
- ``process``: those two, and any test using a shared fixture that starts a child process
  (``server``, and ``own_server`` of ``tests/server/conftest.py``); a module that starts
  processes of its own says so with ``pytestmark = pytest.mark.process``. ``make test-fast``
  runs ``-m "not process"``.
- ``slow``: marked by hand (or by module) on tests that take many seconds even on an idle
  machine: a timeout of the product waited out, a wheel built. They run first, so that under
  xdist their waiting overlaps the rest of the suite instead of ending it.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import settings

from support.chromium import CHROMIUM, CHROMIUM_ARGS, LOOPBACK
from support.processes import RedisProcess, ServerProcess, tracebacks
from support.site import Site

# Property tests check what the code does, never how fast it does it: on a loaded machine an
# example may take longer than Hypothesis' default deadline of 200 ms.
settings.register_profile("cobrowse", deadline=None)
settings.load_profile("cobrowse")

BROWSER_TESTS = Path(__file__).parent / "browser"
BROWSER_FIXTURES = {"new_page", "browser", "context", "page"}
REDIS_FIXTURES = {"redis", "own_redis"}
PROCESS_FIXTURES = BROWSER_FIXTURES | REDIS_FIXTURES | {"server", "own_server"}


def markers_of(item):
    """The markers ``item`` gets from its folder, its fixtures and its parameters."""
    used = set(item.fixturenames)
    parameters = item.callspec.params if hasattr(item, "callspec") else {}
    markers = set()
    if BROWSER_TESTS in item.path.parents or used & BROWSER_FIXTURES:
        markers.add("browser")
    if used & REDIS_FIXTURES or parameters.get("backend") == "redis":
        markers.add("redis")
    if markers or used & PROCESS_FIXTURES:
        markers.add("process")
    return markers


def pytest_collection_modifyitems(items):
    for item in items:
        for name in sorted(markers_of(item)):
            item.add_marker(name)
    # Slow tests first (a stable sort keeps the order of everything else).
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def server():
    running = ServerProcess()
    yield running
    running.stop()
    assert not tracebacks(running.output), "the server logged errors:\n" + "".join(running.output)


@pytest.fixture(autouse=True)
def no_traceback_in_the_servers_log(request):
    """Fail the test in whose time the ``server`` it uses logged a traceback (rather than only
    the last test of the process, when the server stops)."""
    if "server" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("server")
    since = len(server.output)
    yield
    logged = server.output[since:]
    assert not tracebacks(logged), "the server logged errors during this test:\n" + "".join(logged)


@pytest.fixture(scope="session")
def redis():
    running = RedisProcess()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def site():
    running = Site()
    yield running
    running.server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


class Watch:
    """Console errors and off-machine requests seen by the pages of one test."""

    def __init__(self):
        self.errors = []
        self.expected = []
        self.outside = []

    def attach(self, context):
        def guard(route):
            host = urlsplit(route.request.url).hostname or ""
            if route.request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOOPBACK:
                self.outside.append(route.request.url)
                route.abort()
            else:
                route.fallback()

        context.route("**/*", guard)
        context.on("page", self.watch_page)

    def watch_page(self, page):
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append("uncaught: %s" % error))

    def check(self):
        unexpected = [text for text in self.errors if not any(re.search(pattern, text) for pattern in self.expected)]
        assert not self.outside, "requests to hosts off this machine: %s" % self.outside
        assert not unexpected, "unexpected console errors: %s" % unexpected


@pytest.fixture
def watch():
    watching = Watch()
    yield watching
    watching.check()


@pytest.fixture
def expect_console_error(watch):
    """Declare a console error (a regular expression) the test provokes on purpose."""
    return watch.expected.append


@pytest.fixture
def new_page(browser, watch):
    """Open pages in fresh browser contexts (a visitor and an agent each get their own);
    keyword arguments are the context's options (a phone's viewport, touch)."""
    contexts = []

    def open_page(url=None, **options):
        context = browser.new_context(**options)
        watch.attach(context)
        contexts.append(context)
        page = context.new_page()
        if url:
            page.goto(url)
        return page

    yield open_page
    for context in contexts:
        context.close()
