"""The browser adapter: the widget's side of the page, JavaScript and the network (remote control
has its own adapter beside it, ``control_browser``).

Public names:

- ``main()``: boot the widget; run by the script tag that ``static/cobrowse.js`` adds.
- ``Widget``: one page's co-browse widget (session, connection, link hook and default UI).

Everything here is glue: decisions live in the pure modules (``session``, ``links``,
``widget``, ``protocol``, ``events``). It runs on MicroPython on the page's main thread with
either ``data-runtime`` (under ``pyodide`` the page's own CPython gets the events through
``worker.py``), and only uses ``pyscript.ffi`` and ``js``: calls into JavaScript take and
return strings, numbers and JavaScript objects, never Python containers.
"""

import json

import js
from pyscript.ffi import create_proxy

from cobrowse.core import links, protocol
from cobrowse.core.constants import CLOSE_DRAINING, HEARTBEAT_MS, SILENCE_MS, WIDGET_ID
from cobrowse.core.events import Events, payload_json
from cobrowse.core.session import NETWORK_TIMEOUT_SECONDS, States, VisitorSession, in_session, reconnect_delay
from cobrowse.core.widget_view import ENDING, LEAVE_PROMPT, STARTING, announcement, spelled, view

# How long a confirmed departure waits for the server to acknowledge the end of the session
# before the page navigates anyway, in milliseconds.
LEAVE_GRACE_MS = 1500

# The API commands that remote control (``control_browser.RemoteControl``) answers.
CONTROL_COMMANDS = ("allowControl", "denyControl", "revokeControl")

# Site owners theme the widget with CSS custom properties set on its host element
# (#cobrowse-widget) or any ancestor: --cobrowse-accent, --cobrowse-accent-text, --cobrowse-font,
# --cobrowse-radius and --cobrowse-top/right/bottom/left. The defaults are the fallbacks of var(),
# never declarations on :host, so that values inherited from the page still reach in.
STYLE = """
:host { all: initial; }
.box { position: fixed; top: var(--cobrowse-top, auto); right: var(--cobrowse-right, 16px);
  bottom: var(--cobrowse-bottom, 16px); left: var(--cobrowse-left, auto); z-index: 2147483647;
  max-width: 300px; font: 14px/1.4 var(--cobrowse-font, system-ui, sans-serif); color: #1d2430;
  background: #fff; border-radius: var(--cobrowse-radius, 10px); box-shadow: 0 6px 24px rgba(0,0,0,.18);
  padding: 12px 14px; }
button { font: inherit; cursor: pointer; border-radius: calc(var(--cobrowse-radius, 10px) * .6);
  border: 1px solid var(--cobrowse-accent, #0b5cd5); background: var(--cobrowse-accent, #0b5cd5);
  color: var(--cobrowse-accent-text, #fff); padding: 6px 14px; margin: 4px 4px 0 0; }
button.quiet { background: #fff; color: var(--cobrowse-accent, #0b5cd5); }
button:focus-visible { outline: 3px solid #1d2430; outline-offset: 2px; }
.code { font: 600 32px/1.2 ui-monospace, monospace; letter-spacing: 4px; margin: 4px 0; }
.muted { color: #5b6472; }
.notice { margin: 0 0 6px; }
ul { margin: 4px 0; padding-left: 18px; }
.spinner { display: inline-block; width: 12px; height: 12px; border: 2px solid var(--cobrowse-accent, #0b5cd5);
  border-right-color: transparent; border-radius: 50%; animation: spin .8s linear infinite;
  vertical-align: -2px; margin-right: 6px; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
}
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.veil { position: fixed; inset: 0; z-index: 2147483647; background: rgba(0,0,0,.35);
  display: flex; align-items: center; justify-content: center;
  font: 15px/1.4 var(--cobrowse-font, system-ui, sans-serif); }
.dialog { background: #fff; color: #1d2430; border-radius: var(--cobrowse-radius, 10px); padding: 18px;
  max-width: 360px; }
"""


def _style_sheet(css):
    """A constructed style sheet: unlike a ``<style>`` element, a page's Content-Security-Policy
    needs no ``'unsafe-inline'`` in ``style-src`` to let it apply."""
    sheet = js.CSSStyleSheet.new()
    sheet.replaceSync(css)
    return sheet


def _element(tag, text=None, cls=None, **attrs):
    """Create an element; ``text`` is set as text, never parsed as HTML."""
    node = js.document.createElement(tag)
    if text is not None:
        node.textContent = text
    if cls:
        node.className = cls
    for name in attrs:
        node.setAttribute(name.replace("_", "-"), attrs[name])
    return node


