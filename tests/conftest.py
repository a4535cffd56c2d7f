"""Shared fixtures: a real cobrowse server, a customer site on another origin, and Chromium.

- ``server``: ``python -m cobrowse serve`` on a free port (one per test session).
- ``redis``: a ``redis-server`` of the tests' own on a free port (one per test session).
- ``site``: a second HTTP server on another loopback origin, standing in for a customer's site;
  ``site.page(body, ...)`` publishes a page that embeds the widget from ``server``.
- ``runtime``: every browser test runs on MicroPython and on Pyodide.
- ``visitor`` / ``agent``: pages in their own browser contexts. Each test fails on a console
  error it did not declare with ``expect_console_error`` and on any request that would leave
  this machine.
"""

import re
from urllib.parse import urlsplit

import pytest

from support.chromium import CHROMIUM, CHROMIUM_ARGS, LOOPBACK
from support.processes import RedisProcess, ServerProcess
from support.proxy import Proxy
from support.site import Site



@pytest.fixture(scope="session")
def server():
    running = ServerProcess()
    yield running
    running.stop()
    tracebacks = [line for line in running.output if "Traceback" in line]
    assert not tracebacks, "the server logged errors:\n" + "".join(running.output)


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


@pytest.fixture(params=["micropython", "pyodide"])
def runtime(request):
    return request.param


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
    """Open pages in fresh browser contexts (a visitor and an agent each get their own)."""
    contexts = []

    def open_page(url=None):
        context = browser.new_context()
        watch.attach(context)
        contexts.append(context)
        page = context.new_page()
        if url:
            page.goto(url)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def proxy(server):
    """A proxy in front of the shared server; pages use it with ``data_server=proxy.base``."""
    running = Proxy(server.port)
    yield running
    running.close()
