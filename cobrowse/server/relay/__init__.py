"""The relay: the wire protocol's state moves (``docs/protocol.md``), over any engine.

Public names (from the modules named):

- ``Relay`` (``facade``): this process's side of every session.
- ``Connection`` (``connection``): one open WebSocket of this process; ``QUEUE_CHARS``.
- ``summary``, ``public_agents``, ``public_control`` (``summary``): what agents see.
- ``Timeouts``, ``clamp_network_timeout``, ``AGENT_WAIT_TIMEOUT_SECONDS``,
  ``NETWORK_TIMEOUT_SECONDS``, ``NETWORK_TIMEOUT_RANGE``, ``IDLE_TIMEOUT_SECONDS``,
  ``SERVER_TIMEOUT_SECONDS`` (``timeouts``): every duration, and its default.

Where things are: a session's record (``store``) says who is in it and which connection, on
which process, is attached for the visitor and for each agent; every process may read and
change it, through the engine, and every read-decide-write of it is one ``store.change``. This
process keeps only its own sockets (``here``). A message for a session's visitor or agents is
published through the engine, and each process holding one of the session's connections sends
it on (``Relay.deliver``). Timers are the engine's (``timers`` names their keys); each re-reads
the record when it fires, so a timer that fires late or twice does nothing wrong.

The modules, by concern: ``connection`` (one socket and its queue), ``here`` (this process's
connections, and what is done with a message one cannot take), ``views`` (the view relay:
fan-out, order, catch-up from the log, resync of a slow agent), ``sessions`` (a session as a
whole: broadcast, end, an agent leaving, a take-over), ``timers`` (what each timer does, the
idle sweep), ``recovery`` (lost connections, dead processes, lost touch), ``visitor`` and
``agent`` (each side's moves), ``control`` (remote control's moves), ``summary`` (what agents
see), ``timeouts`` and ``replies`` (durations; messages), ``tasks`` (its
background work), ``part`` and ``shapes`` (what the parts share), ``facade`` (the ``Relay``
that wires them and dispatches each message to its move).
"""

from cobrowse.server.relay.connection import QUEUE_CHARS, Connection
from cobrowse.server.relay.facade import Relay
from cobrowse.server.relay.summary import public_agents, public_control, summary
from cobrowse.server.relay.timeouts import (AGENT_WAIT_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS, NETWORK_TIMEOUT_RANGE,
                                            NETWORK_TIMEOUT_SECONDS, SERVER_TIMEOUT_SECONDS, Timeouts,
                                            clamp_network_timeout)

__all__ = [
    "AGENT_WAIT_TIMEOUT_SECONDS", "IDLE_TIMEOUT_SECONDS", "NETWORK_TIMEOUT_RANGE", "NETWORK_TIMEOUT_SECONDS", "QUEUE_CHARS",
    "SERVER_TIMEOUT_SECONDS", "Connection", "Relay", "Timeouts", "clamp_network_timeout", "public_agents",
    "public_control", "summary",
]
