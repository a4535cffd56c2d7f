"""The server process: uvicorn, configured for cobrowse, which drains the relay when told to stop.

Public names:

- ``uvicorn_config(app, host, port, trusted_proxies=())``: uvicorn's configuration of the
  server; ``X-Forwarded-For`` is believed only from ``trusted_proxies`` (addresses or CIDR
  networks, ``--trusted-proxy``), by uvicorn's own proxy-headers middleware.
- ``DrainingServer(config, relay)``: uvicorn's server; its first SIGTERM or SIGINT drains the
  relay before it stops.
"""

import asyncio
import concurrent.futures
import socket
from collections.abc import Sequence
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from cobrowse.server.relay import Relay

# Frames over the largest view (4 MiB, a big page's full snapshot) close their connection (1009).
MAX_FRAME_BYTES = (4 << 20) + (64 << 10)


def uvicorn_config(app: ASGIApp, host: str, port: int, trusted_proxies: Sequence[str] = ()) -> uvicorn.Config:
    # Compression (permessage-deflate) is declined: its zlib state costs about 80 KB of memory per
    # session (two connections), and a relayed view would be compressed once per agent instead of
    # encoded once for all. uvicorn's sans-I/O websockets protocol: about a fifth less memory per
    # session than its default one (bench/load.py). Without a trusted proxy, no forwarded header
    # is believed (uvicorn's own default would trust one from 127.0.0.1).
    return uvicorn.Config(app, host=host, port=port, log_level="warning", ws="websockets-sansio",
                          ws_max_size=MAX_FRAME_BYTES, ws_per_message_deflate=False,
                          proxy_headers=bool(trusted_proxies), forwarded_allow_ips=list(trusted_proxies) or None)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, whose first SIGTERM or SIGINT drains the relay before it stops: the
    listening sockets close (a load balancer sends new connections elsewhere), every session is
    handed on (``Relay.drain``) and every socket closes with 1012, "reconnect now"."""

    def __init__(self, config: uvicorn.Config, relay: Relay) -> None:
        super().__init__(config)
        self.relay = relay
        self.loop: asyncio.AbstractEventLoop | None = None
        self.draining: concurrent.futures.Future[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.draining is not None or self.loop is None:
            super().handle_exit(sig, frame)
        else:
            self.draining = asyncio.run_coroutine_threadsafe(self.drain(), self.loop)

    async def drain(self) -> None:
        for server in self.servers:
            server.close()
        try:
            await self.relay.drain()
        finally:
            self.should_exit = True
