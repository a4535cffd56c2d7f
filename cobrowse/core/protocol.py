"""The wire protocol between the widget, the session server and the agent console.

Public names:

- ``VERSION``: the protocol version every message carries as ``"v"``.
- ``ProtocolError``: raised by ``decode`` with a machine-readable ``code`` and a sentence.
- ``encode(kind, **fields)``: one message as JSON text.
- ``decode(text, accept)``: parse and validate one message whose ``type`` is in ``accept``.
- ``VISITOR_TO_SERVER``, ``SERVER_TO_VISITOR``, ``AGENT_TO_SERVER``, ``SERVER_TO_AGENT``: the
  message types each direction may carry.
- ``FULL_SNAPSHOT``: the rrweb event type, within a ``view``, of a full snapshot of the page.
- ``MAX_MESSAGE_CHARS``, ``MAX_VIEW_CHARS``, ``VIEW_PART_CHARS``: the limits on a message, a
  ``view`` and a ``view_part``'s ``text``.
- ``REFUSED_VIEW_TAG``: the tag of the rrweb custom event, in a ``view`` the server writes, that
  tells agents the page is not shared (``message`` in its payload); ``CANVAS_FRAME_TAG``: that
  of a custom event of the widget's with a canvas's picture (``{id, data}``: its rrweb id and a
  ``data:image/webp`` URL).

Messages are JSON objects ``{"v": 1, "type": ..., ...fields}``; ``docs/protocol.md`` lists them.
The module is pure Python and runs on CPython (the server) and MicroPython (the widget).
"""

import json

VERSION = 1

# The largest message either end accepts, in characters of JSON text.
MAX_MESSAGE_CHARS = 64 * 1024

# A ``view`` message carries the live view; a full snapshot of a big page is larger.
MAX_VIEW_CHARS = 4 * 1024 * 1024

# A view longer than this goes in ``view_part`` messages of this many characters of its text:
# escaped as a JSON string, a part stays well inside ``MAX_VIEW_CHARS`` whatever the text holds.
VIEW_PART_CHARS = 512 * 1024

# What a view the server writes to tell agents the page is not shared is tagged with.
REFUSED_VIEW_TAG = "cobrowse-view-refused"
CANVAS_FRAME_TAG = "cobrowse-canvas"

# The events of a ``view`` are rrweb's; this is the type of the one that holds the whole page.
FULL_SNAPSHOT = 2

_TEXT = 2048
_NAME = 80
_CODE = 64

# For each message type, its fields: name -> (Python type, required, longest text).
# Fields not listed are refused, so a typo or a stray field is caught at the edge.
SCHEMAS = {
    # Visitor to server.
    "start": {"siteCode": (str, True, _CODE), "SID": (str, False, _CODE), "url": (str, False, _TEXT),
              "networkTimeout": (int, False, 0)},
    "resume": {"token": (str, True, _CODE), "url": (str, False, _TEXT), "networkTimeout": (int, False, 0)},
    "stop": {"reason": (str, True, 200)},
    "navigated_away": {"url": (str, True, _TEXT)},
    "page": {"url": (str, True, _TEXT), "title": (str, False, 300)},
    "view": {"events": (list, True, 0)},
    # A long view's text, in order: the view is whole once the parts' texts add up to ``size``.
    "view_part": {"text": (str, True, VIEW_PART_CHARS), "size": (int, True, 0)},
    "ping": {},
    # Remote control (docs/protocol.md, "Remote control"). Visitor to server: the visitor's
    # answer, the end of a request or of control, and an agent's action the page refused.
    "control_grant": {"id": (str, True, _CODE)},
    "control_end": {"id": (str, True, _CODE), "reason": (str, True, _CODE)},
    "refused": {"id": (str, True, _CODE), "message": (str, True, 300)},
    # Agent to server (without id) and server to visitor (with the acting agent's id).
    "request_control": {},
    "release_control": {},
    "act": {"id": (str, False, _CODE), "action": (dict, True, 0)},
    # Agent tools (docs/protocol.md, "Agent tools"). Agent to server: ``at`` (absent: the pointer
    # leaves the page) and ``stroke``; server to visitor (and, for ``draw``, to agents) with the
    # agent's id, name and colour. ``clear`` from either side; ``cleared`` to everybody, with who
    # cleared. ``tools`` from the visitor: what the page allows and the visitor's switch.
    "point": {"id": (str, False, _CODE), "name": (str, False, _NAME), "color": (str, False, 16),
              "at": (dict, False, 0)},
    "draw": {"id": (str, False, _CODE), "name": (str, False, _NAME), "color": (str, False, 16),
             "stroke": (dict, True, 0)},
    "clear": {},
    "cleared": {"name": (str, True, _NAME)},
    "tools": {"allowed": (list, True, 0), "on": (bool, True, 0), "fresh": (bool, False, 0)},
    # Server to visitor: an agent asks. Server to agent: what became of this agent's request or
    # action.
    "control_request": {"id": (str, True, _CODE), "name": (str, True, _NAME)},
    "control_notice": {"code": (str, True, _CODE), "message": (str, True, 300)},
    # Server to visitor.
    "started": {"accessCode": (str, True, 6), "SID": (str, False, _CODE), "token": (str, True, _CODE)},
    "resumed": {"accessCode": (str, True, 6), "SID": (str, False, _CODE), "token": (str, True, _CODE),
                "agents": (list, True, 0), "control": (dict, False, 0)},
    "agent_joined": {"id": (str, True, _CODE), "name": (str, True, _NAME)},
    "agent_left": {"id": (str, True, _CODE), "name": (str, True, _NAME)},
    "ended": {"reason": (str, True, 200), "url": (str, False, _TEXT)},
    # Server to visitor and agents: the session ends in ``endsIn`` seconds (its time limit).
    "session_warning": {"message": (str, True, 300), "endsIn": (int, True, 0)},
    "error": {"code": (str, True, _CODE), "message": (str, True, 500), "retryAfter": (int, False, 0)},
    "pong": {},
    "snapshot": {},
    # The view the visitor is sending is past the session's budget: it is not shared.
    "view_refused": {"size": (int, True, 0), "message": (str, True, 300)},
    # Agent to server.
    "join": {"code": (str, True, _CODE), "name": (str, True, _NAME)},
    "rejoin": {"token": (str, True, _CODE)},
    "leave": {},
    "end": {},
    # Server to agent.
    "joined": {"id": (str, True, _CODE), "name": (str, True, _NAME), "session": (dict, True, 0),
               "token": (str, True, _CODE)},
    "session": {"session": (dict, True, 0)},
    # "view" (above) is relayed to agents as it came from the visitor.
}

