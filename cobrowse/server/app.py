"""The session server's Starlette application: its routes, its start and stop, its sockets.

Public names:

- ``create_app(agent_key, store=None, root=ROOT, *, agent_wait_timeout, network_timeout,
  idle_timeout, allowed_origins, limiter, view_log, engine, compiler, audit, session_limit,
  start_limit, tokens)``: the application.
- ``serve(relay, conn)``: feed one WebSocket's frames to the relay.
- ``address_of(socket)``: the client's address, as the limits and the audit trail count it.

Routes: the files of ``files.SiteFiles`` (``/`` and ``/demo/``, ``/static/``,
``/cobrowse/manifest.json`` and ``/pyscript.toml``, ``/cobrowse/**.py`` and ``.mpy``,
``/agent/**``), ``/agent`` and ``/api/*`` (the agent console, signing in, the supervisors'
list: ``agents``), ``/healthz`` (200 while this process reaches its shared state and can write
its audit log, else 503 with the reason), ``/metrics`` (Prometheus: ``metrics``), and, ahead of
the router (``sockets``), ``/ws/visitor`` and ``/ws/agent`` (the wire protocol of
``docs/protocol.md``, handled by ``relay.Relay``, behind the Origin check and, for agents, a
sign-in: ``signin``).

Options of ``create_app``: a session with no agent for ``agent_wait_timeout`` seconds ends as
``USER_TIMEOUT``; a visitor whose connection dropped may resume within its session's network
timeout (the page's, else ``network_timeout``), an agent may rejoin within ``network_timeout``;
a connection silent for ``idle_timeout`` seconds is closed; ``allowed_origins`` are the page
origins allowed besides the server's own. ``engine`` holds what the server processes share
(``engine.MemoryEngine``, the default, builds one from ``store``, ``limiter``, ``view_log`` and
``start_limit``, the session starts allowed per client address a minute); ``compiler`` makes the
core's bytecode (``bytecode.Compiler()`` by default); ``audit`` is the audit trail
(``audit.AuditTrail``, none by default); ``session_limit`` ends every session that many
seconds after its start (None: no limit). Agents sign in with the shared ``agent_key`` (None:
off) or with tokens that ``tokens`` (a ``tokens.TokenVerifier``) verifies.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.websockets import WebSocket, WebSocketDisconnect

from cobrowse.core.constants import CLOSE_UNAUTHORIZED
from cobrowse.server.agents import AgentRoutes
from cobrowse.server.audit import AuditTrail
from cobrowse.server.backends.engine import Engine
from cobrowse.server.backends.limiter import START_LIMIT
from cobrowse.server.backends.memory.engine import MemoryEngine
from cobrowse.server.bytecode import Compiler
from cobrowse.server.files import ROOT, SiteFiles
from cobrowse.server.gate import PageOrigin, client_address, refuse
from cobrowse.server.metrics import metrics_endpoint
from cobrowse.server.relay import AGENT_WAIT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, NETWORK_TIMEOUT_SECONDS, Relay
from cobrowse.server.signin import SignIn
from cobrowse.server.sockets import SocketFront, socket_endpoint
from cobrowse.server.tokens import BadToken, TokenVerifier


class Held(Protocol):
    """What ``serve`` needs of a connection the relay holds."""

    closed: bool
    socket: WebSocket


def create_app(agent_key: str | None, store: Any = None, root: Path = ROOT, *,
               agent_wait_timeout: float = AGENT_WAIT_TIMEOUT_SECONDS, network_timeout: float = NETWORK_TIMEOUT_SECONDS,
               idle_timeout: float = IDLE_TIMEOUT_SECONDS, allowed_origins: Iterable[str] = (), limiter: Any = None,
               view_log: Any = None, engine: Engine | None = None, compiler: Compiler | None = None,
               audit: AuditTrail | None = None, session_limit: float | None = None,
               start_limit: int = START_LIMIT, tokens: TokenVerifier | None = None) -> Starlette:
    """The Starlette application (see the module's docstring for its options)."""
    engine = engine or MemoryEngine(store, limiter, view_log, start_limit=start_limit)
    relay = Relay(engine, agent_wait_timeout=agent_wait_timeout, network_timeout=network_timeout,
                  idle_timeout=idle_timeout, session_limit=session_limit, audit=audit)
    files = SiteFiles(Path(root), compiler)
    allowed_origins = tuple(allowed_origins)
    sign_in = SignIn(tokens, agent_key)

    async def healthz(request: Request) -> JSONResponse:
        problem = engine.health() or relay.audit.health()
        if problem is None:
            return JSONResponse({"status": "ok", "process": engine.process})
        return JSONResponse({"status": "unavailable", "reason": problem, "process": engine.process}, status_code=503)

    async def visitor_socket(socket: WebSocket) -> None:
        await socket.accept()
        await serve(relay, await relay.open(socket, "visitor", address=address_of(socket)))

    async def agent_socket(socket: WebSocket) -> None:
        try:
            identity = sign_in.who(socket)
        except BadToken as error:
            relay.audit.note("agent_refused", None, client=address_of(socket), reason="bad_token")
            await refuse(socket, "unauthorized", error.cause, CLOSE_UNAUTHORIZED)
            return
        await socket.accept()
        address = address_of(socket)
        await serve(relay, await relay.open(socket, "agent", (identity.id or "", address), address, identity))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The core's bytecode is compiled now, in the background, so that the first visitor
        # after a start or a deploy does not wait for it.
        app.state.compiling = asyncio.get_running_loop().run_in_executor(None, files.compiled_core)
        await relay.start()
        yield
        await relay.stop()

    routes = AgentRoutes(sign_in, engine.store, files.console_page).routes() + files.routes() + [
        Route("/healthz", healthz),
        Route("/metrics", metrics_endpoint(relay)),
    ]
    sockets = {
        "/ws/visitor": PageOrigin(socket_endpoint(visitor_socket), allowed_origins, any_unless_listed=True),
        "/ws/agent": PageOrigin(socket_endpoint(agent_socket), allowed_origins),
    }
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SocketFront, endpoints=sockets)])
    app.state.relay = relay
    return app


def address_of(socket: WebSocket) -> str:
    """The client's address as the limits and the audit trail count it: the peer's, or the one
    a trusted proxy gave (uvicorn's ``forwarded_allow_ips`` put it in the scope)."""
    return client_address(socket.client.host if socket.client else "")


async def receive(socket: WebSocket) -> str | bytes:
    """The next frame's text, or its bytes if it is binary (``protocol.decode`` refuses those).

    Starlette's ``receive_text`` fails with a KeyError on a binary frame, which would drop the
    connection and end the session instead of answering ``bad_message``.
    """
    message = await socket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text: str | None = message.get("text")
    return text if text is not None else message.get("bytes", b"")


async def serve(relay: Relay, conn: Held) -> None:
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
