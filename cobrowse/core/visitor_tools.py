"""The visitor's side of the agent tools: what the page allows, the visitor's switch, what the
widget shows and announces of the agents' pointers and strokes.

Public names:

- ``VisitorTools(allowed)``: the tools of one page (``allowed``: ``tools.parse_allowed``'s). Its
  ``on`` is the visitor's "Agent tools" switch; ``strokes`` the ids of the strokes on the page.
  Calls: ``usable()`` (what agents may use now: ``Cobrowse.API.Session.agentTools``),
  ``told()`` (the ``tools`` message that tells the server, ``fresh`` the first time on a page),
  ``switch(on)``, ``heard(message)`` (a ``point`` or ``draw``: ``(show, announcement)``),
  ``cleared()``, ``shown()`` (what the widget's panel shows of the tools, or None).
- ``announcement(kind, name)``: what screen readers hear when agent ``name`` starts pointing or
  drawing.
"""

from cobrowse.core import protocol
from cobrowse.core.tools import DRAW, POINT, usable

_DOING = {"point": "%s is pointing at your screen", "draw": "%s is drawing on your screen"}


def announcement(kind, name):
    return _DOING[kind] % (name or "An agent")


class VisitorTools:
    """One page's agent tools, as the visitor has them (see the module's docstring)."""

    def __init__(self, allowed):
        self.allowed = list(allowed)
        self.on = True
        self.fresh = True  # Nothing told yet on this page: its first message clears the last page's strokes.
        self.strokes = []
        self.announced = []  # (agent id, kind) already announced.

    def usable(self):
        return usable({"allowed": self.allowed, "on": self.on})

    def told(self):
        """The ``tools`` message for the server (after a start or resume, and on each switch)."""
        text = protocol.encode("tools", allowed=self.allowed, on=self.on, fresh=True if self.fresh else None)
        self.fresh = False
        return text

    def switch(self, on):
        """The visitor turned pointing and drawing on or off: the message for the server."""
        self.on = bool(on)
        if not self.on:
            self.strokes = []
        return self.told()

    def heard(self, message):
        """A ``point`` or ``draw`` from an agent: whether to show it, and what to announce
        (once per agent and tool; "" for nothing)."""
        kind = POINT if message["type"] == "point" else DRAW
        if kind not in self.usable():
            return False, ""
        if kind == DRAW:
            stroke_id = message["stroke"].get("id")
            if stroke_id not in self.strokes:
                self.strokes.append(stroke_id)
        elif message.get("at") is None:
            return True, ""  # The pointer leaves: nothing to say.
        key = (message.get("id"), kind)
        if key in self.announced:
            return True, ""
        self.announced.append(key)
        return True, announcement(kind, message.get("name"))

    def cleared(self):
        self.strokes = []

    def shown(self):
        """``{"on", "clear"}`` for the panel (the switch, and whether Clear is offered), or None
        when the page allows neither pointing nor drawing."""
        if POINT not in self.allowed and DRAW not in self.allowed:
            return None
        return {"on": self.on, "clear": bool(self.strokes)}
