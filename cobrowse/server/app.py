"""The session server: serves the widget and the agent console, and relays sessions.

Public names:

- ``create_app(agent_key, store=None, root=ROOT, *, agent_wait_timeout, network_timeout,
  idle_timeout, allowed_origins, limiter, view_log, engine)``: the Starlette application.
- ``serve(relay, conn)``: feed one WebSocket's frames to the relay.
- ``DrainingServer(config, relay)``: uvicorn's server; SIGTERM or SIGINT drains the relay.
- ``Gate``: the agent key and Origin checks; ``normalize_origin(origin)``,
  ``same_origin(origin, host)``: the WebSocket Origin check.
- ``SiteFiles``, ``StaticFiles``: the files served, with their caching and compression.
- ``client_address(host)``: what the join limit counts by (an IPv4 address, an IPv6 /64).
- ``CLOSE_UNAUTHORIZED``, ``CLOSE_FORBIDDEN_ORIGIN``: close codes of ``docs/protocol.md``
  given before a connection reaches the relay (``relay`` has the others and the defaults).

Routes: ``/`` and ``/demo/`` (the demo site), ``/static/`` (the loader and vendored runtimes),
``/cobrowse/manifest.json`` (which Python files the browser loads: ``manifest``; also as
``/pyscript.toml`` for loaders cached before) and ``/cobrowse/**.py`` (exactly those files; the
core's also as MicroPython bytecode, ``/cobrowse/**.mpy``, which the manifest then names
instead: see ``bytecode``), ``/agent`` (the agent console), ``/healthz`` (200 while this process reaches its
shared state, else 503), ``/ws/visitor`` and ``/ws/agent`` (the wire protocol of
``docs/protocol.md``, handled by ``relay.Relay``).

Options of ``create_app``: a session with no agent for ``agent_wait_timeout`` seconds ends as
``USER_TIMEOUT``; a visitor whose connection dropped may resume within its session's network
timeout (the page's, else ``network_timeout``), an agent may rejoin within ``network_timeout``;
a connection silent for ``idle_timeout`` seconds is closed; ``allowed_origins`` are the page
origins allowed besides the server's own. ``engine`` holds what the server processes share
(``engine.MemoryEngine``, the default, builds one from ``store``, ``limiter`` and ``view_log``).
"""

import asyncio
import contextlib
import gzip
import hashlib
import hmac
import ipaddress
import logging
import mimetypes
import json
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from cobrowse.core import protocol
from cobrowse.core.constants import CLOSE_FORBIDDEN_ORIGIN, CLOSE_UNAUTHORIZED
from cobrowse.server import manifest
from cobrowse.server.bytecode import Compiler
from cobrowse.server.backends.engine import MemoryEngine
from cobrowse.server.manifest import PACKAGE
from cobrowse.server.relay import AGENT_WAIT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, NETWORK_TIMEOUT_SECONDS, Relay

log = logging.getLogger("cobrowse")

# Where the site's files are (index.html, demo/, static/): an installed wheel carries them in
# cobrowse/site/ (see setup.py); a checkout is its own root. The browser's Python files are the
# package's own (``manifest``).
ROOT = PACKAGE / "site" if (PACKAGE / "site").is_dir() else PACKAGE.parent

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/x-python", ".py")
mimetypes.add_type("application/x-micropython-bytecode", ".mpy")
mimetypes.add_type("application/toml", ".toml")
mimetypes.add_type("text/plain", ".ts")  # TypeScript declarations (cobrowse.d.ts), not MPEG streams.

# Types worth compressing; wasm compresses to about half.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/wasm", "application/toml",
                "application/x-micropython-bytecode")

# How long browsers may keep what we serve. The loader's URL is fixed in customers' pages, so it
# (and the config it reads) is fresh within minutes yet served from cache meanwhile; the Python
# modules are fetched with the build's hash in their URL, so a copy is valid forever; the
# vendored runtimes change only with a release.
CACHE_LOADER = "public, max-age=300, stale-while-revalidate=86400"
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_RUNTIME = "public, max-age=86400"
CACHE_REVALIDATE = "no-cache"

DEFAULT_PORTS = {"http": 80, "https": 443}


def build_hash(compiler=None):
    """A short hash of the browser's Python files, and of the ``compiler`` that turns them into
    bytecode (if any): the build the loader asks for."""
    digest = hashlib.sha256()
    for name in sorted(manifest.served()):
        digest.update(name.encode() + b"\0" + (PACKAGE.parent / name).read_bytes() + b"\0")
    digest.update(str(compiler and compiler.version).encode())
    return digest.hexdigest()[:16]


