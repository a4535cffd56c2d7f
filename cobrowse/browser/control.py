"""The browser adapter of remote control: the consent dialog, the controlled frame, and agents'
actions on the page.

Public names:

- ``RemoteControl(session, ui, hosts, pump)``: one page's remote control, which the
  ``widget.Widget`` builds the first time it is needed. The widget hands it the API commands
  of ``widget.CONTROL_COMMANDS`` (``command``), the agents' ``act`` messages (``act``) and
  calls ``sync()`` after each change of the session. It draws in the default widget ``ui``
  (None with ``data-ui="none"``: then it draws nothing) and tells screen readers what changed
  through its live region; ``hosts`` are the site's, ``pump()`` the widget's.

Decisions live in ``cobrowse.core.control`` and ``cobrowse.core.session``: whether an agent holds control,
whether this action may touch this element now. This module only asks the loader
(``Cobrowse._control`` in static/cobrowse.js) about the target element and, when allowed, has
it act. Agent names are always inserted as text.
"""

import json

from cobrowse.browser.dom import button, element, keep_tab_inside, modal, style_sheet
from cobrowse.browser.ffi import create_proxy, document, loader, window
from cobrowse.core import control
from cobrowse.core.states import States

STYLE = """
.control-frame { position: fixed; inset: 0; z-index: 2147483646; pointer-events: none;
  border: 4px solid #d4380d; box-sizing: border-box; }
.control-bar { position: fixed; top: 8px; left: 50%; transform: translateX(-50%); z-index: 2147483647;
  font: 14px/1.4 system-ui, sans-serif; color: #1d2430; background: #fff; border-radius: 8px;
  box-shadow: 0 4px 16px rgba(0,0,0,.25); padding: 6px 10px; display: flex; gap: 8px; align-items: center; }
.control-bar button { margin: 0; background: #b3261e; border-color: #b3261e; }
.control-pointer { position: fixed; left: 0; top: 0; z-index: 2147483647; pointer-events: none;
  font: 12px/1.2 system-ui, sans-serif; }
.control-pointer .arrow { width: 0; height: 0; border-left: 7px solid transparent; border-right: 7px solid transparent;
  border-bottom: 14px solid #d4380d; transform: rotate(-30deg); transform-origin: 0 0; }
.control-pointer .label { margin: 2px 0 0 10px; padding: 1px 6px; border-radius: 4px; background: #d4380d;
  color: #fff; white-space: nowrap; }
"""


