"""The visitor's co-browse session as a pure state machine (sans-I/O).

Public names:

- ``VisitorSession``: the state machine. Calls in (``boot``, ``start``, ``stop``, ``receive``,
  ``link_activated``, ``leave_site``, ``page``; from its connection, ``connected``,
  ``connection_lost``, ``give_up``, ``boot_failed``, ``ping`` (``resume``); for remote control
  ``allow_control``, ``deny_control``, ``revoke_control``, ``request_expired``, ``may_act``,
  ``action_refused`` (``consent``)), and two queues out: ``events`` (co-browse events to fire,
  as ``(name, payload)``) and ``outbox`` (protocol messages to send, as JSON text). It does no
  I/O and keeps no clock; the browser adapter drains both queues and owns the timers.
- ``reconnect_delay(attempt, fraction)``: how long to wait before reconnect attempt ``attempt``.
- ``NETWORK_TIMEOUT_SECONDS``: the network timeout when the page sets none.
- ``States``, ``Reasons``, ``in_session``: the session's states and reasons (``states``).

A lost connection or a page load does not end a session: ``resume`` says how it goes on.
Remote control asks the visitor first: ``consent`` says how.
"""

from cobrowse.core import protocol
from cobrowse.core.consent import ControlConsent
from cobrowse.core.constants import MODE_ACB, MODE_ICB
from cobrowse.core.events import payload
from cobrowse.core.resume import Resumption
from cobrowse.core.states import Reasons, States, in_session

# Reconnect attempts wait 0.25 s, 0.5 s, 1 s ... up to 5 s, each scaled by a random 50-100 %
# so that the visitors of a restarted server do not all come back in the same instant.
RECONNECT_FIRST_SECONDS = 0.25
RECONNECT_CAP_SECONDS = 5.0

# The network timeout when the page does not set data-network-timeout, in seconds.
NETWORK_TIMEOUT_SECONDS = 30

# start()'s answer while the server's start limit holds this address's starts off.
TOO_MANY_STARTS = "Too many co-browse sessions were started from this address: please try again in %d s"


def reconnect_delay(attempt, fraction):
    """Seconds to wait before reconnect attempt ``attempt`` (0, 1, ...); ``fraction`` in [0, 1)."""
    base = min(RECONNECT_CAP_SECONDS, RECONNECT_FIRST_SECONDS * (2 ** min(attempt, 10)))
    return base * (0.5 + fraction / 2)