VISITOR_TO_SERVER = ("start", "resume", "stop", "navigated_away", "page", "view", "view_part", "ping",
                     "control_grant", "control_end", "refused", "clear", "tools")
SERVER_TO_VISITOR = ("started", "resumed", "agent_joined", "agent_left", "ended", "error", "pong", "snapshot",
                     "view_refused", "control_request", "control_end", "act", "session_warning", "point", "draw",
                     "cleared")
AGENT_TO_SERVER = ("join", "rejoin", "leave", "end", "ping", "request_control", "release_control", "act", "point",
                   "draw", "clear")
SERVER_TO_AGENT = ("joined", "session", "view", "ended", "error", "pong", "control_notice", "session_warning", "draw",
                   "cleared")


def _refuse_constant(name):
    raise ValueError("%s is not JSON" % name)


try:
    # CPython reads NaN and Infinity unless told not to; the server relays a view as the text
    # that came, so what it lets through must be JSON that every browser can parse.
    json.loads("0", parse_constant=_refuse_constant)

    def _loads(text):
        return json.loads(text, parse_constant=_refuse_constant)
except TypeError:  # MicroPython's json.loads takes no options.
    _loads = json.loads


try:
    # JSON has no NaN or Infinity, and decode refuses them: encode refuses them too.
    json.dumps(0, allow_nan=False)

    def _dumps(message):
        return json.dumps(message, allow_nan=False)
except TypeError:  # MicroPython's json.dumps takes no options (and writes no such values).
    _dumps = json.dumps


def _shown(value):
    """A value quoted in an error message, cut short: the message must fit in an ``error``."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class ProtocolError(ValueError):
    """A message that cannot be accepted; ``code`` names the problem for the other end."""

    def __init__(self, code, message):
        # super(), not ValueError.__init__: MicroPython's built-in exceptions have no __init__.
        super().__init__(message)
        self.code = code
        self.message = message


def _check(kind, fields):
    schema = SCHEMAS[kind]
    for name in fields:
        if name not in schema:
            raise ProtocolError("bad_field", "%s message has no field %s" % (kind, _shown(name)))
    for name in schema:
        expected, required, longest = schema[name]
        if name not in fields or fields[name] is None:
            if required:
                raise ProtocolError("bad_field", "%s message needs the field %r" % (kind, name))
            continue
        value = fields[name]
        if type(value) is not expected:
            raise ProtocolError("bad_field", "field %r of %s must be a %s" % (name, kind, expected.__name__))
        if expected is str and len(value) > longest:
            raise ProtocolError("bad_field", "field %r of %s is longer than %d characters" % (name, kind, longest))


def encode(kind, **fields):
    """Return message ``kind`` as JSON text; fields that are None are left out."""
    if kind not in SCHEMAS:
        raise ValueError("unknown message type %r" % (kind,))
    fields = {name: value for name, value in fields.items() if value is not None}
    _check(kind, fields)
    message = {"v": VERSION, "type": kind}
    message.update(fields)
    return _dumps(message)


# The messages that may be longer than ``MAX_MESSAGE_CHARS``, as they start when sent compact.
_LONG_STARTS = ('{"v":1,"type":"view",', '{"v":1,"type":"view_part",')


def decode(text, accept, limit=None):
    """Parse message ``text`` and return its fields as a dict with ``type``.

    Raise ``ProtocolError`` when the text is not JSON, too long (than ``limit``, if given: a
    view put back together from its parts), of another protocol version, of a type not in
    ``accept``, or has a missing, unknown or mistyped field.
    """
    if not isinstance(text, str):
        raise ProtocolError("bad_message", "messages are JSON text, not binary")
    if limit is None:
        limit = MAX_VIEW_CHARS if "view" in accept else MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise ProtocolError("too_large", "message longer than %d characters" % limit)
    if len(text) > MAX_MESSAGE_CHARS and not any(text.lstrip().startswith(start) for start in _LONG_STARTS):
        # Only the live view may be big; it is sent compact, with these two fields first.
        raise ProtocolError("too_large", "message longer than %d characters" % MAX_MESSAGE_CHARS)
    try:
        message = _loads(text)
    except (ValueError, RuntimeError):  # CPython raises RecursionError on deeply nested JSON.
        raise ProtocolError("bad_json", "message is not valid JSON")
    if not isinstance(message, dict):
        raise ProtocolError("bad_message", "a message is a JSON object")
    version = message.pop("v", None)
    if type(version) is not int or version != VERSION:  # true and 1.0 are not version 1.
        raise ProtocolError("bad_version", "protocol version %s is not supported (this end speaks %d)" % (_shown(version), VERSION))
    kind = message.pop("type", None)
    if kind not in accept:
        raise ProtocolError("bad_type", "message type %s is not accepted here" % (_shown(kind),))
    _check(kind, message)
    message["type"] = kind
    return message
