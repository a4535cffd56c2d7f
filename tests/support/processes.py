"""Processes the tests and the benchmarks start: a cobrowse server on a free loopback port.

Public names:

- ``free_port()``: a TCP port nothing listens on right now, from this process's own range:
  under pytest-xdist no two workers ever pick the same port.
- ``tracebacks(lines)``: the lines of a process's output that start a Python traceback.
- ``ServerProcess``: ``python -m cobrowse serve`` on a free port (or the one given), started and
  waited for. ``output`` keeps everything it printed. Its start limit is ``TESTS_START_LIMIT``
  unless its arguments set one.
- ``PageServer``: a customer's site on a free loopback port, serving the HTML in its ``pages``
  dict by path, exactly as given (other files too, typed by their extension), with the response
  headers of its ``page_headers`` dict for that path (a Content-Security-Policy, say).
- ``Child``: what the processes below share: ``stop()`` (SIGTERM) and ``kill()`` (SIGKILL).
- ``RedisProcess``: Debian's ``redis-server`` on a free port, without persistence; ``kill()``
  and ``start()`` it again to take Redis away and bring it back (empty).
- ``NginxProcess(config)``: ``nginx`` in the foreground with a config built by ``config(port)``.
"""

import http.server
import itertools
import mimetypes
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
AGENT_KEY = "test-agent-key"


# Ports handed out by free_port: below the kernel's ephemeral range (32768 and up here), which
# bind(port 0) and outgoing connections draw from, so that nothing else takes one between the
# check and the child's bind. Each xdist worker ("gw3") has a range of its own (a process
# outside xdist uses the first), walked from a random port, so that two separate runs at once
# rarely meet there either.
FIRST_PORT = 20000
PORTS_PER_WORKER = 400
RANGES = (32768 - FIRST_PORT) // PORTS_PER_WORKER


def _own_ports():
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:])
    first = FIRST_PORT + worker % RANGES * PORTS_PER_WORKER
    start = random.randrange(PORTS_PER_WORKER)
    return (first + (start + step) % PORTS_PER_WORKER for step in itertools.count())


_ports = _own_ports()


def free_port():
    for port in itertools.islice(_ports, PORTS_PER_WORKER):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("every port of this process's range is in use (%d and up)" % FIRST_PORT)


def tracebacks(lines):
    return [line for line in lines if "Traceback" in line]


class Child:
    """A process the tests started: ``stop()`` asks it to end (SIGTERM), ``kill()`` ends it at
    once (SIGKILL), as a crash would."""

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


class Endpoint(Child):
    """A process serving cobrowse at ``base`` to agents with the key ``key``."""

    @property
    def console_url(self):
        return "%s/agent?key=%s" % (self.base, self.key)


# The start limit of the tests' server processes unless a test gives its own.
TESTS_START_LIMIT = 100000


class ServerProcess(Endpoint):
    """A cobrowse server process on 127.0.0.1.

    ``args`` are extra options of ``serve``; ``prefix`` runs the server through another command
    (``taskset -c 0``, which execs it, so ``pid`` stays the server's); ``preexec_fn`` runs in the
    child before it starts (raising limits, for instance); ``program`` runs cobrowse (an installed
    ``cobrowse`` command rather than this checkout's ``python -m cobrowse``), in folder ``cwd``.
    """

    def __init__(self, *args, port=None, agent_key=AGENT_KEY, prefix=(), preexec_fn=None,
                 program=(sys.executable, "-m", "cobrowse"), cwd=ROOT):
        self.args = args
        self.port = port or free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.ws = "ws://127.0.0.1:%d" % self.port
        self.key = agent_key
        if "--start-limit" not in args:
            # Every visitor of the tests comes from 127.0.0.1: the default limit would refuse
            # the suite's starts (tests that test the limit set it).
            args = (*args, "--start-limit", str(TESTS_START_LIMIT))
        # ``agent_key=None``: no ``--agent-key`` (the shared key is off once a token key is given).
        key = ("--agent-key", agent_key) if agent_key else ()
        command = [*prefix, *program, "serve", "--port", str(self.port), *key, *args]
        self.process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, preexec_fn=preexec_fn)
        self.pid = self.process.pid
        self.output = []
        for line in self.process.stdout:
            self.output.append(line)
            if "agent console" in line:
                break
        threading.Thread(target=self._drain, daemon=True).start()
        wait_for_port(self.port, self.process, "cobrowse server", lambda: "".join(self.output))

    def _drain(self):
        for line in self.process.stdout:
            self.output.append(line)


def wait_for_port(port, process, what, output=lambda: ""):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("%s did not start:\n%s" % (what, output()))


class RedisProcess(Child):
    """``redis-server`` on 127.0.0.1 and a free port: nothing saved to disk, nothing kept."""

    def __init__(self):
        self.port = free_port()
        self.url = "redis://127.0.0.1:%d/0" % self.port
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, "redis-server")


class NginxProcess(Endpoint):
    """``nginx -c CONF -p DIR`` in the foreground, its config ``config(port, folder)``, in front
    of servers with the agent key ``agent_key``."""

    def __init__(self, config, folder, agent_key=AGENT_KEY):
        self.key = agent_key
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.ws = "ws://127.0.0.1:%d" % self.port
        folder = Path(folder)
        (folder / "logs").mkdir(parents=True, exist_ok=True)
        conf = folder / "nginx.conf"
        conf.write_text(config(self.port, folder))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(folder), "-e", str(folder / "logs" / "error.log")],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for_port(self.port, self.process, "nginx", lambda: self.process.stdout.read())


class PageServer:
    """HTML pages served by path from ``pages`` (a dict that may grow while it runs).

    A path ending in another extension (``.css``, ``.svg``) is served with that type.
    ``headers`` are sent with every page, e.g. ``{"Cache-Control": "no-cache"}``;
    ``page_headers[path]`` (a dict) are sent with that page only.
    """

    def __init__(self, pages=None, headers=None):
        self.pages = {} if pages is None else pages
        self.page_headers = {}
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = served.pages.get(urlsplit(self.path).path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode()
                kind = mimetypes.guess_type(urlsplit(self.path).path)[0] or "text/html"
                self.send_response(200)
                self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") else ""))
                self.send_header("Content-Length", str(len(data)))
                own = served.page_headers.get(urlsplit(self.path).path, {})
                for name, value in list((headers or {}).items()) + list(own.items()):
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
