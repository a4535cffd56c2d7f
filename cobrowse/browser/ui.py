"""The default widget: what ``core.widget_view`` says, drawn in a shadow root, with its modal
dialogs and the live region that screen readers hear.

Public names:

- ``DefaultUI(session, command, tools=None)``: the widget's box for ``session``; its buttons run
  the API commands ``start`` and ``stop`` through ``command(name, args_json)``, and, while agents
  are there, the "Agent tools" switch and Clear of ``tools`` (a ``VisitorTools``) the widget's
  ``agentToolsSwitch`` and ``clearDrawings``. Calls: ``install()``
  (once, at boot), ``render()`` (after each change; draws only what changed), ``say(text)``
  (the live region), ``show_dialog(veil, cancel)`` and ``close_dialog(restore_focus)``, and
  ``popups``, the default popups the page switched on or off (``navigatingAway``,
  ``sessionEnded``). Its ``root`` (the shadow root) takes other layers, such as remote
  control's.
- ``STYLE``: the widget's style sheet.

Site owners theme the widget with CSS custom properties set on its host element
(#cobrowse-widget) or any ancestor: --cobrowse-accent, --cobrowse-accent-text, --cobrowse-font,
--cobrowse-radius and --cobrowse-top/right/bottom/left. The defaults are the fallbacks of var(),
never declarations on :host, so that values inherited from the page still reach in.
"""

import json

