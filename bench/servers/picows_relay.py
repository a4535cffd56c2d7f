"""The relay on picows: ``serve(port, agent_key, engine)`` answers ``/ws/visitor`` and
``/ws/agent`` (with ``?key=`` the agent key) with picows and hands each frame to the same
``cobrowse.server.relay.Relay`` the product runs under Starlette. For bench/servers/serve.py.

Each connection gets one reader task fed by picows' frame callback, as an ASGI server gives
each connection one task; what the relay sends is written to picows' transport at once.
"""

import asyncio
from urllib.parse import parse_qs, urlsplit

from picows import WSCloseCode, WSListener, WSMsgType, ws_create_server

from cobrowse.server.process import MAX_FRAME_BYTES
from cobrowse.server.relay import Relay

# Close codes picows knows by name; ours (4408, 4429...) are sent as such through the enum's
# values where it has them, else as a plain close.
KNOWN_CODES = {int(code): code for code in WSCloseCode}


class PicowsSocket:
    """The relay's ``Socket`` on a picows transport."""

    def __init__(self, transport):
        self.transport = transport

    async def send_text(self, text):
        self.transport.send(WSMsgType.TEXT, text.encode())

    async def close(self, code):
        self.transport.send_close(KNOWN_CODES.get(code, WSCloseCode.OK))
        self.transport.disconnect()


class RelayListener(WSListener):
    def __init__(self, relay, role):
        self.relay = relay
        self.role = role
        self.frames = asyncio.Queue()
        self.task = None

    def on_ws_connected(self, transport):
        self.task = asyncio.get_running_loop().create_task(self.read(PicowsSocket(transport)))

    def on_ws_frame(self, transport, frame):
        if frame.msg_type == WSMsgType.TEXT:
            self.frames.put_nowait(frame.get_payload_as_utf8_text())
        elif frame.msg_type == WSMsgType.BINARY:
            self.frames.put_nowait(frame.get_payload_as_bytes())
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport):
        self.frames.put_nowait(None)

    async def read(self, socket):
        conn = await self.relay.open(socket, self.role, ("", "127.0.0.1") if self.role == "agent" else None)
        try:
            while not conn.closed:
                text = await self.frames.get()
                if text is None or conn.closed:
                    return
                await self.relay.receive(conn, text)
        finally:
            await self.relay.closed(conn)


async def serve(port, agent_key, engine):
    relay = Relay(engine)
    await relay.start()

    def listener(request):
        url = urlsplit(request.path.decode() if isinstance(request.path, bytes) else request.path)
        if url.path == "/ws/visitor":
            return RelayListener(relay, "visitor")
        if url.path == "/ws/agent" and parse_qs(url.query).get("key") == [agent_key]:
            return RelayListener(relay, "agent")
        return None

    server = await ws_create_server(listener, "127.0.0.1", port, max_frame_size=MAX_FRAME_BYTES)
    await server.serve_forever()
