"""The visitor's co-browse session as a pure state machine (sans-I/O).

Public names:

- ``States``: the values of ``Cobrowse.API.Session.getState()``.
- ``Reasons``: the pre-defined ``SessionEnded`` reasons.
- ``VisitorSession``: the state machine. Calls in (``boot``, ``start``, ``stop``, ``receive``,
  ``link_activated``, ``leave_site``, ``page``, ``connection_lost``), and two
  queues out: ``events`` (co-browse events to fire, as ``(name, payload)``) and ``outbox``
  (protocol messages to send, as JSON text). It does no I/O and keeps no clock; the browser
  adapter drains both queues.
"""

from cobrowse import protocol
from cobrowse.events import payload


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


def in_session(state):
    """True while a session is being started or is active: the states links are watched in."""
    return state == States.STARTING or state.startswith("ACTIVE:")


class VisitorSession:
    """One visitor's session, from ``READY`` through a session and back to ``READY``."""

    mode = "ICB"

    def __init__(self, site_code="default"):
        self.site_code = site_code
        self.state = States.INIT
        self.access_code = None
        self.sid = None
        self.agents = []  # [(id, name)] in the order they joined.
        self.ended_reason = None  # Why the last session ended, for the widget's notice.
        self.ending_reason = None  # The reason asked for while DISCONNECTING.
        self.error = None  # Why the last start failed, as a sentence for the visitor.
        self.events = []
        self.outbox = []

    # -- calls in --------------------------------------------------------------------------

    def boot(self):
        """The runtime is up: ``INIT`` becomes ``READY``."""
        if self.state == States.INIT:
            self._set_state(States.READY)

    def start(self, sid=None, url=None):
        """Ask for a session; return ``(ok, description)``."""
        if self.state not in (States.READY, States.ERROR):
            if self.state == States.INIT:
                return False, "Co-browse is not ready yet: wait for Cobrowse.ready()"
            return False, "A co-browse session is already in progress (state %s)" % self.state
        if sid is not None and (not isinstance(sid, str) or not sid or len(sid) > 64):
            return False, "SID must be a non-empty string of at most 64 characters"
        if not isinstance(self.site_code, str) or len(self.site_code) > 64:
            return False, "siteCode must be a string of at most 64 characters"
        self.sid = sid
        self.access_code = None
        self.agents = []
        self.ended_reason = None
        self.ending_reason = None
        self.error = None
        self._fire("SessionStarting", SID=sid, siteCode=self.site_code)
        self._set_state(States.STARTING)
        self._send("start", siteCode=self.site_code, SID=sid, url=url)
        return True, ""

    def stop(self, reason=None):
        """End the session at the visitor's request; return ``(ok, description)``."""
        if not in_session(self.state):
            return False, "There is no co-browse session to stop (state %s)" % self.state
        if reason is not None and (not isinstance(reason, str) or len(reason) > 200):
            return False, "reason must be a string of at most 200 characters"
        self.ending_reason = reason or Reasons.USER_INITIATED
        self._set_state(States.DISCONNECTING)
        self._send("stop", reason=self.ending_reason)
        return True, ""

    def link_activated(self, url):
        """The visitor activated a link leaving the site; fires ``NavigatingAway``."""
        if in_session(self.state):
            self._fire("NavigatingAway", url=url, **self._ids())

    def leave_site(self, url):
        """The visitor confirmed leaving for ``url``: the session ends as ``NAVIGATED_AWAY``."""
        if not in_session(self.state):
            return False
        self.ending_reason = Reasons.NAVIGATED_AWAY
        self._set_state(States.DISCONNECTING)
        self._send("navigated_away", url=url)
        return True

    def page(self, url, title=None):
        """The visitor's page is ``url``: tell the agents (no event fires)."""
        if in_session(self.state):
            self._send("page", url=url, title=title)

    def receive(self, text):
        """Handle one message from the server and return it, decoded.

        A malformed message raises ``ProtocolError`` and changes nothing.
        """
        message = protocol.decode(text, protocol.SERVER_TO_VISITOR)
        kind = message["type"]
        if kind == "started":
            if self.state != States.STARTING:
                return message
            self.access_code = message["accessCode"]
            self._set_state(States.ACTIVE_WAIT)
            self._fire("SessionStarted", accessCode=self.access_code, SID=self.sid, mode=self.mode, siteCode=self.site_code)
        elif kind == "agent_joined":
            agent = (message["id"], message["name"])
            if not in_session(self.state) or agent[0] in [known for known, _ in self.agents]:
                return message
            self.agents.append(agent)
            self._set_state(States.ACTIVE_ACTIVE)
            self._fire("AgentConnected", id=agent[0], name=agent[1], **self._ids())
        elif kind == "agent_left":
            gone = [agent for agent in self.agents if agent[0] == message["id"]]
            if not gone:
                return message
            self.agents = [agent for agent in self.agents if agent[0] != message["id"]]
            if not self.agents and self.state == States.ACTIVE_ACTIVE:
                self._set_state(States.ACTIVE_WAIT)
            self._fire("AgentDisconnected", id=gone[0][0], name=gone[0][1], **self._ids())
        elif kind == "ended":
            # No session to end: never started, already over, or ended by a lost connection.
            if self.state in (States.READY, States.INIT, States.ERROR):
                return message
            self._end(message["reason"], States.READY)
        elif kind == "error":
            # A refused start leaves no session behind; other errors change nothing.
            if self.state == States.STARTING:
                self.error = message["message"]
                self._set_state(States.ERROR)
        return message

    def connection_lost(self):
        """The connection closed (or never opened) before the session ended normally."""
        if self.state == States.STARTING:
            self.error = "Could not reach the co-browse service. Please try again."
            self._set_state(States.ERROR)
        elif self.state == States.DISCONNECTING:
            # We were ending the session anyway: it is over, for the reason we asked.
            self._end(self.ending_reason or Reasons.USER_INITIATED, States.READY)
        elif in_session(self.state):
            self._end(Reasons.NETWORK_TIMEOUT, States.ERROR)

    # -- helpers ---------------------------------------------------------------------------

    def _ids(self):
        return {"accessCode": self.access_code, "SID": self.sid, "siteCode": self.site_code}

    def _end(self, reason, next_state):
        ids = self._ids()
        count = len(self.agents)
        self.ended_reason = reason
        self.access_code = None
        self.sid = None
        self.agents = []
        self.ending_reason = None
        self._set_state(next_state, ids)
        self._fire("SessionEnded", reason=reason, agentCount=count, **ids)

    def _set_state(self, state, ids=None):
        previous, self.state = self.state, state
        if previous != state:
            self._fire("StateChanged", state=state, previousState=previous, **(ids or self._ids()))

    def _fire(self, event, **values):
        # ``event``, not ``name``: AgentConnected has a property called name.
        self.events.append((event, payload(event, **values)))

    def _send(self, kind, **fields):
        # URLs and titles come from the page and may be longer than the protocol allows: cut
        # them to fit, so a transition never fails halfway with its message unsent.
        for name in ("url", "title"):
            if isinstance(fields.get(name), str):
                fields[name] = fields[name][:protocol.SCHEMAS[kind][name][2]]
        self.outbox.append(protocol.encode(kind, **fields))
