"""Processes the tests and the benchmarks start: a cobrowse server on a free loopback port.

Public names:

- ``free_port()``: a TCP port nothing listens on right now.
- ``ServerProcess``: ``python -m cobrowse serve`` on a free port (or the one given), started and
  waited for; ``stop()`` ends it. ``output`` keeps everything it printed.
- ``PageServer``: a customer's site on a free loopback port, serving the HTML in its ``pages``
  dict by path, exactly as given (other files too, typed by their extension).
"""

import http.server
import mimetypes
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
AGENT_KEY = "test-agent-key"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A cobrowse server process on 127.0.0.1.

    ``args`` are extra options of ``serve``; ``prefix`` runs the server through another command
    (``taskset -c 0``, which execs it, so ``pid`` stays the server's); ``preexec_fn`` runs in the
    child before it starts (raising limits, for instance); ``program`` runs cobrowse (an installed
    ``cobrowse`` command rather than this checkout's ``python -m cobrowse``), in folder ``cwd``.
    """

    def __init__(self, *args, port=None, agent_key=AGENT_KEY, prefix=(), preexec_fn=None,
                 program=(sys.executable, "-m", "cobrowse"), cwd=ROOT):
        self.port = port or free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.ws = "ws://127.0.0.1:%d" % self.port
        self.key = agent_key
        command = [*prefix, *program, "serve", "--port", str(self.port), "--agent-key", agent_key, *args]
        self.process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, preexec_fn=preexec_fn)
        self.pid = self.process.pid
        self.output = []
        for line in self.process.stdout:
            self.output.append(line)
            if "agent console" in line:
                break
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("cobrowse server did not start:\n" + "".join(self.output))

    def _drain(self):
        for line in self.process.stdout:
            self.output.append(line)

    @property
    def console_url(self):
        return "%s/agent?key=%s" % (self.base, self.key)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class PageServer:
    """HTML pages served by path from ``pages`` (a dict that may grow while it runs).

    A path ending in another extension (``.css``, ``.svg``) is served with that type.
    ``headers`` are sent with every page, e.g. ``{"Cache-Control": "no-cache"}``.
    """

    def __init__(self, pages=None, headers=None):
        self.pages = {} if pages is None else pages
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
                for name, value in (headers or {}).items():
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
