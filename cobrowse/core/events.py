"""The seven co-browse events and the signals that carry them.

Public names:

- ``Signal``: one event's listeners; ``listen(fn)``, ``remove_listener(fn)``, ``send(payload)``.
- ``Events``: the namespace holding one ``Signal`` per event, e.g. ``Events.SessionStarted``.
- ``EVENT_NAMES``: the seven event names, in the seed's order.
- ``PROPERTIES``: for each event, the properties its payload carries (all of them, always).
- ``payload(event, **values)``: a payload dict for an event, with every property present.
- ``payload_json(name, data)``: a payload as JSON text, its properties in the seed's order.

The module is pure Python: it runs unchanged on CPython and on MicroPython in the browser.
A listener that raises never stops the others: ``send`` reports the failure to the signal's
``on_error`` hook and carries on with the next listener.
"""

import json

EVENT_NAMES = (
    "SessionStarting",
    "SessionStarted",
    "SessionEnded",
    "AgentConnected",
    "AgentDisconnected",
    "StateChanged",
    "NavigatingAway",
)

# The properties each event carries, exactly the seed's list. A property with no value (SID
# in standalone mode, accessCode before the server assigned one) is present and None, which
# the browser adapter hands to JavaScript listeners as undefined.
PROPERTIES = {
    "SessionStarting": ("SID", "siteCode"),
    "SessionStarted": ("accessCode", "SID", "mode", "siteCode"),
    "SessionEnded": ("reason", "accessCode", "SID", "siteCode", "agentCount"),
    "AgentConnected": ("name", "id", "accessCode", "SID", "siteCode"),
    "AgentDisconnected": ("name", "id", "accessCode", "SID", "siteCode"),
    "StateChanged": ("state", "previousState", "accessCode", "SID", "siteCode"),
    "NavigatingAway": ("url", "accessCode", "SID", "siteCode"),
}


def payload(event, **values):
    """Return the payload of ``event``: every property of the seed, None where unknown.

    An unknown event name or property is a programming error and raises at once.
    """
    if event not in PROPERTIES:
        raise ValueError("unknown co-browse event: %r" % (event,))
    allowed = PROPERTIES[event]
    for key in values:
        if key not in allowed:
            raise ValueError("event %s has no property %r" % (event, key))
    return {key: values.get(key) for key in allowed}


def payload_json(name, data):
    """Encode a payload as a JSON object whose keys follow the seed's order.

    MicroPython's dicts are unordered, so the order is spelled out rather than left to
    ``json.dumps``.
    """
    return "{" + ",".join(json.dumps(key) + ":" + json.dumps(data[key]) for key in PROPERTIES[name]) + "}"


def _report(signal, listener, exc):
    print("cobrowse: a %s listener failed: %r" % (signal.name, exc))


class Signal:
    """The listeners of one event, called in the order they were attached.

    A listener is any callable taking the payload. Attaching a listener twice keeps the first
    attachment only; removing one that is not attached does nothing. ``key`` identifies a
    listener where identity cannot (the browser adapter passes JavaScript functions by an id).
    """

    def __init__(self, name, on_error=None):
        self.name = name
        self.on_error = on_error or _report
        self._listeners = []

    def listen(self, listener, key=None):
        if not callable(listener):
            raise TypeError("%s.listen() needs a function, got %r" % (self.name, listener))
        key = id(listener) if key is None else key
        for known, _ in self._listeners:
            if known == key:
                return listener
        self._listeners.append((key, listener))
        return listener

    def remove_listener(self, listener=None, key=None):
        key = id(listener) if key is None else key
        self._listeners = [item for item in self._listeners if item[0] != key]

    def __len__(self):
        return len(self._listeners)

    def send(self, data):
        """Call every listener with ``data``; a listener that raises is reported, not fatal."""
        # A listener may attach or remove listeners while we dispatch: iterate over a copy.
        for _, listener in list(self._listeners):
            try:
                listener(data)
            except Exception as exc:  # noqa: BLE001 - isolating listeners is the point.
                self.on_error(self, listener, exc)


class EventNamespace:
    """One ``Signal`` per co-browse event, as attributes named like the events."""

    def __init__(self):
        for name in EVENT_NAMES:
            setattr(self, name, Signal(name))

    def __getitem__(self, name):
        if name not in PROPERTIES:
            raise KeyError(name)
        return getattr(self, name)

    def signals(self):
        return [getattr(self, name) for name in EVENT_NAMES]


# The namespace that page code uses: ``from cobrowse import Events``.
Events = EventNamespace()
