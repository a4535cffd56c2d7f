"""The widget: the visitor's session wired to the page, the network and the default UI.

Public names:

- ``main()``: boot the widget; run by the script tag that ``static/cobrowse.js`` adds.
- ``Widget``: one page's co-browse widget. The loader calls its ``listen``,
  ``remove_listener`` and ``command`` (the proxies ``main`` attaches); its parts do the rest:
  ``connection`` (the WebSocket), ``navigation`` (links that leave the site), ``ui`` (the
  default widget; None with ``data-ui="none"``), ``storage`` (what the tab keeps), ``tools``
  (the agents' pointers and strokes, ``data-agent-tools``) and, built
  the first time it is needed, ``control`` (remote control). Each calls ``pump()`` after a
  change.
- ``CONTROL_COMMANDS``: the API commands that remote control answers.
- ``LEAVE_GRACE_MS``: how long a confirmed departure waits for the server. The close code and
  the heartbeat's timings the parts are given are ``core.constants``'.

Everything here is glue: decisions live in the pure core (``cobrowse.core``). It runs on
MicroPython on the page's main thread with either ``data-runtime`` (under ``pyodide`` the page's
own CPython gets the events through ``worker.py``), and reaches JavaScript through ``ffi``
only.
"""

import json

from cobrowse.browser.connection import Connection
from cobrowse.browser.ffi import create_proxy, loader, report, window
from cobrowse.browser.navigation import Navigation
from cobrowse.browser.storage import TabStorage
from cobrowse.browser.tools import AgentTools
from cobrowse.browser.ui import DefaultUI
from cobrowse.core import links
from cobrowse.core.constants import CLOSE_DRAINING, HEARTBEAT_MS, SILENCE_MS
from cobrowse.core.events import Events, payload_json
from cobrowse.core.session import NETWORK_TIMEOUT_SECONDS, VisitorSession
from cobrowse.core.states import States, in_session
from cobrowse.core.tools import parse_allowed

# How long a confirmed departure waits for the server to acknowledge the end of the session
# before the page navigates anyway, in milliseconds.
LEAVE_GRACE_MS = 1500

# The API commands that remote control (``control.RemoteControl``) answers.
CONTROL_COMMANDS = ("allowControl", "denyControl", "revokeControl")


