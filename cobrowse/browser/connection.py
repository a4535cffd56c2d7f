"""The widget's WebSocket to the server: one at a time, with a heartbeat, reconnected with
backoff while the session can be resumed, and the live view recorded onto it.

Public names:

- ``Connection(server, session, pump, handle, draining_code)``: the connection of ``session`` to
  the cobrowse server at ``server`` (its http(s) URL). ``open()`` connects, ``flush()`` sends
  what the session queued, ``heartbeat(silence_ms)`` (on the widget's schedule) pings or, when
  the server has said nothing for longer than ``silence_ms``, drops the socket, ``close()``
  hangs up and ``sync_live_view()`` records the page while agents watch. ``socket`` is the
  open (or opening) WebSocket, or None. The messages of ``HANDED_ON`` (an agent's action,
  pointer and strokes, and the session's start or resumption) go to ``handle(message)`` once
  the session has taken them; ``pump()`` is the widget's, called after each change.

A lost connection is reconnected after ``core.session.reconnect_delay`` (at once when the server
closed it with ``draining_code``: it is shutting down and another process takes the session),
until the session's network timeout has passed since it was lost; then the session gives up.
"""

from cobrowse.browser.ffi import create_proxy, loader, report, window
from cobrowse.core import protocol
from cobrowse.core.session import reconnect_delay
from cobrowse.core.states import States


HANDED_ON = ("act", "point", "draw", "cleared", "started", "resumed")


class Connection:
    """One session's connection to the server."""

    def __init__(self, server, session, pump, handle, draining_code):
        self.url = server.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/ws/visitor"
        self.session = session
        self.pump = pump
        self.handle = handle
        self.draining_code = draining_code
        self.socket = None
        self.last_heard = 0
        self.lost_at = None  # When the connection of a live session was lost (ms), if it is.
        self.attempt = 0
        self.live_socket = None  # The socket the page is recorded onto, for the live view.
        # Proxies handed to JavaScript must outlive this call on Pyodide: keep them.
        self._proxies = {}

    def open(self):
        socket = window.WebSocket.new(self.url)
        proxies = {
            "onopen": create_proxy(lambda event: self._on_open(socket)),
            "onmessage": create_proxy(lambda event: self._on_message(socket, event)),
            "onclose": create_proxy(lambda event: self._on_close(socket, event)),
        }
        for name in proxies:
            setattr(socket, name, proxies[name])
        self._proxies = proxies
        self.socket = socket

    def is_open(self):
        return self.socket is not None and self.socket.readyState == 1

    def flush(self):
        """Send the messages the session queued, if the socket is open."""
        if self.session.outbox and self.is_open():
            outbox, self.session.outbox = self.session.outbox, []
            for text in outbox:
                self.socket.send(text)

    def close(self, reason="session ended"):
        socket, self.socket = self.socket, None
        if socket is not None:
            socket.close(1000, reason)

    def heartbeat(self, silence_ms):
        socket = self.socket
        if socket is None or socket.readyState != 1:
            return
        if window.Date.now() - self.last_heard > silence_ms:
            # Silent too long: drop this socket (its late events are ignored) and reconnect.
            self.socket = None
            socket.close(4000, "heartbeat lost")
            self._lost()
            return
        self.session.ping()
        self.pump()

    def sync_live_view(self):
        """Record the page while agents watch: a full snapshot on each new socket and when the
        server asks for one, nothing at all while no agent is there. Agents who join late are
        shown the page from the server's log of the view, so they cost the visitor nothing."""
        session = self.session
        if not (self.is_open() and session.watched()):
            session.snapshot_wanted = False
            if self.live_socket is not None:
                self.live_socket = None
                loader()._live.stop()
            return
        if self.socket is not self.live_socket or session.snapshot_wanted:
            session.snapshot_wanted = False
            self.live_socket = self.socket
            loader()._live.start(self.socket)

    # -- the socket's events ---------------------------------------------------------------

    def _on_open(self, socket):
        if socket is self.socket:
            self.last_heard = window.Date.now()
            self.session.connected()
            self.pump()

    def _on_message(self, socket, event):
        if socket is not self.socket:
            return
        self.last_heard = window.Date.now()
        # A session that cannot be resumed is an expected outcome, not an error to report.
        resuming = self.session.resuming or self.session.reconnecting
        try:
            message = self.session.receive(event.data, window.Date.now() / 1000)
            if message["type"] in HANDED_ON:
                self.handle(message)
            if message["type"] in ("resumed", "started"):
                self.lost_at = None
                self.attempt = 0
            if message["type"] == "error" and message["code"] == "in_use" and self.session.reconnecting:
                # Our previous connection still counts as attached: retry after a pause.
                self.socket = None
                socket.close(1000, "retrying")
                self._lost()
                return
            if message["type"] == "error" and not resuming:
                report("the server refused a request: " + message["message"])
        except protocol.ProtocolError as exc:
            report("ignored a malformed message from the server: " + exc.message)
        if self.session.state in (States.READY, States.ERROR):
            self.close()
        self.pump()

    def _on_close(self, socket, event):
        if socket is not self.socket:
            return
        self._lost(at_once=event.code == self.draining_code)

    def _lost(self, at_once=False):
        """The connection is gone: end what cannot go on, reconnect what can (``at_once``
        when the server said it is shutting down: another process takes the session)."""
        self.socket = None
        if self.session.connection_lost():
            now = window.Date.now()
            if self.lost_at is None:
                self.lost_at = now
            if now - self.lost_at >= self.session.network_timeout * 1000:
                self.session.give_up()
                self.lost_at = None
            else:
                delay = 0 if at_once else reconnect_delay(self.attempt, window.Math.random())
                self.attempt += 1
                window.setTimeout(create_proxy(self._reconnect), int(delay * 1000))
        else:
            self.lost_at = None
        self.pump()

    def _reconnect(self, *args):
        if self.socket is None and (self.session.reconnecting or self.session.resuming):
            self.open()