class RemoteControl:
    """Remote control on one page: consent, the controlled frame, and agents' actions."""

    def __init__(self, session, ui, hosts, pump):
        self.session = session
        self.ui = ui
        self.hosts = hosts
        self.pump = pump
        self.shown = None  # What the UI shows now: ("asking" | "granted", agent id), or None.
        self.layer = None  # The element holding the dialog or the frame.
        self.styled = False  # Whether the widget's shadow root has this module's style sheet.
        self.returning_focus = None  # What had the focus before the consent dialog took it.
        self.requests = 0  # Requests seen so far: a timeout is for one of them only.

    # -- calls from the widget -------------------------------------------------------------

    def command(self, name):
        """Answer ``allowControl``, ``denyControl`` or ``revokeControl`` as ``{result, description}``."""
        if name == "allowControl":
            ok, description = self.session.allow_control()
        elif name == "denyControl":
            ok, description = self.session.deny_control()
        else:
            ok, description = self.session.revoke_control()
        return {"result": ok, "description": description}

    def act(self, message):
        """An agent's action, relayed by the server: done only if the session and
        ``control.refusal`` allow it; otherwise the agent is told why."""
        agent_id = message.get("id")
        if not self.session.may_act(agent_id):
            return
        try:
            action = control.parse_action(message["action"])
        except control.ControlRefused as refused:
            self.session.action_refused(agent_id, refused.message)
            return
        text = json.dumps(action)
        facts = json.loads(loader()._control.inspect(text))
        reason = control.refusal(action, facts, self.hosts)
        if reason is None:
            loader()._control.perform(text)
        elif action["kind"] != "move":
            self.session.action_refused(agent_id, reason)

    def sync(self):
        """Bring the timeout and the visitor's UI up to date with the session."""
        record = self.session.control
        state = self.session.state
        wanted = None
        if record and state == States.ACTIVE_ESCALATING:
            wanted = ("asking", record["agent"])
        elif record and state == States.ACTIVE_ESCALATED:
            wanted = ("granted", record["agent"])
        if wanted and wanted[0] == "asking" and wanted != self.shown:
            self.requests += 1
            serial = self.requests
            window.setTimeout(create_proxy(lambda *args: self._expire(serial, wanted[1])), control.REQUEST_TIMEOUT_SECONDS * 1000)
        if wanted == self.shown:
            return
        previous, self.shown = self.shown, wanted
        if self.ui is None:
            return
        self._clear()
        if wanted is None:
            if previous is not None:
                self.ui.say("The agent no longer controls this page." if previous[0] == "granted"
                            else "The request for control ended.")
        elif wanted[0] == "asking":
            self._ask(record.get("name") or "An agent")
        else:
            self._show_controlled(record.get("name") or "An agent")

    # -- the UI ----------------------------------------------------------------------------

    def _root(self):
        root = self.ui.root
        if not self.styled:
            # Beside the widget's own sheet, constructed for the same reason: a page's
            # Content-Security-Policy needs no 'unsafe-inline' for it.
            root.adoptedStyleSheets.push(style_sheet(STYLE))
            self.styled = True
        return root

    def _clear(self):
        loader()._control.pointer(None)
        if self.layer is not None:
            self.layer.remove()
            self.layer = None
        focus, self.returning_focus = self.returning_focus, None
        if focus is not None and focus.isConnected:
            focus.focus()

    def _ask(self, name):
        root = self._root()
        self.returning_focus = document.activeElement
        veil, dialog = modal("alertdialog", aria_labelledby="cobrowse-control-title", aria_describedby="cobrowse-control-text")
        dialog.appendChild(element("h2", "Allow %s to control this page?" % name, id="cobrowse-control-title"))
        dialog.appendChild(element("p", "%s will be able to click, type and scroll on this page for you. "
                                         "You can stop it at any time. Passwords and private fields stay "
                                         "out of reach." % name, id="cobrowse-control-text"))
        deny = button("Deny", lambda event: self._answer("denyControl"), quiet=True)
        dialog.addEventListener("keydown", create_proxy(self._on_dialog_key))
        dialog.appendChild(button("Allow", lambda event: self._answer("allowControl")))
        dialog.appendChild(deny)
        root.appendChild(veil)
        self.layer = veil
        deny.focus()

    def _on_dialog_key(self, event):
        if event.key == "Escape":
            event.preventDefault()
            self._answer("denyControl")
        elif event.key == "Tab":
            # Focus stays in the dialog while it is open.
            keep_tab_inside(event, self.layer, event.target)

    def _answer(self, name):
        self.command(name)
        self.pump()

    def _show_controlled(self, name):
        root = self._root()
        layer = element("div")
        layer.appendChild(element("div", cls="control-frame", aria_hidden="true"))
        bar = element("div", cls="control-bar", role="region", aria_label="Remote control")
        bar.appendChild(element("span", "%s is controlling this page" % name))
        bar.appendChild(button("Stop control", lambda event: self._answer("revokeControl")))
        layer.appendChild(bar)
        pointer = element("div", cls="control-pointer", aria_hidden="true")
        pointer.appendChild(element("div", cls="arrow"))
        pointer.appendChild(element("div", name, cls="label"))
        layer.appendChild(pointer)
        root.appendChild(layer)
        self.layer = layer
        loader()._control.pointer(pointer)
        self.ui.say("%s is controlling this page. Press Stop control to end it." % name)

    def _expire(self, serial, agent_id):
        if serial == self.requests:
            self.session.request_expired(agent_id)
            self.pump()