class VisitorSession(Resumption, ControlConsent):
    """One visitor's session, from ``READY`` through a session and back to ``READY``."""

    def __init__(self, site_code="default", network_timeout=NETWORK_TIMEOUT_SECONDS):
        self.site_code = site_code
        self.network_timeout = network_timeout
        self.token = None  # The server's resume token for this session, kept by the tab.
        self.reconnecting = False  # The connection dropped; the session waits to be resumed.
        self.resuming = False  # Booted with a token: waiting for the server to restore it.
        self.url = None
        self.state = States.INIT
        self.access_code = None
        self.sid = None
        self.agents = []  # [(id, name)] in the order they joined.
        self.ended_reason = None  # Why the last session ended, for the widget's notice.
        self.ending_reason = None  # The reason asked for while DISCONNECTING.
        self.error = None  # Why the last start failed, as a sentence for the visitor.
        # Past the server's start limit, start() is answered here until this time (seconds, the
        # adapter's clock: ``receive`` and ``start`` are given ``now``).
        self.starts_held_until = 0
        self.warning = None  # The server's warning that the session ends soon (its time limit).
        # The server asked for a new full snapshot of the live view; the adapter takes it and
        # clears this.
        self.snapshot_wanted = False
        # The server refused this page's live view (too large to share): it is not recorded
        # again while the page lasts, so a page past the budget never loops.
        self.view_refused = False
        # Remote control: the session's control record (``cobrowse.core.control``), and the agent
        # this tab granted control to, which the adapter keeps across page loads.
        self.control = None
        self.granted = None
        self.events = []
        self.outbox = []

    @property
    def mode(self):
        """``"ACB"`` while an agent controls the page, else ``"ICB"``."""
        return MODE_ACB if self.state == States.ACTIVE_ESCALATED else MODE_ICB

    # -- calls in --------------------------------------------------------------------------

    def boot(self, token=None, url=None, granted=None):
        """The runtime is up: ``INIT`` becomes ``READY``, or, given the token of this tab's
        session, stays ``INIT`` while ``resume`` asks the server to restore it. ``granted`` is
        the agent this tab gave control to on an earlier page, if any."""
        if self.state != States.INIT or self.resuming:
            return
        self.url = url
        self.granted = granted if token else None
        if token:
            # The adapter connects now; ``connected()`` sends the resume.
            self.token = token
            self.resuming = True
        else:
            self._set_state(States.READY)

    def start(self, sid=None, url=None, now=None):
        """Ask for a session; return ``(ok, description)``. ``now`` (seconds) is needed only to
        answer at once while the server's start limit holds starts from this address off."""
        if now is not None and now < self.starts_held_until:
            return False, TOO_MANY_STARTS % (int(self.starts_held_until - now) + 1)
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
        self.warning = None
        self.url = url
        self._fire("SessionStarting", SID=sid, siteCode=self.site_code)
        self._set_state(States.STARTING)
        self._send("start", siteCode=self.site_code, SID=sid, url=url, networkTimeout=self.network_timeout)
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
        self.url = url
        if in_session(self.state):
            self._send("page", url=url, title=title)

    def receive(self, text, now=None):
        """Handle one message from the server and return it, decoded (``now``: as for ``start``).

        A malformed message raises ``ProtocolError`` and changes nothing.
        """
        message = protocol.decode(text, protocol.SERVER_TO_VISITOR)
        kind = message["type"]
        if kind == "pong":
            return message
        if kind == "snapshot":
            self.snapshot_wanted = self.watched()
            return message
        if kind == "view_refused":
            self.view_refused = True
            return message
        if kind == "started":
            self._started(message)
        elif kind == "resumed":
            self._resumed(message)
        elif kind == "agent_joined":
            agent = (message["id"], message["name"])
            if not in_session(self.state) or agent[0] in [known for known, _ in self.agents]:
                return message
            self._agent_joined(agent)
        elif kind == "agent_left":
            gone = [agent for agent in self.agents if agent[0] == message["id"]]
            if not gone:
                return message
            self.agents = [agent for agent in self.agents if agent[0] != message["id"]]
            self._agent_gone(gone[0])
        elif kind == "control_request":
            self._control_requested(message["id"], message["name"])
        elif kind == "control_end":
            self._control_gone(message["id"])
        elif kind == "session_warning":
            if in_session(self.state):
                self.warning = message["message"]
        elif kind == "ended":
            # No session to end: never started, already over, or ended by a lost connection.
            if self.state in (States.READY, States.INIT, States.ERROR):
                return message
            self._end(message["reason"], States.READY)
        elif kind == "error":
            self._refused(message, now)
        return message

    def _started(self, message):
        if self.state != States.STARTING:
            return
        self.token = message["token"]
        self.access_code = message["accessCode"]
        self._set_state(States.ACTIVE_WAIT)
        self._fire("SessionStarted", accessCode=self.access_code, SID=self.sid, mode=self.mode, siteCode=self.site_code)

    def _refused(self, message, now):
        """A refused start leaves no session behind; a refused resume means the session is gone
        (ended while we were away, or open in another tab); other errors change nothing."""
        if self.state == States.STARTING:
            self.error = message["message"]
            if message["code"] == "rate_limited" and now is not None:
                self.starts_held_until = now + (message.get("retryAfter") or 0)
            self._set_state(States.ERROR)
        elif self.resuming or (self.reconnecting and message["code"] == "no_session"):
            self._session_gone()
        # While reconnecting, "in_use" means the server has not yet noticed that our old
        # connection died: the adapter tries again, within the network timeout.

    def watched(self):
        """True while the page is to be recorded for the live view: a session is on, connected,
        with at least one agent, and the server has not refused the page as too large."""
        return (bool(self.agents) and in_session(self.state) and not self.reconnecting and not self.resuming
                and not self.view_refused)

    # -- helpers ---------------------------------------------------------------------------

    def _agent_joined(self, agent):
        """``(id, name)`` joined: the first one makes the session ``ACTIVE:ACTIVE``."""
        self.agents.append(agent)
        if self.state == States.ACTIVE_WAIT:
            self._set_state(States.ACTIVE_ACTIVE)
        self._fire("AgentConnected", id=agent[0], name=agent[1], **self._ids())

    def _agent_gone(self, agent):
        """``(id, name)``, no longer in ``agents``, has left: its request or control ends with
        it, and the last one out makes the session wait again."""
        self._control_gone(agent[0])
        if not self.agents and self.state == States.ACTIVE_ACTIVE:
            self._set_state(States.ACTIVE_WAIT)
        self._fire("AgentDisconnected", id=agent[0], name=agent[1], **self._ids())

    def _ids(self):
        return {"accessCode": self.access_code, "SID": self.sid, "siteCode": self.site_code}

    def _end(self, reason, next_state):
        ids = self._ids()
        count = len(self.agents)
        self.token = None
        self.reconnecting = False
        self.outbox = []  # Whatever was queued belonged to this session.
        self.ended_reason = reason
        self.warning = None
        self.access_code = None
        self.sid = None
        self.agents = []
        self.ending_reason = None
        self.control = None
        self.granted = None
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
