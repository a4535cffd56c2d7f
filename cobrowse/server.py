"""The session server: serves the widget and the agent console, and relays sessions.

Public names:

- ``create_app(agent_key, store=None, root=ROOT, *, agent_wait_timeout, network_timeout,
  idle_timeout, allowed_origins, limiter, view_log)``: the Starlette application.
- ``Hub``: this process's open connections and timers, by access code.
- ``Connection``: one open WebSocket as the hub knows it.
- ``summary(session, visitor_connected)``: the session as agents see it;
  ``public_agents(session)``: its agents without their tokens.
- ``normalize_origin(origin)``, ``same_origin(origin, host)``: the WebSocket Origin check.
- ``client_address(host)``: what the join limit counts by (an IPv4 address, an IPv6 /64).
- ``clamp_network_timeout(seconds)``: a page's network timeout within the allowed range.
- ``AGENT_WAIT_TIMEOUT_SECONDS``, ``NETWORK_TIMEOUT_SECONDS``, ``NETWORK_TIMEOUT_RANGE``,
  ``IDLE_TIMEOUT_SECONDS`` and the ``CLOSE_*`` codes: the defaults and close codes of
  ``docs/protocol.md``.

Routes: ``/`` and ``/demo/`` (the demo site), ``/static/`` (the loader and vendored runtimes),
``/pyscript.toml`` and ``/cobrowse/*.py`` (the browser's Python modules, exactly those listed in
pyscript.toml), ``/agent`` (the agent console), ``/ws/visitor`` and ``/ws/agent`` (the wire
protocol of ``docs/protocol.md``).

Options of ``create_app``: a session with no agent for ``agent_wait_timeout`` seconds ends as
``USER_TIMEOUT``; a visitor whose connection dropped may resume within its session's network
timeout (the page's, else ``network_timeout``), an agent may rejoin within ``network_timeout``;
a connection silent for ``idle_timeout`` seconds is closed; ``allowed_origins`` are the page
origins allowed besides the server's own; ``limiter`` counts failed joins (``store.JoinLimiter``);
``view_log`` keeps each session's live view for agents who join late (``store.ViewLog``).
"""

import asyncio
import gzip
import hashlib
import hmac
import ipaddress
import logging
import mimetypes
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from cobrowse import control_server, protocol
from cobrowse.session import Reasons, States
from cobrowse.store import LOST, CodesExhausted, MemoryJoinLimiter, MemoryStore, MemoryViewLog, new_token

log = logging.getLogger("cobrowse")

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/x-python", ".py")
mimetypes.add_type("application/toml", ".toml")

# Types worth compressing; wasm compresses to about half.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/wasm", "application/toml")

# How long browsers may keep what we serve. The loader's URL is fixed in customers' pages, so it
# (and the config it reads) is fresh within minutes yet served from cache meanwhile; the Python
# modules are fetched with the build's hash in their URL, so a copy is valid forever; the
# vendored runtimes change only with a release.
CACHE_LOADER = "public, max-age=300, stale-while-revalidate=86400"
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_RUNTIME = "public, max-age=86400"
CACHE_REVALIDATE = "no-cache"

# WebSocket close codes of our own (4000-4999 are the application's).
CLOSE_UNAUTHORIZED = 4401  # Wrong or missing agent key.
CLOSE_FORBIDDEN_ORIGIN = 4403  # A page of an origin that may not use this endpoint.
CLOSE_IDLE = 4408  # Nothing heard for the idle timeout: the connection is taken to be dead.
CLOSE_REPLACED = 4409  # A silent connection whose session a resume or rejoin took over.