class Widget:
    """The co-browse widget of one page."""

    def __init__(self, options):
        self.options = options
        self.session = VisitorSession(options.get("siteCode") or "default", _network_timeout(options.get("networkTimeout")))
        # The tab's resume token lives in sessionStorage: it survives same-site page loads in
        # this tab and never reaches another tab, a URL or localStorage.
        self.storage_key = "cobrowse:" + options["server"] + "|" + self.session.site_code
        self.saved_token = None
        self.settled = False
        self.last_heard = 0
        self.lost_at = None  # When the connection of a live session was lost (ms), if it is.
        self.attempt = 0
        # The live view: the socket the page is recorded onto.
        self.live_socket = None
        self.hosts = links.site_hosts(options.get("domains"), js.location.hostname)
        self.show_ui = options.get("ui") != "none"
        self.popups = {"navigatingAway": True, "sessionEnded": True}
        self.socket = None
        self.leaving_to = None
        self.flush_scheduled = False
        self.dialog = None
        # What Escape does while the dialog is open, and where focus goes back when it closes.
        self.dialog_cancel = None
        self.dialog_opener = None
        self.rendered = None
        self.shown = None
        self.root = None
        # The live region: screen readers hear what it says (the code, agents, notices).
        self.said = None
        # Proxies handed to JavaScript must outlive this call on Pyodide: keep them.
        self._flush_proxy = create_proxy(self._flush)
        self._on_link_proxy = create_proxy(self._on_link)
        self._socket_proxies = {}
        for signal in Events.signals():
            signal.on_error = _report_listener_error
        # Remote control (``control_browser``), built by ``_remote_control()`` the first time it
        # is needed. The tab keeps its grant across page loads.
        self.control = None
        self.control_key = self.storage_key + "|control"
        self.saved_grant = None

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
            js.console.error("Cobrowse: %s failed: %s" % (name, exc))
            result = {"result": False, "description": "internal error: %s" % exc}
        self._pump()
        return json.dumps(result)

    def _command(self, name, args):
        session = self.session
        if name == "state":
            return {"state": session.state}
        if name == "info":
            return {"accessCode": session.access_code, "SID": session.sid, "mode": session.mode if in_session(session.state) else None}
        if name == "boot":
            self.saved_token = _storage_get(self.storage_key)
            self.saved_grant = _storage_get(self.control_key)
            session.boot(self.saved_token, str(js.location.href)[:2048], self.saved_grant)
            self._install()
            if session.resuming:
                self._connect()
            js.setInterval(create_proxy(self._heartbeat), HEARTBEAT_MS)
            return {"result": True}
        if name == "bootFailed":
            # The loader's boot guard gave up (a session the server never restored).
            session.boot_failed()
            self._close_socket()
            return {"result": True}
        if name == "start":
            return self._start(args.get("SID"))
        if name == "stop":
            reason = args.get("reason")
            ok, description = session.stop(None if reason is None else reason)
            if ok and self.socket is None:
                session.connection_lost()
            return {"result": ok, "description": description}
        if name in CONTROL_COMMANDS:
            return self._remote_control().command(name)
        if name == "popup":
            self.popups[args.get("which")] = bool(args.get("enabled"))
            return {"result": True}
        return {"result": False, "description": "unknown command %r" % name}

    # -- session plumbing ------------------------------------------------------------------

    def _start(self, sid=None):
        ok, description = self.session.start(sid=sid, url=str(js.location.href)[:2048])
        if not ok:
            return {"result": False, "description": description}
        self._connect()
        return {"result": True}

    def _connect(self):
        url = self.options["server"].replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        socket = js.WebSocket.new(url + "/ws/visitor")
        proxies = {
            "onopen": create_proxy(lambda event: self._on_open(socket)),
            "onmessage": create_proxy(lambda event: self._on_message(socket, event)),
            "onclose": create_proxy(lambda event: self._on_close(socket, event)),
        }
        for name in proxies:
            setattr(socket, name, proxies[name])
        self._socket_proxies = proxies
        self.socket = socket

    def _on_open(self, socket):
        if socket is self.socket:
            self.last_heard = js.Date.now()
            self.session.connected()
            self._pump()

    def _on_message(self, socket, event):
        if socket is not self.socket:
            return
        self.last_heard = js.Date.now()
        # A session that cannot be resumed is an expected outcome, not an error to report.
        resuming = self.session.resuming or self.session.reconnecting
        try:
            message = self.session.receive(event.data)
            if message["type"] == "act":
                self._remote_control().act(message)
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
                js.console.error("Cobrowse: the server refused a request: " + message["message"])
        except protocol.ProtocolError as exc:
            js.console.error("Cobrowse: ignored a malformed message from the server: " + exc.message)
        if self.session.state in (States.READY, States.ERROR):
            self._close_socket()
        self._pump()

    def _on_close(self, socket, event):
        if socket is not self.socket:
            return
        self._lost(at_once=event.code == CLOSE_DRAINING)

    def _lost(self, at_once=False):
        """The connection is gone: end what cannot go on, reconnect what can (``at_once``
        when the server said it is shutting down: another process takes the session)."""
        self.socket = None
        if self.session.connection_lost():
            now = js.Date.now()
            if self.lost_at is None:
                self.lost_at = now
            if now - self.lost_at >= self.session.network_timeout * 1000:
                self.session.give_up()
                self.lost_at = None
            else:
                delay = 0 if at_once else reconnect_delay(self.attempt, js.Math.random())
                self.attempt += 1
                js.setTimeout(create_proxy(self._reconnect), int(delay * 1000))
        else:
            self.lost_at = None
        self._pump()

    def _reconnect(self, *args):
        if self.socket is None and (self.session.reconnecting or self.session.resuming):
            self._connect()

    def _heartbeat(self, *args):
        socket = self.socket
        if socket is None or socket.readyState != 1:
            return
        if js.Date.now() - self.last_heard > SILENCE_MS:
            # Silent too long: drop this socket (its late events are ignored) and reconnect.
            self.socket = None
            socket.close(4000, "heartbeat lost")
            self._lost()
            return
        self.session.ping()
        self._pump()

    def _close_socket(self):
        socket, self.socket = self.socket, None
        if socket is not None:
            socket.close(1000, "session ended")

    def _pump(self):
        """Send queued messages, schedule event delivery and bring the UI up to date."""
        session = self.session
        socket = self.socket
        if session.outbox and socket is not None and socket.readyState == 1:
            outbox, session.outbox = session.outbox, []
            for text in outbox:
                socket.send(text)
        self._sync_live_view()
        if session.token != self.saved_token:
            self.saved_token = session.token
            _storage_set(self.storage_key, session.token)
        if session.granted != self.saved_grant:
            self.saved_grant = session.granted
            _storage_set(self.control_key, session.granted)
        if session.state != States.INIT and not self.settled:
            self.settled = True
            js.window.Cobrowse._settle()
        if session.events and not self.flush_scheduled:
            # Listeners run later, never inside listen(), start() or stop().
            self.flush_scheduled = True
            js.setTimeout(self._flush_proxy, 0)
        self._render()
        if self.control is not None or session.control:
            self._remote_control().sync()

    def _remote_control(self):
        """This page's remote control, built the first time it is needed: when an agent asks
        for control, a resumed page is under control, or the page calls a control command.

        MicroPython compiles every module it imports on the page's main thread, so a visitor
        whom no agent asks for control never pays for ``control_browser``. It builds on this
        module, so it is imported here, once this module is complete.
        """
        if self.control is None:
            from cobrowse.browser.control import RemoteControl

            self.control = RemoteControl(self)
        return self.control

    def _sync_live_view(self):
        """Record the page while agents watch: a full snapshot on each new socket and when the
        server asks for one, nothing at all while no agent is there. Agents who join late are
        shown the page from the server's log of the view, so they cost the visitor nothing."""
        session = self.session
        socket = self.socket
        if not (socket is not None and socket.readyState == 1 and session.watched()):
            session.snapshot_wanted = False
            if self.live_socket is not None:
                self.live_socket = None
                js.window.Cobrowse._live.stop()
            return
        if socket is not self.live_socket or session.snapshot_wanted:
            session.snapshot_wanted = False
            self.live_socket = socket
            js.window.Cobrowse._live.start(socket)

    def _flush(self, *args):
        self.flush_scheduled = False
        events, self.session.events = self.session.events, []
        for name, data in events:
            Events[name].send(data)
        if self.leaving_to and self.session.state != States.DISCONNECTING:
            js.location.assign(self.leaving_to)
        self._pump()

    # -- links leaving the site ------------------------------------------------------------

    def _install(self):
        js.document.addEventListener("click", self._on_link_proxy, True)
        js.document.addEventListener("auxclick", self._on_link_proxy, True)
        if self.show_ui:
            host = _element("div", id=WIDGET_ID)
            self.root = host.attachShadow(js.JSON.parse('{"mode": "open"}'))
            self.root.adoptedStyleSheets = js.Array.of(_style_sheet(STYLE))
            # A live region is only heard when its text changes, so it is there from the start.
            self.said = _element("div", None, cls="visually-hidden", role="status", aria_live="polite", aria_atomic="true")
            self.root.appendChild(self.said)
            self.root.addEventListener("keydown", create_proxy(self._on_key))
            (js.document.body or js.document.documentElement).appendChild(host)

    def _on_link(self, event):
        if not in_session(self.session.state) or event.defaultPrevented:
            return
        if event.type == "auxclick" and event.button != 1:
            return
        link = _find_link(event)
        if link is None:
            return
        url = _link_url(link)
        if url is None or links.classify(url, self.hosts) != "external":
            return
        self.session.link_activated(url)
        target = link.getAttribute("target") or ""
        if links.replaces_page(event.button, target, event.ctrlKey, event.metaKey, event.shiftKey, event.altKey, link.hasAttribute("download")):
            event.preventDefault()
            if self.show_ui and self.popups.get("navigatingAway"):
                self._ask_to_leave(url)
            else:
                self._leave(url)
        self._pump()

    def _leave(self, url):
        if self.session.leave_site(url):
            self.leaving_to = url
            js.setTimeout(create_proxy(self._leave_anyway), LEAVE_GRACE_MS)
        else:
            js.location.assign(url)

    def _leave_anyway(self, *args):
        if self.session.state == States.DISCONNECTING:
            self._close_socket()
            self.session.connection_lost()
            self._pump()

    def _ask_to_leave(self, url):
        self._close_dialog()
        veil = _element("div", cls="veil")
        dialog = _element("div", cls="dialog", role="dialog", aria_modal="true", aria_label="Leaving the co-browsing session",
                          aria_describedby="leave-prompt")
        dialog.appendChild(_element("p", LEAVE_PROMPT + ".", id="leave-prompt"))
        dialog.appendChild(_element("p", url, cls="muted"))
        go = _element("button", "Continue", type="button")
        stay = _element("button", "Cancel", cls="quiet", type="button")
        go.addEventListener("click", create_proxy(lambda event: self._answer(url, True)))
        stay.addEventListener("click", create_proxy(lambda event: self._answer(url, False)))
        dialog.appendChild(go)
        dialog.appendChild(stay)
        veil.appendChild(dialog)
        self._show_dialog(veil, lambda: self._answer(url, False))
        stay.focus()

    def _answer(self, url, leave):
        self._close_dialog(restore_focus=not leave)
        if leave:
            self._leave(url)
        self._pump()

    def _show_dialog(self, veil, cancel):
        """Show a modal dialog; ``cancel()`` is what Escape does. Focus stays inside it."""
        self.dialog_opener = js.document.activeElement
        self.dialog_cancel = cancel
        self.root.appendChild(veil)
        self.dialog = veil

    def _close_dialog(self, restore_focus=False):
        opener, self.dialog_opener = self.dialog_opener, None
        if self.dialog is not None:
            self.dialog.remove()
            self.dialog = None
            self.dialog_cancel = None
            if restore_focus and opener and opener.isConnected:
                opener.focus()

    # -- the keyboard ----------------------------------------------------------------------

    def _on_key(self, event):
        """Escape cancels the dialog or dismisses the ended notice; Tab stays in the dialog."""
        if event.key == "Escape":
            if self.dialog is not None:
                event.preventDefault()
                self.dialog_cancel()
            elif self.shown and self.shown["mode"] == "idle" and self.shown["notice"]:
                event.preventDefault()
                self._dismiss(event)
        elif event.key == "Tab" and self.dialog is not None:
            buttons = self.dialog.querySelectorAll("button")
            if not buttons.length:
                return
            first, last = buttons[0], buttons[buttons.length - 1]
            edge = first if event.shiftKey else last
            active = self.root.activeElement
            if edge.isSameNode(active) or not self.dialog.contains(active):
                event.preventDefault()
                (last if event.shiftKey else first).focus()

    # -- the default UI --------------------------------------------------------------------

    def _render(self):
        if self.root is None:
            return
        state = view(self.session, self.popups.get("sessionEnded"))
        key = json.dumps(state)
        if key == self.rendered:
            return
        self.rendered = key
        self.shown = state
        old = self.root.querySelector(".box")
        focused = _focused_label(self.root, old)
        if old:
            old.remove()
        box = _element("section", cls="box", aria_label="Co-browse")
        if state["notice"]:
            box.appendChild(_element("p", state["notice"], cls="notice"))
        mode = state["mode"]
        if mode == "idle":
            box.appendChild(self._button("Co-browse", lambda event: self.command("start", "{}")))
            if state["notice"]:
                box.appendChild(self._button("Dismiss", self._dismiss, quiet=True))
        elif mode == "starting":
            status = _element("p")
            status.appendChild(_element("span", None, cls="spinner", aria_hidden="true"))
            status.appendChild(js.document.createTextNode(STARTING))
            box.appendChild(status)
            box.appendChild(self._button("End", lambda event: self.command("stop", "{}"), quiet=True))
        elif mode == "active":
            box.appendChild(_element("div", "Read this code to the agent", cls="muted"))
            code = _element("p", None, cls="code")
            code.appendChild(_element("span", "Access code " + spelled(state["code"]), cls="visually-hidden"))
            code.appendChild(_element("span", state["code"], aria_hidden="true"))
            box.appendChild(code)
            if state["agents"]:
                box.appendChild(_element("div", "Connected agents:", cls="muted"))
                names = _element("ul", None, aria_label="Connected agents")
                for name in state["agents"]:
                    names.appendChild(_element("li", name))
                box.appendChild(names)
            else:
                box.appendChild(_element("div", "Waiting for an agent to join…", cls="muted"))
            box.appendChild(self._button("End", lambda event: self.command("stop", "{}")))
        else:
            box.appendChild(_element("p", ENDING))
        self.root.appendChild(box)
        if focused is not None:
            _refocus(box, focused)
        self._say(announcement(state))

    def _say(self, text):
        """Tell screen readers, through the live region, when what it says changes."""
        if self.said.textContent != text:
            self.said.textContent = text

    def _button(self, label, action, quiet=False):
        button = _element("button", label, cls="quiet" if quiet else None, type="button")
        button.addEventListener("click", create_proxy(action))
        return button

    def _dismiss(self, event):
        self.session.ended_reason = None
        self.session.error = None
        self._render()


