"""The session server: serves the widget and the agent console, and relays sessions.

Public names:

- ``create_app(agent_key, store=None, root=ROOT, *, agent_wait_timeout, network_timeout,
  idle_timeout, allowed_origins, limiter, view_log, engine)``: the Starlette application.
- ``serve(relay, conn)``: feed one WebSocket's frames to the relay.
- ``Gate``: the agent key and Origin checks; ``normalize_origin(origin)``,
  ``same_origin(origin, host)``: the WebSocket Origin check.
- ``client_address(host)``: what the join limit counts by (an IPv4 address, an IPv6 /64).
- ``CLOSE_UNAUTHORIZED``, ``CLOSE_FORBIDDEN_ORIGIN``: close codes of ``docs/protocol.md``
  given before a connection reaches the relay (``relay`` has the others and the defaults).

Routes: the files of ``files.SiteFiles`` (``/`` and ``/demo/``, ``/static/``,
``/cobrowse/manifest.json`` and ``/pyscript.toml``, ``/cobrowse/**.py`` and ``.mpy``,
``/agent/**``), ``/agent`` (the agent console), ``/healthz`` (200 while this process reaches its
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
import hmac
import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from cobrowse.core import protocol
from cobrowse.server.backends.engine import MemoryEngine
from cobrowse.server.files import ROOT, SiteFiles
from cobrowse.server.relay import AGENT_WAIT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, NETWORK_TIMEOUT_SECONDS, Relay

# WebSocket close codes of our own (4000-4999 are the application's); ``relay`` has the others.
CLOSE_UNAUTHORIZED = 4401  # Wrong or missing agent key.
CLOSE_FORBIDDEN_ORIGIN = 4403  # A page of an origin that may not use this endpoint.

DEFAULT_PORTS = {"http": 80, "https": 443}


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
        return await files.console_page(request)

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
