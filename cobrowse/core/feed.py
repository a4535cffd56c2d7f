"""The events feed: how co-browse events reach the page's own Python under Pyodide.

Public names:

- ``EventFeed``: one receiving end of the feed (a PyScript worker, usually), sans-I/O.
- ``decode(name, text)``: an event's payload from the JSON text the page sends.

With ``data-runtime="pyodide"`` the co-browse core runs on MicroPython on the main thread and
the page's own Python runs on CPython elsewhere (a ``<script type="py" worker>``). The loader
(``static/cobrowse.js``) relays every event to them over a ``BroadcastChannel`` that belongs
to the page. Each message on the channel is JSON text:

- ``{"kind": "hello", "from": ID}``: a receiving end has started (``EventFeed.hello()``).
- ``{"kind": "welcome", "to": ID, "events": [[name, json], ...]}``: the page's answer, with
  every event since the page loaded, in order.
- ``{"kind": "event", "name": name, "json": json}``: one event as it happens.

A receiving end takes events only once it was welcomed: every earlier ``event`` message is also
in its welcome, so it hears each event exactly once, in order, however late it started.
"""

import json

from cobrowse.core.events import PROPERTIES, payload


def decode(name, text):
    """The payload of event ``name`` from its JSON text; ValueError when it is not one."""
    if name not in PROPERTIES:
        raise ValueError("unknown co-browse event: %r" % (name,))
    values = json.loads(text)
    if not isinstance(values, dict):
        raise ValueError("the payload of %s is not an object: %r" % (name, text))
    return payload(name, **values)


class EventFeed:
    """One receiving end of the page's events feed.

    ``hello()`` is the text to post once the end listens; ``receive(text)`` takes each message
    of the channel and returns the ``(name, payload)`` pairs to dispatch, in order. Messages
    for other ends, and malformed ones, are skipped; ``errors`` keeps why, for the adapter to
    report.
    """

    def __init__(self, end_id):
        self.end_id = end_id
        self.welcomed = False
        self.errors = []

    def hello(self):
        return json.dumps({"kind": "hello", "from": self.end_id})

    def receive(self, text):
        try:
            message = json.loads(text)
            kind = message.get("kind")
            if kind == "welcome" and message.get("to") == self.end_id and not self.welcomed:
                self.welcomed = True
                return self._decode_all(message.get("events") or [])
            if kind == "event" and self.welcomed:
                return [(message["name"], decode(message["name"], message["json"]))]
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            self.errors.append("ignored a malformed message of the events feed (%s): %s" % (exc, str(text)[:200]))
        return []

    def _decode_all(self, events):
        decoded = []
        for item in events:
            try:
                decoded.append((item[0], decode(item[0], item[1])))
            except (IndexError, KeyError, TypeError, ValueError) as exc:
                self.errors.append("ignored a malformed event of the events feed (%s): %s" % (exc, str(item)[:200]))
        return decoded