class _JsListener:
    """A JavaScript listener: called with the payload as JSON; the loader reports what it throws."""

    def __init__(self, name, deliver):
        self.name = name
        self.deliver = deliver

    def __call__(self, data):
        self.deliver(payload_json(self.name, data))


def _focused_label(root, box):
    """The text of the focused element if focus is in ``box`` (about to be redrawn), else None."""
    active = root.activeElement
    if box and active and box.contains(active):
        return str(active.textContent)
    return None


def _refocus(box, label):
    """Keep keyboard focus in the redrawn ``box``: on the button with the same label if there
    is one (End stays End), else on its first button, else on the box itself."""
    buttons = box.querySelectorAll("button")
    for index in range(buttons.length):
        if buttons[index].textContent == label:
            buttons[index].focus()
            return
    if buttons.length:
        buttons[0].focus()
    else:
        box.setAttribute("tabindex", "-1")
        box.focus()


def _report_listener_error(signal, listener, exc):
    js.console.error("Cobrowse: a %s listener failed: %r" % (signal.name, exc))


def _find_link(event):
    """The innermost ``<a>``/``<area>`` (HTML or SVG) with an href on the event's path.

    The composed path reaches into open shadow roots, so links inside components count.
    """
    path = event.composedPath()
    for index in range(path.length):
        node = path[index]
        tag = node.nodeName if hasattr(node, "nodeName") else None
        if tag in ("A", "AREA", "a", "area") and node.hasAttribute("href"):
            return node
    return None


def _link_url(link):
    """The link's absolute URL; SVG links keep theirs in an animated string."""
    href = link.href
    if not isinstance(href, str):
        href = js.URL.new(link.getAttribute("href"), js.document.baseURI).href
    return str(href)


def _network_timeout(value):
    """data-network-timeout in seconds: a number from 5 to 300, else the default."""
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        return NETWORK_TIMEOUT_SECONDS
    return max(5, min(300, seconds))


def _storage_get(key):
    try:
        value = js.sessionStorage.getItem(key)
    except Exception:  # noqa: BLE001 - storage may be disabled; then pages cannot resume.
        return None
    return str(value) if value else None


def _storage_set(key, value):
    try:
        if value:
            js.sessionStorage.setItem(key, value)
        else:
            js.sessionStorage.removeItem(key)
    except Exception:  # noqa: BLE001 - storage may be disabled or full.
        pass


def main():
    options = json.loads(js.window.Cobrowse._options)
    widget = Widget(options)
    js.window.Cobrowse._attach(create_proxy(widget.listen), create_proxy(widget.remove_listener), create_proxy(widget.command))
    return widget