def accepts_gzip(accept_encoding):
    """Whether an Accept-Encoding header takes gzip (``gzip;q=0`` refuses it)."""
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().lower()
            return not quality.startswith("q=") or quality[2:].strip() not in ("0", "0.0", "0.00", "0.000")
    return False


class StaticFiles:
    """Files from one folder, with the headers a cross-origin embed and a cache need.

    Every file gets ``Access-Control-Allow-Origin: *`` (the widget is embedded from other
    origins), an ETag, and gzip when the client takes it; compressed bodies are kept in memory.
    ``cache(relative)`` gives each file's Cache-Control (revalidate on each use by default);
    ``response`` may override it.
    """

    def __init__(self, folder, allowed=None, cache=None):
        self.folder = Path(folder).resolve()
        self.allowed = allowed
        self.cache = cache or (lambda relative: CACHE_REVALIDATE)
        self._cache = {}

    def _load(self, path):
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = self.entry(path.name, path.read_bytes(), '"%x-%x"' % (stat.st_mtime_ns, stat.st_size))
        return entry

    @staticmethod
    def entry(name, body, etag):
        """What ``respond`` serves: the body, its gzip (or None), its type by ``name``, its ETag."""
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        packed = gzip.compress(body, 6, mtime=0) if kind.startswith(COMPRESSIBLE) and len(body) > 1024 else None
        return body, packed, kind, etag

    def response(self, request, relative, cache=None, headers=None):
        if self.allowed is not None and relative not in self.allowed:
            return not_found()
        path = (self.folder / relative).resolve()
        if self.folder not in path.parents or not path.is_file():
            return not_found()
        return self.respond(request, self._load(path), cache or self.cache(relative), headers)

    def respond(self, request, entry, cache, headers=None):
        """Serve ``entry`` (see ``entry``) with Cache-Control ``cache`` and ``headers``."""
        body, packed, kind, etag = entry
        headers = {
            **(headers or {}),
            "ETag": etag,
            "Cache-Control": cache,
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        # Each encoding is its own representation, so it gets its own ETag.
        if packed is not None and accepts_gzip(request.headers.get("accept-encoding", "")):
            headers["Content-Encoding"] = "gzip"
            headers["ETag"] = etag = etag[:-1] + '-gz"'
            body = packed
        if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        return Response(body, media_type=kind, headers=headers)


async def receive(socket):
    """The next frame's text, or its bytes if it is binary (``protocol.decode`` refuses those).

    Starlette's ``receive_text`` fails with a KeyError on a binary frame, which would drop the
    connection and end the session instead of answering ``bad_message``.
    """
    message = await socket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    return text if text is not None else message.get("bytes", b"")


def not_found():
    return Response("Not found", status_code=404, media_type="text/plain")


def client_address(host):
    """The address the join limit counts by: an IPv4 address, or an IPv6 address's /64.

    One IPv6 subscriber usually holds a whole /64, so counting single IPv6 addresses would give
    a guesser 2**64 fresh clients.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network("%s/64" % address, strict=False))
    return str(address)


def normalize_origin(origin):
    """``scheme://host[:port]`` in lower case without a default port, or the text as given.

    Browsers send ``Origin`` in this form already; the normalization makes ``--allowed-origin``
    forgiving (``HTTPS://Shop.example:443/`` is ``https://shop.example``). ``null`` stays ``null``.
    """
    text = origin.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return text.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = "[%s]" % host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        host += ":%d" % port
    return "%s://%s" % (scheme, host)


def same_origin(origin, host_header):
    """Whether ``origin`` names the host and port the request was sent to (its Host header)."""
    try:
        parts = urlsplit(origin)
        port = parts.port
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname or not host_header:
            return False
        host = urlsplit("//" + host_header.strip())
        host_port = host.port
    except ValueError:
        return False
    return (parts.hostname.lower(), port or DEFAULT_PORTS[scheme]) == (
        (host.hostname or "").lower(), host_port or DEFAULT_PORTS[scheme])


def create_app(agent_key, store=None, root=ROOT, *, agent_wait_timeout=AGENT_WAIT_TIMEOUT_SECONDS,
               network_timeout=NETWORK_TIMEOUT_SECONDS, idle_timeout=IDLE_TIMEOUT_SECONDS,
               allowed_origins=(), limiter=None, view_log=None, engine=None, compiler=None):
    """The Starlette application (see the module's docstring for its options; ``compiler`` makes
    the core's bytecode, ``bytecode.Compiler()`` by default)."""
    engine = engine or MemoryEngine(store, limiter, view_log)
    relay = Relay(engine, agent_wait_timeout=agent_wait_timeout, network_timeout=network_timeout,
                  idle_timeout=idle_timeout)
    files = SiteFiles(Path(root), compiler)
    gate = Gate(agent_key, allowed_origins)

    async def agent_page(request):
        if not gate.key_ok(request):
            return HTMLResponse(
                "<!doctype html><title>Unauthorized</title><h1>401 Unauthorized</h1>"
                "<p>The agent console needs the agent key: use the URL the server printed at start.</p>",
                status_code=401,
            )
        return files.console.response(request, "index.html")

    async def healthz(request):
        problem = engine.health()
        if problem is None:
            return JSONResponse({"status": "ok", "process": engine.process})
        return JSONResponse({"status": "unavailable", "reason": problem, "process": engine.process}, status_code=503)

    async def visitor_socket(socket: WebSocket):
        await socket.accept()
        if not gate.origin_ok(socket, "visitor"):
            await forbid_origin(socket)
            return
        await serve(relay, await relay.open(socket, "visitor"))

    async def agent_socket(socket: WebSocket):
        await socket.accept()
        if not gate.origin_ok(socket, "agent"):
            await forbid_origin(socket)
            return
        if not gate.key_ok(socket):
            await refuse(socket, protocol.ProtocolError("unauthorized", "Wrong or missing agent key"))
            await close(socket, CLOSE_UNAUTHORIZED)
            return
        client = (socket.query_params.get("key", ""), client_address(socket.client.host if socket.client else ""))
        await serve(relay, await relay.open(socket, "agent", client))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # The core's bytecode is compiled now, in the background, so that the first visitor
        # after a start or a deploy does not wait for it.
        app.state.compiling = asyncio.get_running_loop().run_in_executor(None, files.compiled_core)
        await relay.start()
        yield
        await relay.stop()

    routes = files.routes() + [
        Route("/agent", agent_page),
        Route("/healthz", healthz),
        WebSocketRoute("/ws/visitor", visitor_socket),
        WebSocketRoute("/ws/agent", agent_socket),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.relay = relay
    return app


async def serve(relay, conn):
    """Feed a connection's frames to the relay until either side closes it."""
    try:
        while not conn.closed:
            text = await receive(conn.socket)
            if conn.closed:
                return
            await relay.receive(conn, text)
    except WebSocketDisconnect:
        pass
    finally:
        await relay.closed(conn)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, whose first SIGTERM or SIGINT drains the relay before it stops: the
    listening sockets close (a load balancer sends new connections elsewhere), every session is
    handed on (``Relay.drain``) and every socket closes with 1012, "reconnect now"."""

    def __init__(self, config, relay):
        super().__init__(config)
        self.relay = relay
        self.loop = None
        self.draining = None

    async def serve(self, sockets=None):
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig, frame):
        if self.draining is not None or self.loop is None:
            super().handle_exit(sig, frame)
        else:
            self.draining = True
            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self.drain()))

    async def drain(self):
        for server in self.servers:
            server.close()
        try:
            await self.relay.drain()
        finally:
            self.should_exit = True


class Gate:
    """Who may use the endpoints: the agent key, and the origins of browser pages."""

    def __init__(self, agent_key, allowed_origins):
        self.agent_key = agent_key
        self.allowed = {normalize_origin(origin) for origin in allowed_origins}

    def key_ok(self, request_or_socket):
        given = request_or_socket.query_params.get("key", "")
        return hmac.compare_digest(given.encode(), self.agent_key.encode())

    def origin_ok(self, socket, role):
        """Whether a browser page of the socket's Origin may use this endpoint.

        A request without Origin does not come from a browser page, and so cannot be a page
        abusing a visitor's or an agent's browser: it is let through (the agent key still
        guards the agent endpoint). The server's own origin (the console, the demo site) is
        always allowed; other origins must be listed, except on the visitor endpoint of a
        server started without any ``--allowed-origin``.
        """
        origin = socket.headers.get("origin")
        if origin is None:
            return True
        if role == "visitor" and not self.allowed:
            return True
        return normalize_origin(origin) in self.allowed or same_origin(origin, socket.headers.get("host"))


class SiteFiles:
    """Every file the server serves: the demo site, the loader and runtimes, the browser's
    Python files (``manifest``) and the agent console's files; ``routes()`` gives their routes."""

    def __init__(self, root, compiler=None):
        self.root = root
        self.compiler = compiler or Compiler()
        self.core = set(manifest.core_files())
        self.static = StaticFiles(root / "static",
                                  cache=lambda relative: CACHE_LOADER if relative == "cobrowse.js" else CACHE_RUNTIME)
        self.site = StaticFiles(root, allowed={"index.html"})
        self.demo = StaticFiles(root / "demo")
        self.modules = StaticFiles(PACKAGE, allowed={name.split("/", 1)[1] for name in manifest.served()})
        self.console = StaticFiles(PACKAGE / "console")

    def routes(self):
        return [
            Route("/", self.index),
            Route("/index.html", self.index),
            Route("/cobrowse/manifest.json", self.manifest),
            Route("/pyscript.toml", self.manifest),
            Route("/favicon.ico", self.favicon),
            Route("/demo/{path:path}", self.demo_file),
            Route("/static/{path:path}", self.static_file),
            Route("/cobrowse/{path:path}", self.module_file),
            Route("/agent/{path:path}", self.console_file),
        ]

    async def index(self, request):
        return self.site.response(request, "index.html")

    async def favicon(self, request):
        return Response(status_code=204)

    async def manifest(self, request):
        """The browser's files, as JSON for the loader (as TOML at ``/pyscript.toml``, for a
        loader a browser cached before): the core's as bytecode where the compiler made it.
        The build hash travels with it: the loader adds it to every module's URL."""
        build = build_hash(self.compiler)
        headers = {"X-Cobrowse-Build": build, "Access-Control-Expose-Headers": "X-Cobrowse-Build"}
        compiled = await run_in_threadpool(self.compiled_core)
        config = manifest.config(compiled.__contains__)
        if request.url.path.endswith(".toml"):
            name, body = "pyscript.toml", manifest.as_toml(config).encode()
        else:
            name, body = "manifest.json", json.dumps(config, sort_keys=True).encode()
        entry = StaticFiles.entry(name, body, '"%s"' % hashlib.sha256(body).hexdigest()[:16])
        return self.site.respond(request, entry, CACHE_LOADER, headers)

    def compiled_core(self):
        """The core modules the compiler turns into bytecode (it keeps what it compiled)."""
        return {name for name in self.core if self.compiler.compile(PACKAGE.parent / name) is not None}

    async def static_file(self, request):
        return self.static.response(request, request.path_params["path"])

    async def demo_file(self, request):
        return self.demo.response(request, request.path_params["path"])

    async def module_file(self, request):
        build = build_hash(self.compiler)
        cache = CACHE_IMMUTABLE if request.query_params.get("v") == build else None
        relative = request.path_params["path"]
        if relative.endswith(".mpy"):
            return await self.bytecode_file(request, "cobrowse/" + relative[:-len(".mpy")] + ".py", cache)
        return self.modules.response(request, relative, cache=cache)

    async def bytecode_file(self, request, name, cache):
        """The bytecode of the core module ``name`` (``cobrowse/core/x.py``), if it compiles."""
        if name not in self.core:
            return not_found()
        body = await run_in_threadpool(self.compiler.compile, PACKAGE.parent / name)
        if body is None:
            return not_found()
        entry = StaticFiles.entry(name[:-len(".py")] + ".mpy", body, '"%s"' % hashlib.sha256(body).hexdigest()[:16])
        return self.modules.respond(request, entry, cache or self.modules.cache(name))

    async def console_file(self, request):
        return self.console.response(request, request.path_params["path"])


async def refuse(socket, error):
    """Answer a socket the relay does not hold with an error."""
    try:
        await socket.send_text(protocol.encode("error", code=error.code, message=error.message))
    except Exception:  # noqa: BLE001 - the peer is gone.
        pass


async def close(socket, code):
    try:
        await socket.close(code)
    except Exception:  # noqa: BLE001 - already closed.
        pass


async def forbid_origin(socket):
    await refuse(socket, protocol.ProtocolError("forbidden_origin", "Pages of this origin may not use this co-browse server"))
    await close(socket, CLOSE_FORBIDDEN_ORIGIN)