from cobrowse.browser.dom import button, element, focused_label, keep_tab_inside, refocus, style_sheet
from cobrowse.browser.ffi import create_proxy, document, js_array, js_object
from cobrowse.core.constants import WIDGET_ID
from cobrowse.core.widget_view import ENDING, STARTING, announcement, spelled, view

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
.tools { display: flex; align-items: center; gap: 6px; margin-top: 6px; }
button[role="switch"] { background: #fff; color: #1d2430; border-color: #5b6472; }
button[role="switch"]::before { content: ""; display: inline-block; width: 22px; height: 12px; margin-right: 6px;
  border-radius: 6px; background: #5b6472; vertical-align: -1px; box-shadow: inset -10px 0 0 1px #fff; }
button[role="switch"][aria-checked="true"]::before { background: var(--cobrowse-accent, #0b5cd5);
  box-shadow: inset 10px 0 0 1px #fff; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.veil { position: fixed; inset: 0; z-index: 2147483647; background: rgba(0,0,0,.35);
  display: flex; align-items: center; justify-content: center;
  font: 15px/1.4 var(--cobrowse-font, system-ui, sans-serif); }
.dialog { background: #fff; color: #1d2430; border-radius: var(--cobrowse-radius, 10px); padding: 18px;
  max-width: 360px; }
"""


class DefaultUI:
    """The default widget of one page."""

    def __init__(self, session, command, tools=None):
        self.session = session
        self.command = command
        self.tools = tools
        self.popups = {"navigatingAway": True, "sessionEnded": True}
        self.root = None
        # The live region: screen readers hear what it says (the code, agents, notices).
        self.said = None
        self.rendered = None  # The view last drawn, as JSON text.
        self.announced = None  # What the live region was last told of the view.
        self.shown = None  # The view last drawn.
        self.dialog = None
        # What Escape does while the dialog is open, and where focus goes back when it closes.
        self.dialog_cancel = None
        self.dialog_opener = None

    def install(self):
        host = element("div", id=WIDGET_ID)
        self.root = host.attachShadow(js_object({"mode": "open"}))
        self.root.adoptedStyleSheets = js_array(style_sheet(STYLE))
        # A live region is only heard when its text changes, so it is there from the start.
        self.said = element("div", None, cls="visually-hidden", role="status", aria_live="polite", aria_atomic="true")
        self.root.appendChild(self.said)
        self.root.addEventListener("keydown", create_proxy(self._on_key))
        (document.body or document.documentElement).appendChild(host)

    def say(self, text):
        """Tell screen readers, through the live region, when what it says changes."""
        if self.said.textContent != text:
            self.said.textContent = text

    # -- the box ---------------------------------------------------------------------------

    def render(self):
        if self.root is None:
            return
        state = view(self.session, self.popups.get("sessionEnded"), self.tools)
        key = json.dumps(state)
        if key == self.rendered:
            return
        self.rendered = key
        self.shown = state
        old = self.root.querySelector(".box")
        focused = focused_label(self.root, old)
        if old:
            old.remove()
        box = element("section", cls="box", aria_label="Co-browse")
        if state["notice"]:
            box.appendChild(element("p", state["notice"], cls="notice"))
        self._draw(box, state)
        self.root.appendChild(box)
        if focused is not None:
            refocus(box, focused)
        # Said when it changes, not on every redraw: what the agent tools said stays heard.
        said = announcement(state)
        if said != self.announced:
            self.announced = said
            self.say(said)

    def _draw(self, box, state):
        mode = state["mode"]
        if mode == "idle":
            box.appendChild(button("Co-browse", lambda event: self.command("start", "{}")))
            if state["notice"]:
                box.appendChild(button("Dismiss", self._dismiss, quiet=True))
        elif mode == "starting":
            status = element("p")
            status.appendChild(element("span", None, cls="spinner", aria_hidden="true"))
            status.appendChild(document.createTextNode(STARTING))
            box.appendChild(status)
            box.appendChild(button("End", lambda event: self.command("stop", "{}"), quiet=True))
        elif mode == "active":
            box.appendChild(element("div", "Read this code to the agent", cls="muted"))
            code = element("p", None, cls="code")
            code.appendChild(element("span", "Access code " + spelled(state["code"]), cls="visually-hidden"))
            code.appendChild(element("span", state["code"], aria_hidden="true"))
            box.appendChild(code)
            if state["agents"]:
                box.appendChild(element("div", "Connected agents:", cls="muted"))
                names = element("ul", None, aria_label="Connected agents")
                for name in state["agents"]:
                    names.appendChild(element("li", name))
                box.appendChild(names)
            else:
                box.appendChild(element("div", "Waiting for an agent to join…", cls="muted"))
            if state.get("tools"):
                box.appendChild(self._tools(state["tools"]))
            box.appendChild(button("End", lambda event: self.command("stop", "{}")))
        else:
            box.appendChild(element("p", ENDING))

    def _tools(self, shown):
        """The "Agent tools" switch (pointing and drawing, on or off) and Clear (the drawings)."""
        row = element("div", cls="tools")
        on = shown["on"]
        switch = button("Agent tools", lambda event: self.command("agentToolsSwitch", json.dumps({"on": not on})))
        switch.setAttribute("role", "switch")
        switch.setAttribute("aria-checked", "true" if on else "false")
        switch.setAttribute("title", "Let agents point and draw on your screen")
        row.appendChild(switch)
        if shown["clear"]:
            row.appendChild(button("Clear", lambda event: self.command("clearDrawings", "{}"), quiet=True))
        return row

    def _dismiss(self, event):
        self.session.ended_reason = None
        self.session.error = None
        self.render()

    # -- dialogs and the keyboard ----------------------------------------------------------

    def show_dialog(self, veil, cancel):
        """Show a modal dialog; ``cancel()`` is what Escape does. Focus stays inside it."""
        self.dialog_opener = document.activeElement
        self.dialog_cancel = cancel
        self.root.appendChild(veil)
        self.dialog = veil

    def close_dialog(self, restore_focus=False):
        opener, self.dialog_opener = self.dialog_opener, None
        if self.dialog is not None:
            self.dialog.remove()
            self.dialog = None
            self.dialog_cancel = None
            if restore_focus and opener and opener.isConnected:
                opener.focus()

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
            keep_tab_inside(event, self.dialog, self.root.activeElement)
