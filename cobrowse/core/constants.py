"""Values that the Python and the JavaScript of cobrowse share and that no other core module owns.

Public names:

- ``CLOSE_DRAINING``, ``CLOSE_UNAUTHORIZED``, ``CLOSE_FORBIDDEN_ORIGIN``, ``CLOSE_IDLE``,
  ``CLOSE_REPLACED``, ``CLOSE_TOO_SLOW``: the WebSocket close codes of ``docs/protocol.md``.
- ``HEARTBEAT_MS``, ``SILENCE_MS``: how often the widget and the console ping, and how long a
  silent connection lasts before they take it for dead.
- ``MODE_ICB``, ``MODE_ACB``: the session's modes (``Cobrowse.API.Session.mode``).
- ``WIDGET_ID``: the id of the widget's host element in the visitor's page.
- ``AGENT_TOOLS``: what agents may use on the visitor's page (``data-agent-tools``'s names).
- ``TOOLS_PER_SECOND``: how often an agent's pointer and strokes are sent, at most.
- ``POINTER_STILL_MS``: how long a still pointer stays on the visitor's page.
- ``AGENT_COLOURS``: each agent's colour for its pointer and strokes, by its place in the session.

The other shared values stay with the module they belong to: the events and their properties in
``events``, the states, reasons and reconnect timings in ``session``, the protocol's version and
limits in ``protocol``. ``tools/shared_values.py`` writes all of them as an ES module for the
loader and the console (``make setup``), and ``tests/core/test_shared_values.py`` fails when a
copy drifts. Plain values only: this module runs on MicroPython too.
"""

# A server that is shutting down closes with 1012 ("service restart"): reconnect at once, to
# another process.
CLOSE_DRAINING = 1012
# Close codes of our own (4000-4999 are the application's).
CLOSE_UNAUTHORIZED = 4401  # Wrong or missing agent key.
CLOSE_FORBIDDEN_ORIGIN = 4403  # A page of an origin that may not use this endpoint.
CLOSE_IDLE = 4408  # Nothing heard for the idle timeout: the connection is taken to be dead.
CLOSE_REPLACED = 4409  # A silent connection whose session a resume or rejoin took over.
CLOSE_TOO_SLOW = 4429  # A visitor that does not read what it is sent.

# The heartbeat: a ping every few seconds; a connection silent for longer than two of them is
# taken for dead even if the browser has not noticed (a half-open socket after a network change).
HEARTBEAT_MS = 5000
SILENCE_MS = 2 * HEARTBEAT_MS + 1000

# "ICB": the agent watches (HTML co-browse); "ACB": the agent may act on the page (advanced).
MODE_ICB = "ICB"
MODE_ACB = "ACB"

WIDGET_ID = "cobrowse-widget"

# The agent tools a site may allow (data-agent-tools; all of them by default): pointing at the
# visitor's page, drawing on it, and remote control (with the visitor's consent).
AGENT_TOOLS = ["point", "draw", "control"]
# An agent's pointer moves and strokes are coalesced to at most this many messages a second.
TOOLS_PER_SECOND = 30
# A pointer that has not moved for this long is hidden.
POINTER_STILL_MS = 5000
# An agent's colour is the one at its place in the session (round again after the last).
AGENT_COLOURS = ["#d4380d", "#0b5cd5", "#237804", "#9e1068", "#ad6800", "#08979c"]
