"""Every duration the relay goes by, in one value handed to it (``Timeouts``).

Public names:

- ``Timeouts(agent_wait, network, idle, control_request, session_limit)``: one relay's
  durations in seconds, each defaulting to the value below; ``takeover_silence`` and
  ``sweep_every`` follow from ``idle``, ``session_warning`` from ``session_limit`` (None: no
  limit, the default).
- ``SESSION_WARNING_SECONDS``: how long before the session limit visitor and agents are warned.
- ``AGENT_WAIT_TIMEOUT_SECONDS``: a session with no agent for this long ends as USER_TIMEOUT
  (``--agent-wait-timeout``).
- ``NETWORK_TIMEOUT_SECONDS``: how long a dropped visitor or agent may take to come back
  (``--network-timeout``); ``NETWORK_TIMEOUT_RANGE`` and ``clamp_network_timeout(seconds)``:
  a page's own network timeout is kept within that range.
- ``IDLE_TIMEOUT_SECONDS``: a socket silent for this long is closed (``--idle-timeout``).
- ``SERVER_TIMEOUT_SECONDS``: when the server gives up on a request for control that the
  visitor did not answer.
"""

from dataclasses import dataclass

from cobrowse.core import control

AGENT_WAIT_TIMEOUT_SECONDS = 300.0
NETWORK_TIMEOUT_SECONDS = 30.0
NETWORK_TIMEOUT_RANGE = (5, 300)
# Clients ping every 5 s.
IDLE_TIMEOUT_SECONDS = 20.0
# The visitor's browser ends a request after REQUEST_TIMEOUT_SECONDS; the server waits a little
# longer, for a visitor whose browser is gone or silent.
SERVER_TIMEOUT_SECONDS = control.REQUEST_TIMEOUT_SECONDS + 5
SESSION_WARNING_SECONDS = 60.0


@dataclass(frozen=True)
class Timeouts:
    """How long the relay waits for each thing, in seconds."""

    agent_wait: float = AGENT_WAIT_TIMEOUT_SECONDS
    network: float = NETWORK_TIMEOUT_SECONDS
    idle: float = IDLE_TIMEOUT_SECONDS
    control_request: float = SERVER_TIMEOUT_SECONDS
    session_limit: float | None = None

    @property
    def session_warning(self) -> float | None:
        """When, after its start, a session with a limit is warned: a minute before its end
        (at once for a limit of a minute or less)."""
        if self.session_limit is None:
            return None
        return max(0.0, self.session_limit - SESSION_WARNING_SECONDS)

    @property
    def takeover_silence(self) -> float:
        """A socket silent this long (two missed heartbeats by default) is taken to be dead by
        a resume or rejoin that wants its session."""
        return self.idle / 2

    @property
    def sweep_every(self) -> float:
        """How often the idle sweep looks at every connection."""
        return min(1.0, self.idle / 4)


def clamp_network_timeout(seconds: float | None) -> float | None:
    """The page's network timeout within ``NETWORK_TIMEOUT_RANGE``, or None if it gave none."""
    if seconds is None:
        return None
    low, high = NETWORK_TIMEOUT_RANGE
    return min(max(seconds, low), high)
