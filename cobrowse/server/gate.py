"""Which pages may use the server: the Origin of the browser pages that open sockets, checked by
ASGI middleware on the sockets it guards (``app``); who an agent is, is ``signin``'s.

Public names:

- ``PageOrigin(app, allowed_origins, any_unless_listed=False)``: only sockets that no browser
  page opened, or that a page of the server's own origin or of ``allowed_origins`` opened, reach
  ``app`` (with ``any_unless_listed``, any page's while no origin is listed); others get a
  ``forbidden_origin`` error and close code 4403.
- ``normalize_origin(origin)``, ``same_origin(origin, host)``: the Origin comparison.
- ``client_address(host)``: what the join limit counts by (an IPv4 address, an IPv6 /64).
- ``refuse(socket, code, message, close_code)``: turn a socket away, saying why.
- ``CLOSE_FORBIDDEN_ORIGIN`` (from ``core.constants``): the close code of ``docs/protocol.md``
  given before a connection reaches the relay (``relay`` has the others).
"""

import contextlib
import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from cobrowse.core import protocol
from cobrowse.core.constants import CLOSE_FORBIDDEN_ORIGIN

DEFAULT_PORTS = {"http": 80, "https": 443}

class PageOrigin:
    """Lets through to ``app`` only sockets that a page of an allowed origin may open.

    A request without Origin does not come from a browser page, and so cannot be a page abusing
    a visitor's or an agent's browser: it is let through (the agent's sign-in still guards the
    agent endpoint). The server's own origin (the console, the demo site) is always allowed; other
    origins must be listed, except with ``any_unless_listed`` (the visitor endpoint) while none is.
    """

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str], any_unless_listed: bool = False) -> None:
        self.app = app
        self.allowed = {normalize_origin(origin) for origin in allowed_origins}
        self.any_origin = any_unless_listed and not self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or self.may_open(HTTPConnection(scope)):
            await self.app(scope, receive, send)
        else:
            await refuse(WebSocket(scope, receive, send), "forbidden_origin",
                         "Pages of this origin may not use this co-browse server", CLOSE_FORBIDDEN_ORIGIN)

    def may_open(self, connection: HTTPConnection) -> bool:
        origin = connection.headers.get("origin")
        if origin is None or self.any_origin:
            return True
        return normalize_origin(origin) in self.allowed or same_origin(origin, connection.headers.get("host"))


async def refuse(socket: WebSocket, code: str, message: str, close_code: int) -> None:
    """Accept the socket only to say why it is refused, then close it with ``close_code``."""
    await socket.accept()
    with contextlib.suppress(Exception):  # The peer may be gone already.
        await socket.send_text(protocol.encode("error", code=code, message=message))
    with contextlib.suppress(Exception):
        await socket.close(close_code)


def normalize_origin(origin: str) -> str:
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


def same_origin(origin: str, host_header: str | None) -> bool:
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


def client_address(host: str) -> str:
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
