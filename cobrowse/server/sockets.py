"""The two WebSocket endpoints, ahead of Starlette's router and exception handlers: through them,
every send of a socket would pass a wrapper of theirs, and every connection would hold their
layers' coroutine frames for its whole life (about 2 KB and one call a message; bench/stacks.py).

Public names:

- ``SocketFront(app, endpoints)``: ASGI middleware: a WebSocket to a path of ``endpoints`` (path
  -> ASGI application) goes straight to it; everything else goes on to ``app``.
- ``socket_endpoint(handler)``: the ASGI application that calls ``handler`` with Starlette's
  ``WebSocket`` of the connection.
"""

from collections.abc import Awaitable, Callable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket


class SocketFront:
    def __init__(self, app: ASGIApp, endpoints: Mapping[str, ASGIApp]) -> None:
        self.app = app
        self.endpoints = dict(endpoints)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["type"] == "websocket" else None
        await (endpoint or self.app)(scope, receive, send)


def socket_endpoint(handler: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await handler(WebSocket(scope, receive, send))

    return endpoint
