"""The session server: serves the widget and the agent console, and relays sessions.

Public names:

- ``create_app(agent_key, store=None)``: the Starlette application.
- ``Hub``: this process's open connections, by access code.

Routes: ``/`` and ``/demo/`` (the demo site), ``/static/`` (the loader and vendored runtimes),
``/pyscript.toml`` and ``/cobrowse/*.py`` (the browser's Python modules, exactly those listed in
pyscript.toml), ``/agent`` (the agent console), ``/ws/visitor`` and ``/ws/agent`` (the wire
protocol of ``docs/protocol.md``).
"""

import gzip
import hashlib
import hmac
import html
import mimetypes
import os
import re
import secrets
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from cobrowse import protocol
from cobrowse.session import Reasons
from cobrowse.store import MemoryStore

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
CLOSE_UNAUTHORIZED = 4401


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


class Hub:
    """This process's connections: the visitor's socket and the agents' sockets per session."""

    def __init__(self):
        self.visitors = {}  # code -> WebSocket
        self.agents = {}  # code -> {agent id: WebSocket}

    async def send(self, socket, text):
        """Send, ignoring a peer that is already gone: its own handler cleans up after it."""
        try:
            await socket.send_text(text)
        except Exception:  # noqa: BLE001 - a closed peer is not this sender's failure.
            pass

    async def to_visitor(self, code, text):
        socket = self.visitors.get(code)
        if socket is not None:
            await self.send(socket, text)

    async def to_agents(self, code, text):
        for socket in list(self.agents.get(code, {}).values()):
            await self.send(socket, text)


def summary(session):
    """What agents see of a session."""
    return {
        "accessCode": session["accessCode"],
        "SID": session["SID"],
        "siteCode": session["siteCode"],
        "state": "ACTIVE:ACTIVE" if session["agents"] else "ACTIVE:WAIT",
        "url": session["url"],
        "title": session["title"],
        "agents": [dict(agent) for agent in session["agents"]],
    }


def create_app(agent_key, store=None, root=ROOT):
    store = store or MemoryStore()
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
        if session is not None:
            await hub.to_agents(code, protocol.encode("session", session=summary(session)))

    async def end_session(code, reason, url=None):
        """End a live session for everyone in it; a second end of the same session is a no-op."""
        session = await store.end(code)
        if session is None:
            return
        text = protocol.encode("ended", reason=reason, url=url)
        visitor = hub.visitors.pop(code, None)
        agents = hub.agents.pop(code, {})
        for socket in ([visitor] if visitor else []) + list(agents.values()):
            await hub.send(socket, text)
            try:
                await socket.close(1000)
            except Exception:  # noqa: BLE001 - already closed.
                pass

    async def refuse(socket, error):
        await hub.send(socket, protocol.encode("error", code=error.code, message=error.message))

    async def visitor_socket(socket: WebSocket):
        await socket.accept()
        code = None
        try:
            while True:
                text = await receive(socket)
                try:
                    message = protocol.decode(text, protocol.VISITOR_TO_SERVER)
                    kind = message["type"]
                    if kind == "start":
                        if code is not None:
                            raise protocol.ProtocolError("out_of_order", "this connection already has a session")
                        session = await store.create(message["siteCode"], message.get("SID"), message.get("url"))
                        code = session["accessCode"]
                        hub.visitors[code] = socket
                        await hub.send(socket, protocol.encode("started", accessCode=code, SID=session["SID"]))
                    elif code is None:
                        raise protocol.ProtocolError("out_of_order", "no session has been started on this connection")
                    elif kind == "page":
                        await store.update(code, url=message["url"], title=message.get("title"))
                        await broadcast(code)
                    elif kind == "stop":
                        ended, code = code, None
                        await end_session(ended, message["reason"])
                        return
                    elif kind == "navigated_away":
                        ended, code = code, None
                        await end_session(ended, Reasons.NAVIGATED_AWAY, message["url"])
                        return
                except protocol.ProtocolError as error:
                    await refuse(socket, error)
        except WebSocketDisconnect:
            pass
        finally:
            if code is not None and hub.visitors.get(code) is socket:
                await end_session(code, "VISITOR_DISCONNECTED")

    async def agent_socket(socket: WebSocket):
        await socket.accept()
        if not key_ok(socket):
            await refuse(socket, protocol.ProtocolError("unauthorized", "Wrong or missing agent key"))
            await socket.close(CLOSE_UNAUTHORIZED)
            return
        code = agent = None
        try:
            while True:
                text = await receive(socket)
                try:
                    message = protocol.decode(text, protocol.AGENT_TO_SERVER)
                    kind = message["type"]
                    if kind == "join":
                        if agent is not None:
                            raise protocol.ProtocolError("out_of_order", "this connection has already joined a session")
                        name = " ".join(message["name"].split())
                        if not name:
                            raise protocol.ProtocolError("bad_name", "Please enter your name")
                        session = await store.find(message["code"].strip())
                        if session is None:
                            raise protocol.ProtocolError("no_session", "No active session with that code")
                        code = session["accessCode"]
                        agent = {"id": secrets.token_hex(16), "name": name}
                        await store.add_agent(code, agent)
                        hub.agents.setdefault(code, {})[agent["id"]] = socket
                        await hub.send(socket, protocol.encode("joined", id=agent["id"], name=name, session=summary(await store.get(code))))
                        await hub.to_visitor(code, protocol.encode("agent_joined", id=agent["id"], name=name))
                        await broadcast(code)
                    elif agent is None:
                        raise protocol.ProtocolError("out_of_order", "join a session first")
                    elif kind == "leave":
                        await agent_left(code, agent)
                        code = agent = None
                        await socket.close(1000)
                        return
                    elif kind == "end":
                        await end_session(code, Reasons.AGENT_INITIATED)
                        code = agent = None
                        return
                except protocol.ProtocolError as error:
                    await refuse(socket, error)
        except WebSocketDisconnect:
            pass
        finally:
            if agent is not None:
                await agent_left(code, agent)

    async def agent_left(code, agent):
        hub.agents.get(code, {}).pop(agent["id"], None)
        if await store.remove_agent(code, agent["id"]) is not None:
            await hub.to_visitor(code, protocol.encode("agent_left", id=agent["id"], name=agent["name"]))
            await broadcast(code)

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
    return app
