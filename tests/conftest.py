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

import json
import re
import socket
import threading
from urllib.parse import urlsplit

import pytest

from processes import AGENT_KEY, ROOT, NginxProcess, PageServer, RedisProcess, ServerProcess, free_port  # noqa: F401 - the tests import these from here.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
EVENT_NAMES = ["SessionStarting", "SessionStarted", "SessionEnded", "AgentConnected",
               "AgentDisconnected", "StateChanged", "NavigatingAway"]
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


class Server(ServerProcess):
    """A cobrowse server process on a free port, with the tests' agent key."""


@pytest.fixture(scope="session")
def server():
    running = Server()
    yield running
    running.stop()
    tracebacks = [line for line in running.output if "Traceback" in line]
    assert not tracebacks, "the server logged errors:\n" + "".join(running.output)


@pytest.fixture(scope="session")
def redis():
    running = RedisProcess()
    yield running
    running.stop()


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
<script src="{server}/static/cobrowse.js" data-site-code="{site_code}" data-runtime="{runtime}" {attributes}></script>
<script>
  // The customer page's own script: it records every co-browse event it hears.
  window.heard = [];
  {names}.forEach(function (name) {{
    Cobrowse.Events[name].listen(function (event) {{ window.heard.push([name, event]); }});
  }});
</script>
{head}
</head><body>
{body}
</body></html>"""


class Site:
    """A customer's site on another origin: pages are published by path and served as given."""

    def __init__(self):
        self.server = PageServer()
        self.pages = self.server.pages
        self.port = self.server.port
        # The site is 127.0.0.1; "localhost" on the same port stands in for a third-party site.
        self.base = "http://127.0.0.1:%d" % self.port
        self.elsewhere = "http://localhost:%d" % self.port
        self.pages["/elsewhere.html"] = "<!doctype html><title>Elsewhere</title><link rel='icon' href='data:,'><h1>Another site</h1>"

    def page(self, server, runtime, body="", path=None, head="", site_code="TEST-1", title="Customer page", **attributes):
        """Publish a page embedding the widget; return its URL. ``data_x="y"`` adds data-x="y"."""
        path = path or "/page-%d.html" % len(self.pages)
        extra = " ".join('%s="%s"' % (name.replace("_", "-"), value) for name, value in attributes.items())
        self.pages[path] = PAGE.format(
            title=title, server=server.base, site_code=site_code, runtime=runtime, attributes=extra,
            names=json.dumps(EVENT_NAMES), head=head, body=body,
        )
        return self.base + path


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


class Proxy:
    """A TCP proxy in front of a server, for breaking the network on purpose.

    ``cut()`` drops every open connection; ``down()`` refuses new ones until ``up()``;
    ``hang()`` keeps the open connections but stops carrying their bytes, like a network that
    went silent without the browser noticing.
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.refusing = False
        self.pairs = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            pair = {"sockets": (client, upstream), "hung": False}
            with self.lock:
                self.pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair, client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, upstream, client), daemon=True).start()

    def _pump(self, pair, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not pair["hung"]:
                    sink.sendall(data)
        except OSError:
            pass
        if not pair["hung"]:
            for sock in pair["sockets"]:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair["sockets"]:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass

    def hang(self):
        with self.lock:
            for pair in self.pairs:
                pair["hung"] = True

    def down(self):
        self.refusing = True

    def up(self):
        self.refusing = False

    def close(self):
        self.listener.close()
        self.cut()


@pytest.fixture
def proxy(server):
    """A proxy in front of the shared server; pages use it with ``data_server=proxy.base``."""
    running = Proxy(server.port)
    yield running
    running.close()
