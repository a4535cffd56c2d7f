"""The visitor's session in words: its states and why a session ends.

Public names:

- ``States``: the values of ``Cobrowse.API.Session.getState()``.
- ``Reasons``: the pre-defined ``SessionEnded`` reasons (``SESSION_LIMIT``, the server's
  ``--session-limit``, is cobrowse's own: the seed allows any other reason string).
- ``in_session(state)``: true while a session is being started or is active.

The parts of the session machine (``session``, ``consent``, ``resume``) and the widget's view
(``widget_view``) all speak of these; they live apart so that none of those modules has to
import another for them.
"""


class States:
    INIT = "INIT"
    READY = "READY"
    STARTING = "STARTING"
    ACTIVE_WAIT = "ACTIVE:WAIT"
    ACTIVE_ACTIVE = "ACTIVE:ACTIVE"
    ACTIVE_ESCALATING = "ACTIVE:ESCALATING"
    ACTIVE_ESCALATED = "ACTIVE:ESCALATED"
    DISCONNECTING = "DISCONNECTING"
    ERROR = "ERROR"

    ALL = (INIT, READY, STARTING, ACTIVE_WAIT, ACTIVE_ACTIVE, ACTIVE_ESCALATING, ACTIVE_ESCALATED, DISCONNECTING, ERROR)


class Reasons:
    USER_INITIATED = "USER_INITIATED"
    USER_TIMEOUT = "USER_TIMEOUT"
    NETWORK_TIMEOUT = "NETWORK_TIMEOUT"
    AGENT_INITIATED = "AGENT_INITIATED"
    NAVIGATED_AWAY = "NAVIGATED_AWAY"
    SESSION_LIMIT = "SESSION_LIMIT"


def in_session(state):
    """True while a session is being started or is active: the states links are watched in."""
    return state == States.STARTING or state.startswith("ACTIVE:")
