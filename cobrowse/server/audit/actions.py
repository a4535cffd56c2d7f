"""What the audit trail says of an agent's action under remote control.

Public names:

- ``audited_action(action, path)``: the ``action`` detail of a ``control_action`` line for an
  action checked by ``core.control.parse_action``, or None for one that is not recorded (a
  pointer move); ``path`` is the element path the console sent with it, kept only if it looks
  like one (``PATH``).
- ``PATH``, ``PATH_CHARS``: what an element path may be: tags, ``#id`` and ``.class`` names
  joined by `` > ``, at most ``PATH_CHARS`` characters.

The kinds are ``click`` (a click or double click), ``scroll`` (the wheel), ``select`` (an
option chosen), ``key`` (a named key: Enter, Tab...) and ``text`` (a printable character, which
is never recorded). The target is the element path and the replay's node id.
"""

import re
from typing import Any

PATH_CHARS = 200
PATH = re.compile(r"[A-Za-z0-9_\- >#.:()]{1,%d}" % PATH_CHARS)

KINDS = {"click": "click", "dblclick": "click", "wheel": "scroll", "choose": "select", "key": "key"}


def audited_action(action: dict[str, Any], path: Any) -> dict[str, Any] | None:
    """``{kind, target, node}`` (``key`` for a named key), or None for a pointer move."""
    kind = KINDS.get(action["kind"])
    if kind is None:
        return None
    if kind == "key":
        key = action["key"]
        return {"kind": "text"} if len(key) == 1 else {"kind": "key", "key": key}
    shown: dict[str, Any] = {"kind": kind, "node": action["id"]}
    if isinstance(path, str) and PATH.fullmatch(path.strip()):
        shown["target"] = " ".join(path.split())
    return shown