class Widget:
    """The co-browse widget of one page."""

    def __init__(self, options):
        self.options = options
        self.session = VisitorSession(options.get("siteCode") or "default", _network_timeout(options.get("networkTimeout")))
        self.storage = TabStorage(options["server"], self.session.site_code)
        self.settled = False
        self.hosts = links.site_hosts(options.get("domains"), window.location.hostname)
        self.tools = AgentTools(self.session, _allowed_tools(options.get("agentTools")))
        self.ui = DefaultUI(self.session, self.command, self.tools.state) if options.get("ui") != "none" else None
        self.tools.ui = self.ui
        self.connection = Connection(options["server"], self.session, self.pump, self._handle, CLOSE_DRAINING)
        self.navigation = Navigation(self.session, self.connection, self.ui, self.hosts, self.pump, LEAVE_GRACE_MS)
        self.flush_scheduled = False
        # Proxies handed to JavaScript must outlive this call on Pyodide: keep them.
        self._flush_proxy = create_proxy(self._flush)
        for signal in Events.signals():
            signal.on_error = _report_listener_error
        # Remote control (``control``), built by ``_remote_control()`` the first time it is
        # needed. The tab keeps its grant across page loads.
        self.control = None

    # -- the JavaScript API (called by static/cobrowse.js) ---------------------------------

    def listen(self, name, key, deliver):
        Events[name].listen(_JsListener(name, deliver), key=("js", key))

    def remove_listener(self, name, key):
        Events[name].remove_listener(key=("js", key))

    def command(self, name, args_json):
        """Run one API command; always return JSON text, never raise into JavaScript."""
        try:
            args = json.loads(args_json) if args_json else {}
            if not isinstance(args, dict):
                args = {}
            result = self._command(name, args)
        except Exception as exc:  # noqa: BLE001 - report it to the page, keep the widget alive.
            report("%s failed: %s" % (name, exc))
            result = {"result": False, "description": "internal error: %s" % exc}
        self.pump()
        return json.dumps(result)

    def _command(self, name, args):
        session = self.session
        if name == "state":
            return {"state": session.state}
        if name == "info":
            return {"accessCode": session.access_code, "SID": session.sid, "agentTools": self.tools.state.usable(),
                    "mode": session.mode if in_session(session.state) else None}
        if name == "boot":
            return self._boot()
        if name == "bootFailed":
            # The loader's boot guard gave up (a session the server never restored).
            session.boot_failed()
            self.connection.close()
            return {"result": True}
        if name == "start":
            ok, description = session.start(sid=args.get("SID"), url=_page_url(), now=window.Date.now() / 1000)
            if ok:
                self.connection.open()
            return {"result": True} if ok else {"result": False, "description": description}
        if name == "stop":
            reason = args.get("reason")
            ok, description = session.stop(None if reason is None else reason)
            if ok and self.connection.socket is None:
                session.connection_lost()
            return {"result": ok, "description": description}
        if name == "agentToolsSwitch":
            self.tools.switch(args.get("on") is True)
            return {"result": True}
        if name == "clearDrawings":
            self.tools.clear()
            return {"result": True}
        if name in CONTROL_COMMANDS:
            return self._remote_control().command(name)
        if name == "popup":
            if self.ui is not None:
                self.ui.popups[args.get("which")] = bool(args.get("enabled"))
            return {"result": True}
        return {"result": False, "description": "unknown command %r" % name}

    def _boot(self):
        token, grant = self.storage.load()
        self.session.boot(token, _page_url(), grant)
        self.navigation.install()
        if self.ui is not None:
            self.ui.install()
        if self.session.resuming:
            self.connection.open()
        window.setInterval(create_proxy(self._heartbeat), HEARTBEAT_MS)
        return {"result": True}

    def _heartbeat(self, *args):
        self.connection.heartbeat(SILENCE_MS)

    # -- after each change -----------------------------------------------------------------

    def pump(self):
        """Send queued messages, schedule event delivery and bring the UI up to date."""
        session = self.session
        self.connection.flush()
        self.connection.sync_live_view()
        self.storage.keep(session.token, session.granted)
        if session.state != States.INIT and not self.settled:
            self.settled = True
            loader()._settle()
        if session.events and not self.flush_scheduled:
            # Listeners run later, never inside listen(), start() or stop().
            self.flush_scheduled = True
            window.setTimeout(self._flush_proxy, 0)
        self.tools.sync()
        if self.ui is not None:
            self.ui.render()
        if self.control is not None or session.control:
            self._remote_control().sync()

    def _flush(self, *args):
        self.flush_scheduled = False
        events, self.session.events = self.session.events, []
        for name, data in events:
            Events[name].send(data)
        self.navigation.after_events()
        self.pump()

    def _handle(self, message):
        """A message the connection hands on: an action for remote control, the rest for the
        agent tools."""
        if message["type"] == "act":
            self._remote_control().act(message)
        else:
            self.tools.receive(message)

    def _remote_control(self):
        """This page's remote control, built the first time it is needed: when an agent asks
        for control, a resumed page is under control, or the page calls a control command.

        MicroPython compiles every module it imports on the page's main thread, so a visitor
        whom no agent asks for control never pays for ``control``: it is imported here.
        """
        if self.control is None:
            from cobrowse.browser.control import RemoteControl

            self.control = RemoteControl(self.session, self.ui, self.hosts, self.pump)
        return self.control


class _JsListener:
    """A JavaScript listener: called with the payload as JSON; the loader reports what it throws."""

    def __init__(self, name, deliver):
        self.name = name
        self.deliver = deliver

    def __call__(self, data):
        self.deliver(payload_json(self.name, data))


def _report_listener_error(signal, listener, exc):
    report("a %s listener failed: %r" % (signal.name, exc))


def _page_url():
    return str(window.location.href)[:2048]


def _allowed_tools(text):
    """data-agent-tools: the tools it names; unknown names are reported and left out."""
    allowed, unknown = parse_allowed(text)
    if unknown:
        report("data-agent-tools: %s unknown (the tools are point, draw, control)" % ", ".join(unknown))
    return allowed


def _network_timeout(value):
    """data-network-timeout in seconds: a number from 5 to 300, else the default."""
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        return NETWORK_TIMEOUT_SECONDS
    return max(5, min(300, seconds))


def main():
    options = json.loads(loader()._options)
    widget = Widget(options)
    loader()._attach(create_proxy(widget.listen), create_proxy(widget.remove_listener), create_proxy(widget.command))
    return widget
