"""Agent tools (View, Point, Draw beside remote control): the decisions the visitor's browser and
the server share.

Public names:

- ``POINT``, ``DRAW``, ``CONTROL``: the tools' names (``constants.AGENT_TOOLS``).
- ``ToolRefused``: a tool message that is not allowed or is malformed (``code``, sentence).
- ``parse_allowed(text)``: ``data-agent-tools`` as ``(tools, unknown)``: the known names it
  lists, in ``AGENT_TOOLS`` order, and the names it has that are not tools.
- ``usable(record)``: what agents may use now, from the session's tools record ``{"allowed":
  [...], "on": bool}`` (None: everything): the allowed tools, less pointing and drawing while the
  visitor has turned them off.
- ``refusal(record, tool)``: why agents may not use ``tool`` now, as a sentence, or None.
- ``parse_point(value)``: where an agent points: ``{"id", "x", "y", "ring"}`` (an rrweb node id
  and the offset inside it), or ``ToolRefused``.
- ``parse_stroke(value)``: an agent's stroke: ``{"id", "node", "points", "done"}``, ``points``
  being ``[x, y, x, y, ...]`` offsets inside node ``node``; or ``ToolRefused``.
- ``kept(strokes, stroke)``: the session's finished strokes with ``stroke`` added (or put in
  place of the one with its id), the oldest dropped past ``MAX_STROKES``.
- ``colour(agents, agent_id)``: the colour of agent ``agent_id`` among ``agents`` (``[{"id"}]``).
- ``Pace(per_second)``: ``admit(now)`` (seconds) is True for at most ``per_second`` messages a
  second, with a second's worth of burst.
- ``MAX_STROKES``, ``MAX_POINTS``: how many strokes a session keeps, and points a stroke has.

Plain values only, no clock of its own: this module runs on MicroPython too.
"""

from cobrowse.core.constants import AGENT_COLOURS, AGENT_TOOLS

POINT, DRAW, CONTROL = AGENT_TOOLS

# The strokes a session keeps for a late joiner, and the points one stroke has at most (a
# stroke's message stays well inside the protocol's 64 KiB).
MAX_STROKES = 50
MAX_POINTS = 1000

# Offsets and node ids an agent may send: anything beyond is not on a page.
_FAR = 1000000

_OFF = {POINT: "The visitor turned pointing off", DRAW: "The visitor turned drawing off"}
_NOT_ALLOWED = {POINT: "This site does not allow agents to point", DRAW: "This site does not allow agents to draw",
                CONTROL: "This site does not allow remote control"}


class ToolRefused(ValueError):
    """A tool message that cannot be accepted; ``code`` names why for the other end."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def parse_allowed(text):
    """``data-agent-tools`` ("point,draw,control"; empty or absent: all of them; "none": none)
    as ``(tools, unknown)``."""
    if text is None or not str(text).strip():
        return list(AGENT_TOOLS), []
    names = [name.strip().lower() for name in str(text).split(",") if name.strip()]
    tools = [tool for tool in AGENT_TOOLS if tool in names]
    unknown = [name for name in names if name not in AGENT_TOOLS and name != "none"]
    return tools, unknown


def usable(record):
    """What agents may use now under the session's tools ``record`` (None: everything)."""
    if not record:
        return list(AGENT_TOOLS)
    allowed = [tool for tool in AGENT_TOOLS if tool in (record.get("allowed") or [])]
    if record.get("on") is False:
        allowed = [tool for tool in allowed if tool not in (POINT, DRAW)]
    return allowed


def refusal(record, tool):
    """Why agents may not use ``tool`` now, or None when they may."""
    if tool in usable(record):
        return None
    if record and tool in (record.get("allowed") or []):
        return _OFF[tool]
    return _NOT_ALLOWED[tool]


def _number(value):
    return (type(value) is int or type(value) is float) and -_FAR <= value <= _FAR


def _node(value, name):
    if type(value) is not int or not -1 <= value <= _FAR * 1000:
        raise ToolRefused("bad_tool", "%s must be an rrweb node id (or -1)" % name)
    return value


def parse_point(value):
    """Check where an agent points and return it as a new dict."""
    if not isinstance(value, dict):
        raise ToolRefused("bad_tool", "at is an object {id, x, y, ring}")
    point = {"id": _node(value.get("id", -1), "id")}
    for axis in ("x", "y"):
        if not _number(value.get(axis)):
            raise ToolRefused("bad_tool", "%s of a point must be a number" % axis)
        point[axis] = value[axis]
    point["ring"] = value.get("ring") is True
    return point


def parse_stroke(value):
    """Check an agent's stroke and return it as a new dict."""
    if not isinstance(value, dict):
        raise ToolRefused("bad_tool", "a stroke is an object {id, node, points, done}")
    name = value.get("id")
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        raise ToolRefused("bad_tool", "a stroke's id is a text of 1 to 64 characters")
    points = value.get("points")
    if not isinstance(points, list) or len(points) % 2 or not 2 <= len(points) <= 2 * MAX_POINTS:
        raise ToolRefused("bad_tool", "a stroke's points are [x, y, ...], 1 to %d of them" % MAX_POINTS)
    for number in points:
        if not _number(number):
            raise ToolRefused("bad_tool", "a stroke's points are numbers")
    return {"id": name, "node": _node(value.get("node", -1), "node"), "points": list(points),
            "done": value.get("done") is True}


def kept(strokes, stroke):
    """``strokes`` with ``stroke`` in place of the one with its id, or added last."""
    others = [old for old in (strokes or []) if old["stroke"]["id"] != stroke["stroke"]["id"]]
    others.append(stroke)
    return others[-MAX_STROKES:]


def colour(agents, agent_id):
    """The colour of ``agent_id``: the one at its place among ``agents``."""
    for index in range(len(agents)):
        if agents[index]["id"] == agent_id:
            return AGENT_COLOURS[index % len(AGENT_COLOURS)]
    return AGENT_COLOURS[0]


class Pace:
    """At most ``per_second`` admitted a second, with a second's worth of burst."""

    def __init__(self, per_second):
        self.per_second = per_second
        self.allowance = float(per_second)
        self.last = None

    def admit(self, now):
        """True if a message at ``now`` (seconds, any monotonic origin) may go."""
        if self.last is not None:
            self.allowance = min(float(self.per_second), self.allowance + (now - self.last) * self.per_second)
        self.last = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True
