"""Remote control with consent: the decisions shared by the visitor's browser and the server.

Public names:

- ``REQUEST_TIMEOUT_SECONDS``: how long a request for control waits for the visitor's answer.
- ``VISITOR_HOLD_MS``: how long after the visitor's own input agent input is held off.
- ``ControlRefused``: a step of the consent machine that is not allowed now (``code``, sentence).
- ``ask(record, agent_id, name)``, ``grant(record, agent_id)``, ``release(record, agent_id)``:
  the consent machine, over the session's control record.
- ``controller(record)``: the id of the agent holding control, or None.
- ``parse_action(value)``: an agent's action, checked and normalized, or ``ControlRefused``.
- ``refusal(action, facts, hosts)``: why the visitor's page must not do ``action`` now, or None.

The control record is a plain JSON-ready dict kept in the session (the visitor's and the
server's store), or None when nobody asked: ``{"agent": id, "name": name, "state": "asking" |
"granted"}``. Functions return a new record and never change the one given. One agent at a time
asks or controls; every other request is refused.

An action is ``{"kind": ..., ...}``: ``move``, ``click``, ``dblclick`` (``id``, ``x``, ``y``),
``wheel`` (``id``, ``x``, ``y``, ``dx``, ``dy``), ``key`` (``key`` and modifiers: pressed on the
visitor's focused element, which gets what a real keyboard gives it: a character on a button
is a key the page hears, Space clicks it) or ``choose`` (``id``, ``index``: an option of a ``<select>``).
``id`` is the element's rrweb node id (-1 when only coordinates are known).

``refusal`` decides from ``facts``, which the browser adapter gathers about the target element:
``{"found", "tag", "type", "private", "noControl", "link", "visitorIdleMs"}``.
"""

from cobrowse.core import links

REQUEST_TIMEOUT_SECONDS = 30

# The visitor typed, clicked, scrolled or moved the pointer less than this long ago: the
# visitor is using the page, and agent input waits.
VISITOR_HOLD_MS = 800

ASKING = "asking"
GRANTED = "granted"

KINDS = ("move", "click", "dblclick", "wheel", "key", "choose")
POINTED = ("move", "click", "dblclick", "wheel")

# The keys an agent may press besides printable characters (the console sends only these).
NAMED_KEYS = ("Enter", "Tab", "Escape", "Backspace", "Delete", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown",
              "Home", "End", "PageUp", "PageDown")

# Elements an agent never acts on, whatever the page says.
_NEVER_TYPES = ("password", "hidden", "file")


class ControlRefused(ValueError):
    """A consent step or an action that is not allowed; ``code`` names why for the other end."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def controller(record):
    """The id of the agent holding control under ``record``, or None."""
    if record and record.get("state") == GRANTED:
        return record.get("agent")
    return None


def ask(record, agent_id, name):
    """Agent ``agent_id`` asks for control: the new record, or ``ControlRefused``."""
    if record:
        if record.get("agent") == agent_id:
            raise ControlRefused("out_of_order", "You already %s" % (
                "have control" if record.get("state") == GRANTED else "asked for control"))
        raise ControlRefused("control_busy", "%s %s" % (
            record.get("name") or "Another agent",
            "controls the page" if record.get("state") == GRANTED else "has already asked for control"))
    return {"agent": agent_id, "name": name, "state": ASKING}


def grant(record, agent_id):
    """The visitor allowed ``agent_id``'s request: the new record, or ``ControlRefused``."""
    if not record or record.get("agent") != agent_id or record.get("state") != ASKING:
        raise ControlRefused("no_request", "There is no request for control to allow")
    return {"agent": agent_id, "name": record.get("name"), "state": GRANTED}


def release(record, agent_id=None):
    """End ``record`` (a denial, a revocation, a release, a timeout): None, or ``ControlRefused``
    when ``agent_id`` is given and is not the agent the record is about."""
    if not record:
        raise ControlRefused("no_control", "Nobody has or asked for control")
    if agent_id is not None and record.get("agent") != agent_id:
        raise ControlRefused("no_control", "You do not have or ask for control")
    return None


def _number(value, low, high):
    return (type(value) is int or type(value) is float) and low <= value <= high


def parse_action(value):
    """Check an agent's action and return it as a new dict with only the fields its kind uses."""
    if not isinstance(value, dict) or value.get("kind") not in KINDS:
        raise ControlRefused("bad_action", "an action is an object whose kind is one of %s" % ", ".join(KINDS))
    kind = value["kind"]
    action = {"kind": kind}
    if kind in POINTED or kind == "choose":
        node = value.get("id", -1)
        if type(node) is not int or node < -1:
            raise ControlRefused("bad_action", "id must be an rrweb node id (or -1)")
        action["id"] = node
    if kind in POINTED:
        for axis in ("x", "y"):
            if not _number(value.get(axis), -100000, 100000):
                raise ControlRefused("bad_action", "%s of %s must be a number" % (axis, kind))
            action[axis] = value[axis]
    if kind == "wheel":
        for axis in ("dx", "dy"):
            if not _number(value.get(axis, 0), -100000, 100000):
                raise ControlRefused("bad_action", "%s of wheel must be a number" % axis)
            action[axis] = value.get(axis, 0)
    if kind == "choose":
        if type(value.get("index")) is not int or value["index"] < 0:
            raise ControlRefused("bad_action", "index of choose must be a whole number")
        action["index"] = value["index"]
    if kind == "key":
        key = value.get("key")
        if not isinstance(key, str) or not (len(key) == 1 or key in NAMED_KEYS):
            raise ControlRefused("bad_action", "key must be one character or one of %s" % ", ".join(NAMED_KEYS))
        action["key"] = key
        for flag in ("shiftKey", "ctrlKey", "altKey", "metaKey"):
            action[flag] = value.get(flag) is True
    return action


def refusal(action, facts, hosts):
    """Why the visitor's page must not perform ``action`` now, as a sentence, or None.

    Pointer moves are always shown (they only draw the agent's pointer). Everything else is
    refused while the visitor is using the page, on elements that are gone, private (the
    live view masks them), password, hidden and file inputs, anything inside
    ``[data-cobrowse-no-control]``, and links that leave the site (``hosts`` are the site's).
    """
    if action["kind"] == "move":
        return None
    if facts.get("visitorIdleMs", VISITOR_HOLD_MS) < VISITOR_HOLD_MS:
        return "Held off: the visitor is using the page"
    if not facts.get("found"):
        return "That element is no longer on the visitor's page" if action["kind"] != "key" else \
            "Nothing on the visitor's page has the focus: click a field first"
    if facts.get("noControl"):
        return "The site does not allow agents to use this part of the page"
    if facts.get("private") or (facts.get("tag") == "input" and facts.get("type") in _NEVER_TYPES):
        return "Agents may not use private fields (passwords, card numbers, files, masked data)"
    if action["kind"] == "choose" and facts.get("tag") != "select":
        return "Only a list of options can be chosen from"
    link = facts.get("link")
    follows = action["kind"] in ("click", "dblclick") or (action["kind"] == "key" and action["key"] == "Enter")
    if follows and link and links.classify(link, hosts) == "external":
        return "That link leaves the site: it is not followed under control"
    return None
