"""The browser adapter of the agent tools: agents' pointers and strokes drawn on the page, the
visitor's switch and Clear, and what screen readers hear of them.

Public names:

- ``AgentTools(session, allowed)``: one page's agent tools; ``state`` is its
  ``core.visitor_tools.VisitorTools``, whose switch the default widget ``ui`` shows (the widget
  sets ``ui``; None with ``data-ui="none"``). The widget hands it the server's ``point``, ``draw`` and ``cleared``
  messages and ``started`` / ``resumed`` (``receive``), the visitor's switch and Clear
  (``switch(on)``, ``clear()``) and calls ``sync()`` after each change.

Decisions live in ``cobrowse.core.visitor_tools``; the drawing is the loader's
(``Cobrowse._overlay`` in static/cobrowse.js: a layer in the widget's shadow root that the live
view never records and that never takes a click).
"""

import json

from cobrowse.browser.ffi import loader
from cobrowse.core import protocol
from cobrowse.core.states import in_session
from cobrowse.core.visitor_tools import VisitorTools


class AgentTools:
    """The agent tools of one page (see the module's docstring)."""

    def __init__(self, session, allowed):
        self.session = session
        self.ui = None
        self.state = VisitorTools(allowed)
        self.drawn = False  # Whether the overlay may hold something to take away.

    def receive(self, message):
        kind = message["type"]
        if kind in ("started", "resumed"):
            self.session.outbox.append(self.state.told())
        elif kind == "cleared":
            self._wipe()
        else:
            show, said = self.state.heard(message)
            if not show:
                return
            if said and self.ui is not None:
                self.ui.say(said)
            self.drawn = True
            overlay = loader()._overlay
            (overlay.point if kind == "point" else overlay.draw)(json.dumps(message))

    def switch(self, on):
        """The visitor's "Agent tools" switch: off hides every pointer and stroke, for everybody."""
        had_strokes = bool(self.state.strokes)
        self.session.outbox.append(self.state.switch(on))
        if not on:
            if had_strokes:
                self.clear()
            self._wipe(everything=True)
        if self.ui is not None:
            self.ui.say("Agents can point and draw on your screen." if on else
                        "Agents can no longer point or draw on your screen.")

    def clear(self):
        """The visitor's Clear: the drawings go, here and on every agent's screen."""
        if in_session(self.session.state):
            self.session.outbox.append(protocol.encode("clear"))
        self._wipe()

    def sync(self):
        if self.drawn and not (in_session(self.session.state) and self.session.agents):
            self._wipe(everything=True)

    def _wipe(self, everything=False):
        """Take the strokes away (and the pointers too, ``everything``)."""
        self.state.cleared()
        if everything:
            self.drawn = False
        loader()._overlay.clear(everything)