# A session with no agent for this long ends as USER_TIMEOUT (``--agent-wait-timeout``).
AGENT_WAIT_TIMEOUT_SECONDS = 300.0
# How long a dropped visitor or agent may take to come back (``--network-timeout``); a page's
# own networkTimeout is kept within NETWORK_TIMEOUT_RANGE.
NETWORK_TIMEOUT_SECONDS = 30.0
NETWORK_TIMEOUT_RANGE = (5, 300)
# Clients ping every 5 s; a socket silent for this long is closed (``--idle-timeout``).
IDLE_TIMEOUT_SECONDS = 20.0

DEFAULT_PORTS = {"http": 80, "https": 443}
NO_SESSION = "No active session with that code"
SESSION_OVER = "The co-browse session is over"
AGENT_OVER = "You are no longer in this co-browse session"
PONG = protocol.encode("pong")
SNAPSHOT = protocol.encode("snapshot")


def browser_modules():
    """The Python files the browser may fetch: the [files] table of pyscript.toml."""
    text = (ROOT / "pyscript.toml").read_text()
    return {source.lstrip("./") for source in re.findall(r'^\s*"([^"]+)"\s*=', text, re.M)}


def build_hash(root=ROOT):
    """A short hash of the browser's Python modules and config: the build the loader asks for."""
    digest = hashlib.sha256()
    for name in sorted(browser_modules()) + ["pyscript.toml"]:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
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
            body = path.read_bytes()
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            packed = gzip.compress(body, 6, mtime=0) if kind.startswith(COMPRESSIBLE) and len(body) > 1024 else None
            etag = '"%x-%x"' % (stat.st_mtime_ns, stat.st_size)
            entry = self._cache[key] = (body, packed, kind, etag)
        return entry

    def response(self, request, relative, cache=None, headers=None):
        if self.allowed is not None and relative not in self.allowed:
            return not_found()
        path = (self.folder / relative).resolve()
        if self.folder not in path.parents or not path.is_file():
            return not_found()
        body, packed, kind, etag = self._load(path)
        headers = {
            **(headers or {}),
            "ETag": etag,
            "Cache-Control": cache or self.cache(relative),
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


class Connection:
    """One open WebSocket and what this process knows about it.

    ``role`` is ``"visitor"`` or ``"agent"``; ``code`` is the session the connection belongs
    to (None until a start, resume, join or rejoin succeeds); ``agent`` is an agent's id;
    ``last`` is when the last frame arrived (``loop.time()``); ``closed`` is set once the server
    gave up on the connection, after which nothing more is sent to it or heard from it;
    ``timeout`` is a visitor's network timeout (None: the server's).
    """

    __slots__ = ("socket", "role", "code", "agent", "last", "closed", "closing", "timeout")

    def __init__(self, socket, role, now):
        self.socket = socket
        self.role = role
        self.code = None
        self.agent = None
        self.last = now
        self.closed = False
        self.closing = None  # The task closing the socket, which its handler waits for.
        self.timeout = None


class Hub:
    """This process's connections and timers: the visitor's and the agents' sockets per session.

    ``visitors`` maps an access code to the visitor's attached connection; ``agents`` maps it to
    ``{agent id: connection}`` for the agents attached now. A session whose visitor (or one of
    whose agents) dropped has no entry for it here while its grace timer runs. Timers are keyed
    ``("visitor", code)``, ``("agent", code, agent id)`` and ``("wait", code)``.
    """

    def __init__(self):
        self.connections = set()
        self.visitors = {}  # code -> Connection
        self.agents = {}  # code -> {agent id: Connection}
        self.timers = {}  # key -> asyncio.TimerHandle
        self.tasks = set()  # running timer callbacks and closes, kept from the garbage collector
        self.sweeper = None

    def open(self, socket, role):
        conn = Connection(socket, role, asyncio.get_running_loop().time())
        self.connections.add(conn)
        return conn

    async def send(self, conn, text):
        """Send, ignoring a peer that is already gone: its own handler cleans up after it."""
        if conn.closed:
            return
        try:
            await conn.socket.send_text(text)
        except Exception:  # noqa: BLE001 - a closed peer is not this sender's failure.
            pass

    def close(self, conn, code):
        """Stop hearing from ``conn`` and close its socket with ``code`` (in the background)."""
        if not conn.closed:
            conn.closed = True
            conn.closing = self.spawn(self._close(conn.socket, code))

    @staticmethod
    async def _close(socket, code):
        try:
            await socket.close(code)
        except Exception:  # noqa: BLE001 - already closed.
            pass

    async def to_visitor(self, code, text):
        conn = self.visitors.get(code)
        if conn is not None:
            await self.send(conn, text)

    async def to_agents(self, code, text):
        agents = self.agents.get(code)
        if agents:
            for conn in list(agents.values()):
                await self.send(conn, text)

    def spawn(self, coroutine):
        """Run ``coroutine`` as a task of its own; a failure is logged with its traceback."""
        task = asyncio.get_running_loop().create_task(_logged(coroutine))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def later(self, key, delay, function, *args):
        """Call coroutine function ``function(*args)`` in ``delay`` seconds, replacing ``key``'s timer."""
        self.cancel(key)
        self.timers[key] = asyncio.get_running_loop().call_later(delay, self._fire, key, function, args)

    def _fire(self, key, function, args):
        self.timers.pop(key, None)
        self.spawn(function(*args))

    def cancel(self, key):
        timer = self.timers.pop(key, None)
        if timer is not None:
            timer.cancel()


async def _logged(coroutine):
    try:
        await coroutine
    except Exception:  # noqa: BLE001 - a background failure must be seen, not lost.
        log.exception("cobrowse: a background task failed")


def summary(session, visitor_connected=True):
    """What agents see of a session: never its tokens; ``control`` while an agent asks for or
    holds control (``control_server.public_control``)."""
    record = control_server.public_control(session)
    if not visitor_connected:
        state = "RECONNECTING"
    elif record:
        state = States.ACTIVE_ESCALATED if record["state"] == "granted" else States.ACTIVE_ESCALATING
    else:
        state = "ACTIVE:ACTIVE" if session["agents"] else "ACTIVE:WAIT"
    shown = {
        "accessCode": session["accessCode"],
        "SID": session["SID"],
        "siteCode": session["siteCode"],
        "state": state,
        "visitorConnected": visitor_connected,
        "url": session["url"],
        "title": session["title"],
        "agents": public_agents(session),
    }
    if record:
        # Only while an agent asks for or holds control of the visitor's page.
        shown["control"] = record
    return shown


def public_agents(session):
    """The session's agents as anybody may see them: ``[{"id", "name"}]``, no tokens."""
    return [{"id": agent["id"], "name": agent["name"]} for agent in session["agents"]]


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


def clamp_network_timeout(seconds):
    """The page's network timeout within ``NETWORK_TIMEOUT_RANGE``, or None if it gave none."""
    if seconds is None:
        return None
    low, high = NETWORK_TIMEOUT_RANGE
    return min(max(seconds, low), high)


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
               allowed_origins=(), limiter=None, view_log=None):
    """The Starlette application (see the module's docstring for its options)."""
    store = store or MemoryStore()
    limiter = limiter or MemoryJoinLimiter()
    view_log = view_log or MemoryViewLog()
    allowed = {normalize_origin(origin) for origin in allowed_origins}
    # A socket silent for half the idle timeout (two missed heartbeats by default) is taken
    # to be dead by a resume or rejoin that wants its session.
    takeover_silence = idle_timeout / 2
    hub = Hub()
    root = Path(root)
    static = StaticFiles(root / "static", cache=lambda relative: CACHE_LOADER if relative == "cobrowse.js" else CACHE_RUNTIME)
    site = StaticFiles(root, allowed={"index.html", "pyscript.toml"})
    demo = StaticFiles(root / "demo")
    modules = StaticFiles(root / "cobrowse", allowed={name.split("/", 1)[1] for name in browser_modules()})
    console = StaticFiles(PACKAGE / "console")

    def key_ok(request_or_socket):
        given = request_or_socket.query_params.get("key", "")
        return hmac.compare_digest(given.encode(), agent_key.encode())

    def origin_ok(socket, role):
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
        if role == "visitor" and not allowed:
            return True
        return normalize_origin(origin) in allowed or same_origin(origin, socket.headers.get("host"))

    async def index(request):
        return site.response(request, "index.html")

    async def favicon(request):
        return Response(status_code=204)

    async def toml(request):
        # The build hash travels with the config: the loader adds it to every module's URL.
        build = {"X-Cobrowse-Build": build_hash(root), "Access-Control-Expose-Headers": "X-Cobrowse-Build"}
        return site.response(request, "pyscript.toml", cache=CACHE_LOADER, headers=build)

    async def agent_page(request):
        if not key_ok(request):
            return HTMLResponse(
                "<!doctype html><title>Unauthorized</title><h1>401 Unauthorized</h1>"
                "<p>The agent console needs the agent key: use the URL the server printed at start.</p>",
                status_code=401,
            )
        return console.response(request, "index.html")

    async def broadcast(code):
        session = await store.get(code)
        if session is not None and hub.agents.get(code):
            await hub.to_agents(code, protocol.encode("session", session=summary(session, code in hub.visitors)))

    async def end_session(code, reason, url=None):
        """End a live session for everyone in it; a second end of the same session is a no-op."""
        session = await store.end(code)
        if session is None:
            return
        hub.cancel(("visitor", code))
        hub.cancel(("wait", code))
        for agent in session["agents"]:
            hub.cancel(("agent", code, agent["id"]))
        await view_log.drop(code)
        text = protocol.encode("ended", reason=reason, url=url)
        visitor = hub.visitors.pop(code, None)
        agents = hub.agents.pop(code, {})
        for conn in ([visitor] if visitor else []) + list(agents.values()):
            await hub.send(conn, text)
            hub.close(conn, 1000)

    # Remote control: its messages, and the record of who controls, kept in the session.
    controls = control_server.ControlRelay(store, hub, broadcast)

    async def refuse(socket, error):
        """Answer with an error; ``retryAfter`` travels when the error carries one."""
        text = protocol.encode("error", code=error.code, message=error.message, retryAfter=getattr(error, "retry_after", None))
        try:
            await socket.send_text(text)
        except Exception:  # noqa: BLE001 - the peer is gone; its handler cleans up.
            pass

    async def forbid_origin(socket):
        await refuse(socket, protocol.ProtocolError("forbidden_origin", "Pages of this origin may not use this co-browse server"))
        await Hub._close(socket, CLOSE_FORBIDDEN_ORIGIN)

    def take_over(current, conn):
        """Refuse with ``in_use`` if ``current`` is alive; a silent one is closed and replaced."""
        if current is None or current is conn:
            return
        if asyncio.get_running_loop().time() - current.last <= takeover_silence:
            where = "another tab" if conn.role == "visitor" else "another console"
            raise protocol.ProtocolError("in_use", "This co-browse session is open in %s" % where)
        current.code = current.agent = None
        hub.close(current, CLOSE_REPLACED)

    async def detach(conn):
        """A connection went away without ending its part: its session waits for it to come back."""
        code = conn.code
        if code is None:
            return
        if conn.role == "visitor":
            if hub.visitors.get(code) is not conn:
                return
            del hub.visitors[code]
            hub.later(("visitor", code), conn.timeout or network_timeout, visitor_gone, code)
            await broadcast(code)
        else:
            agents = hub.agents.get(code)
            if not agents or agents.get(conn.agent) is not conn:
                return
            del agents[conn.agent]
            if not agents:
                del hub.agents[code]
            hub.later(("agent", code, conn.agent), network_timeout, agent_gone, code, conn.agent)

    async def visitor_gone(code):
        if code not in hub.visitors:
            await end_session(code, Reasons.NETWORK_TIMEOUT)

    async def agent_gone(code, agent_id):
        if agent_id not in hub.agents.get(code, {}):
            await agent_left(code, agent_id)

    async def wait_over(code):
        session = await store.get(code)
        if session is not None and not session["agents"]:
            await end_session(code, Reasons.USER_TIMEOUT)

    async def agent_left(code, agent_id):
        """Take an agent out of its session and tell the visitor, once."""
        agents = hub.agents.get(code)
        if agents is not None:
            agents.pop(agent_id, None)
            if not agents:
                del hub.agents[code]
        hub.cancel(("agent", code, agent_id))
        await controls.agent_gone(code, agent_id)
        agent = await store.remove_agent(code, agent_id)
        if agent is None:
            return
        await hub.to_visitor(code, protocol.encode("agent_left", id=agent["id"], name=agent["name"]))
        await broadcast(code)
        session = await store.get(code)
        if session is not None and not session["agents"]:
            # The visitor stops recording: what the log holds would be stale for the next agent.
            await view_log.drop(code)
            hub.later(("wait", code), agent_wait_timeout, wait_over, code)

    async def sweep():
        """Close connections that have been silent for longer than the idle timeout."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, idle_timeout / 4))
            deadline = loop.time() - idle_timeout
            for conn in [conn for conn in hub.connections if conn.last < deadline and not conn.closed]:
                # Detached in a task of its own, so that a slow peer cannot hold up the sweep.
                hub.spawn(detach(conn))
                hub.close(conn, CLOSE_IDLE)

    def opened(socket, role):
        if hub.sweeper is None or hub.sweeper.done():
            hub.sweeper = asyncio.get_running_loop().create_task(_logged(sweep()))
        return hub.open(socket, role)

    async def closed(conn):
        hub.connections.discard(conn)
        await detach(conn)
        # The socket must be closed before its handler returns: the server drops the TCP
        # connection then, and a close frame still queued would never be sent.
        if conn.closing is not None:
            await conn.closing

    async def visitor_socket(socket: WebSocket):
        await socket.accept()
        if not origin_ok(socket, "visitor"):
            await forbid_origin(socket)
            return
        conn = opened(socket, "visitor")
        loop = asyncio.get_running_loop()
        try:
            while True:
                text = await receive(socket)
                if conn.closed:
                    return
                conn.last = loop.time()
                try:
                    message = protocol.decode(text, protocol.VISITOR_TO_SERVER)
                    kind = message["type"]
                    if kind == "view":
                        if conn.code is None:
                            raise protocol.ProtocolError("out_of_order", "no session has been started on this connection")
                        await relay_view(conn.code, text, message["events"])
                    elif kind == "ping":
                        await hub.send(conn, PONG)
                    elif kind == "start":
                        await start(conn, message)
                    elif kind == "resume":
                        await resume(conn, message)
                    elif conn.code is None:
                        raise protocol.ProtocolError("out_of_order", "no session has been started on this connection")
                    elif kind == "page":
                        await store.update(conn.code, url=message["url"], title=message.get("title"))
                        await broadcast(conn.code)
                    elif kind in control_server.VISITOR_KINDS:
                        await controls.from_visitor(conn.code, message)
                    elif kind == "stop":
                        ended, conn.code = conn.code, None
                        await end_session(ended, message["reason"])
                        return
                    elif kind == "navigated_away":
                        ended, conn.code = conn.code, None
                        await end_session(ended, Reasons.NAVIGATED_AWAY, message["url"])
                        return
                except protocol.ProtocolError as error:
                    await refuse(socket, error)
        except WebSocketDisconnect:
            pass
        finally:
            await closed(conn)

    async def start(conn, message):
        if conn.code is not None:
            raise protocol.ProtocolError("out_of_order", "this connection already has a session")
        timeout = clamp_network_timeout(message.get("networkTimeout"))
        try:
            session = await store.create(message["siteCode"], message.get("SID"), message.get("url"), network_timeout=timeout)
        except CodesExhausted:
            raise protocol.ProtocolError("unavailable", "The co-browse service is busy: please try again later")
        code = conn.code = session["accessCode"]
        conn.timeout = timeout
        hub.visitors[code] = conn
        hub.later(("wait", code), agent_wait_timeout, wait_over, code)
        await hub.send(conn, protocol.encode("started", accessCode=code, SID=session["SID"], token=session["token"]))

    async def resume(conn, message):
        if conn.code is not None:
            raise protocol.ProtocolError("out_of_order", "this connection already has a session")
        session = await store.by_token(message["token"])
        if session is None:
            raise protocol.ProtocolError("no_session", SESSION_OVER)
        code = session["accessCode"]
        take_over(hub.visitors.get(code), conn)
        changes = {}
        if message.get("url") is not None:
            changes["url"] = message["url"]
        if message.get("networkTimeout") is not None:
            changes["networkTimeout"] = clamp_network_timeout(message["networkTimeout"])
        if changes:
            await store.update(code, **changes)
        token = await store.new_token(code)
        if token is None:
            raise protocol.ProtocolError("no_session", SESSION_OVER)
        hub.cancel(("visitor", code))
        conn.code = code
        conn.timeout = changes.get("networkTimeout", session["networkTimeout"])
        hub.visitors[code] = conn
        await hub.send(conn, protocol.encode("resumed", accessCode=code, SID=session["SID"], token=token,
                                             agents=public_agents(session),
                                             control=control_server.public_control(session)))
        await broadcast(code)

    async def relay_view(code, text, events):
        """The hot path: a view message, validated by ``protocol.decode``, goes to every agent
        as the text that came, and into the session's log for agents who join later."""
        if any(type(event) is dict and event.get("type") == protocol.FULL_SNAPSHOT for event in events):
            # A log starts only in a session that agents are in (agents need the key): a visitor
            # alone cannot make the server hold megabytes for it.
            session = await store.get(code)
            if session is not None and session["agents"]:
                await view_log.record(code, text, True)
        else:
            await view_log.record(code, text, False)
        await hub.to_agents(code, text)

    async def catch_up(conn, code):
        """Show an agent who just joined or came back the visitor's current page: from the
        session's log, or, when the log outgrew its limit, from a new snapshot the visitor is
        asked for (every agent then gets it). With no log at all, the visitor's first snapshot
        is still on its way to every agent."""
        log = await view_log.replay(code)
        if log == LOST:
            await view_log.drop(code)
            await hub.to_visitor(code, SNAPSHOT)
        elif log:
            for text in log:
                await hub.send(conn, text)

    async def agent_socket(socket: WebSocket):
        await socket.accept()
        if not origin_ok(socket, "agent"):
            await forbid_origin(socket)
            return
        if not key_ok(socket):
            await refuse(socket, protocol.ProtocolError("unauthorized", "Wrong or missing agent key"))
            await Hub._close(socket, CLOSE_UNAUTHORIZED)
            return
        conn = opened(socket, "agent")
        client = (socket.query_params.get("key", ""), client_address(socket.client.host if socket.client else ""))
        loop = asyncio.get_running_loop()
        try:
            while True:
                text = await receive(socket)
                if conn.closed:
                    return
                conn.last = loop.time()
                try:
                    message = protocol.decode(text, protocol.AGENT_TO_SERVER)
                    kind = message["type"]
                    if kind == "ping":
                        await hub.send(conn, PONG)
                    elif kind == "join":
                        await join(conn, message, client)
                    elif kind == "rejoin":
                        await rejoin(conn, message)
                    elif conn.agent is None:
                        raise protocol.ProtocolError("out_of_order", "join a session first")
                    elif kind == "leave":
                        code, agent_id = conn.code, conn.agent
                        conn.code = conn.agent = None
                        await agent_left(code, agent_id)
                        hub.close(conn, 1000)
                        return
                    elif kind == "end":
                        code, conn.code, conn.agent = conn.code, None, None
                        await end_session(code, Reasons.AGENT_INITIATED)
                        return
                    elif kind in control_server.AGENT_KINDS:
                        await controls.from_agent(conn, message)
                except protocol.ProtocolError as error:
                    await refuse(socket, error)
        except WebSocketDisconnect:
            pass
        finally:
            await closed(conn)

    async def join(conn, message, client):
        if conn.agent is not None:
            raise protocol.ProtocolError("out_of_order", "this connection has already joined a session")
        wait = await limiter.retry_after(client)
        if wait:
            error = protocol.ProtocolError("rate_limited", "Too many attempts, wait %d s" % wait)
            error.retry_after = wait
            raise error
        name = " ".join(message["name"].split())
        if not name:
            raise protocol.ProtocolError("bad_name", "Please enter your name")
        session = await store.find(message["code"].strip())
        if session is None:
            await limiter.failed(client)
            raise protocol.ProtocolError("no_session", NO_SESSION)
        code = session["accessCode"]
        agent = {"id": secrets.token_hex(16), "name": name, "token": new_token()}
        session = await store.add_agent(code, agent)
        if session is None:
            raise protocol.ProtocolError("no_session", NO_SESSION)
        hub.cancel(("wait", code))
        conn.code, conn.agent = code, agent["id"]
        hub.agents.setdefault(code, {})[agent["id"]] = conn
        await hub.send(conn, protocol.encode("joined", id=agent["id"], name=name, token=agent["token"],
                                             session=summary(session, code in hub.visitors)))
        await hub.to_visitor(code, protocol.encode("agent_joined", id=agent["id"], name=name))
        await catch_up(conn, code)
        await broadcast(code)

    async def rejoin(conn, message):
        if conn.agent is not None:
            raise protocol.ProtocolError("out_of_order", "this connection has already joined a session")
        found = await store.agent_by_token(message["token"])
        if found is None:
            raise protocol.ProtocolError("no_session", AGENT_OVER)
        session, agent = found
        code = session["accessCode"]
        take_over(hub.agents.get(code, {}).get(agent["id"]), conn)
        token = await store.new_agent_token(code, agent["id"])
        if token is None:
            raise protocol.ProtocolError("no_session", AGENT_OVER)
        hub.cancel(("agent", code, agent["id"]))
        conn.code, conn.agent = code, agent["id"]
        hub.agents.setdefault(code, {})[agent["id"]] = conn
        await hub.send(conn, protocol.encode("joined", id=agent["id"], name=agent["name"], token=token,
                                             session=summary(session, code in hub.visitors)))
        await catch_up(conn, code)

    async def static_file(request):
        return static.response(request, request.path_params["path"])

    async def demo_file(request):
        return demo.response(request, request.path_params["path"])

    async def module_file(request):
        current = request.query_params.get("v") == build_hash(root)
        return modules.response(request, request.path_params["path"], cache=CACHE_IMMUTABLE if current else None)

    async def console_file(request):
        return console.response(request, request.path_params["path"])

    routes = [
        Route("/", index),
        Route("/index.html", index),
        Route("/pyscript.toml", toml),
        Route("/favicon.ico", favicon),
        Route("/demo/{path:path}", demo_file),
        Route("/static/{path:path}", static_file),
        Route("/cobrowse/{path:path}", module_file),
        Route("/agent", agent_page),
        Route("/agent/{path:path}", console_file),
        WebSocketRoute("/ws/visitor", visitor_socket),
        WebSocketRoute("/ws/agent", agent_socket),
    ]
    app = Starlette(routes=routes)
    app.state.store = store
    app.state.hub = hub
    app.state.limiter = limiter
    app.state.view_log = view_log
    return app
