"""The visitor's co-browse session as a pure state machine (sans-I/O).

Public names:

- ``States``: the values of ``Cobrowse.API.Session.getState()``.
- ``Reasons``: the pre-defined ``SessionEnded`` reasons.
- ``VisitorSession``: the state machine. Calls in (``boot``, ``start``, ``stop``, ``receive``,
  ``link_activated``, ``leave_site``, ``page``, ``connected``, ``connection_lost``, ``give_up``,
  ``boot_failed``, ``ping``, and for remote control ``allow_control``, ``deny_control``,
  ``revoke_control``, ``request_expired``, ``may_act``, ``action_refused``), and two queues out:
  ``events`` (co-browse events to fire, as ``(name, payload)``) and ``outbox`` (protocol messages
  to send, as JSON text). It does no I/O and keeps no clock; the browser adapter drains both
  queues and owns the timers.
- ``reconnect_delay(attempt, fraction)``: how long to wait before reconnect attempt ``attempt``.

Surviving the network: a lost connection during a session does not end it. The session is
``reconnecting`` (``getState()`` is unchanged, no event fires) while the adapter reconnects and
``connected()`` queues a ``resume`` with the session's token. The server answers ``resumed``
and the session goes on with the same access code; agents who came or went meanwhile are
reconciled, so nothing fires twice. When the adapter's network timeout runs out first it calls
``give_up()``: SessionEnded fires with ``NETWORK_TIMEOUT``.

Surviving page loads: ``boot(token)`` with the token the previous page of this tab kept resumes
the session. The state stays ``INIT`` until the server answers, then moves straight to the
restored state (one StateChanged, no SessionStarting/SessionStarted), or to ``READY`` when the
session is gone.

Remote control: an agent's ``control_request`` takes ``ACTIVE:ACTIVE`` to ``ACTIVE:ESCALATING``;
``allow_control`` to ``ACTIVE:ESCALATED`` (mode ``ACB``); a denial, a timeout, a revocation,
the agent releasing or leaving take it back to ``ACTIVE:ACTIVE``. A grant outlives page loads
of the tab only if the server and the tab (``granted``) both still hold it.
"""

import json

from cobrowse.core import control, protocol
from cobrowse.core.constants import MODE_ACB, MODE_ICB
from cobrowse.core.events import payload


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


# Reconnect attempts wait 0.25 s, 0.5 s, 1 s ... up to 5 s, each scaled by a random 50-100 %
# so that the visitors of a restarted server do not all come back in the same instant.
RECONNECT_FIRST_SECONDS = 0.25
RECONNECT_CAP_SECONDS = 5.0

# The network timeout when the page does not set data-network-timeout, in seconds.
NETWORK_TIMEOUT_SECONDS = 30


def reconnect_delay(attempt, fraction):
    """Seconds to wait before reconnect attempt ``attempt`` (0, 1, ...); ``fraction`` in [0, 1)."""
    base = min(RECONNECT_CAP_SECONDS, RECONNECT_FIRST_SECONDS * (2 ** min(attempt, 10)))
    return base * (0.5 + fraction / 2)


def _kind(text):
    """The type of one of our own queued messages."""
    return json.loads(text)["type"]


def in_session(state):
    """True while a session is being started or is active: the states links are watched in."""
    return state == States.STARTING or state.startswith("ACTIVE:")


class VisitorSession:
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
        # The server asked for a new full snapshot of the live view; the adapter takes it and
        # clears this.
        self.snapshot_wanted = False
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

    def receive(self, text):
        """Handle one message from the server and return it, decoded.

        A malformed message raises ``ProtocolError`` and changes nothing.
        """
        message = protocol.decode(text, protocol.SERVER_TO_VISITOR)
        kind = message["type"]
        if kind == "pong":
            return message
        if kind == "snapshot":
            self.snapshot_wanted = self.watched()
            return message
        if kind == "started":
            if self.state != States.STARTING:
                return message
            self.token = message["token"]
            self.access_code = message["accessCode"]
            self._set_state(States.ACTIVE_WAIT)
            self._fire("SessionStarted", accessCode=self.access_code, SID=self.sid, mode=self.mode, siteCode=self.site_code)
        elif kind == "resumed":
            self._resumed(message)
        elif kind == "agent_joined":
            agent = (message["id"], message["name"])
            if not in_session(self.state) or agent[0] in [known for known, _ in self.agents]:
                return message
            self.agents.append(agent)
            if self.state == States.ACTIVE_WAIT:
                self._set_state(States.ACTIVE_ACTIVE)
            self._fire("AgentConnected", id=agent[0], name=agent[1], **self._ids())
        elif kind == "agent_left":
            gone = [agent for agent in self.agents if agent[0] == message["id"]]
            if not gone:
                return message
            self.agents = [agent for agent in self.agents if agent[0] != message["id"]]
            if self.control and self.control["agent"] == message["id"]:
                self._end_control(None)
            if not self.agents and self.state == States.ACTIVE_ACTIVE:
                self._set_state(States.ACTIVE_WAIT)
            self._fire("AgentDisconnected", id=gone[0][0], name=gone[0][1], **self._ids())
        elif kind == "control_request":
            self._control_requested(message["id"], message["name"])
        elif kind == "control_end":
            if self.control and self.control["agent"] == message["id"]:
                self._end_control(None)
        elif kind == "ended":
            # No session to end: never started, already over, or ended by a lost connection.
            if self.state in (States.READY, States.INIT, States.ERROR):
                return message
            self._end(message["reason"], States.READY)
        elif kind == "error":
            # A refused start leaves no session behind; a refused resume means the session is
            # gone (ended while we were away, or open in another tab); other errors change
            # nothing.
            if self.state == States.STARTING:
                self.error = message["message"]
                self._set_state(States.ERROR)
            elif self.resuming or (self.reconnecting and message["code"] == "no_session"):
                self._session_gone()
            # While reconnecting, "in_use" means the server has not yet noticed that our old
            # connection died: the adapter tries again, within the network timeout.
        return message

    # -- remote control --------------------------------------------------------------------

    def allow_control(self):
        """The visitor allows the pending request: ``ACTIVE:ESCALATED``; ``(ok, description)``."""
        if self.state != States.ACTIVE_ESCALATING or not self.control:
            return False, "There is no request for control to allow (state %s)" % self.state
        self.control = control.grant(self.control, self.control["agent"])
        self.granted = self.control["agent"]
        self._send("control_grant", id=self.granted)
        self._set_state(States.ACTIVE_ESCALATED)
        return True, ""

    def deny_control(self, reason="declined"):
        """The visitor declines the pending request (or it timed out); ``(ok, description)``."""
        if self.state != States.ACTIVE_ESCALATING or not self.control:
            return False, "There is no request for control to deny (state %s)" % self.state
        self._end_control(reason)
        return True, ""

    def revoke_control(self):
        """The visitor takes control back; ``(ok, description)``."""
        if self.state != States.ACTIVE_ESCALATED or not self.control:
            return False, "No agent controls the page (state %s)" % self.state
        self._end_control("revoked")
        return True, ""

    def request_expired(self, agent_id):
        """The adapter's timer: a request still unanswered after ``REQUEST_TIMEOUT_SECONDS``."""
        if self.state == States.ACTIVE_ESCALATING and self.control and self.control["agent"] == agent_id:
            self._end_control("timeout")

    def may_act(self, agent_id):
        """True when ``agent_id`` holds control granted by the visitor, and the session is on."""
        return (self.state == States.ACTIVE_ESCALATED and not self.reconnecting
                and control.controller(self.control) == agent_id)

    def action_refused(self, agent_id, message):
        """Tell the acting agent why the page did not do what it asked."""
        if in_session(self.state):
            self._send("refused", id=agent_id, message=message[:300])

    def _control_requested(self, agent_id, name):
        if self.state != States.ACTIVE_ACTIVE or agent_id not in [known for known, _ in self.agents]:
            # Not now (someone asks or controls already, or the agent is unknown): refused.
            if in_session(self.state) and not (self.control and self.control["agent"] == agent_id):
                self._send("control_end", id=agent_id, reason="busy")
            return
        self.control = control.ask(None, agent_id, name)
        self._set_state(States.ACTIVE_ESCALATING)

    def _end_control(self, reason):
        """Control (or the request for it) is over: back to ``ACTIVE:ACTIVE``. ``reason`` is sent
        to the server when the end is the visitor's doing; None when the server told us."""
        agent_id = self.control["agent"]
        self.control = None
        self.granted = None
        if reason is not None:
            self._send("control_end", id=agent_id, reason=reason)
        if self.state in (States.ACTIVE_ESCALATING, States.ACTIVE_ESCALATED):
            self._set_state(States.ACTIVE_ACTIVE)

    def _restore_control(self, record):
        """A resumed session's control record, as the server has it: a grant counts only if this
        tab gave it (a new page is not controlled on the server's word alone)."""
        record = record if isinstance(record, dict) and record.get("agent") in [known for known, _ in self.agents] else None
        if record and record.get("state") == control.GRANTED and record["agent"] == self.granted:
            self.control = {"agent": record["agent"], "name": record.get("name"), "state": control.GRANTED}
            return States.ACTIVE_ESCALATED
        self.granted = None
        if record and record.get("state") == control.ASKING:
            self.control = control.ask(None, record["agent"], str(record.get("name")))
            return States.ACTIVE_ESCALATING
        if record:
            # Granted on the server but not by this tab: the page stays uncontrolled.
            self._send("control_end", id=record["agent"], reason="revoked")
        self.control = None
        return None

    def watched(self):
        """True while the page is to be recorded for the live view: a session is on, connected,
        with at least one agent."""
        return bool(self.agents) and in_session(self.state) and not self.reconnecting and not self.resuming

    def connected(self):
        """A connection opened: a session waiting to be resumed asks for it first."""
        if self.reconnecting or self.resuming:
            outbox, self.outbox = self.outbox, []
            self._send_resume()
            self.outbox.extend(outbox)

    def connection_lost(self):
        """The connection closed (or never opened) before the session ended normally.

        Return True when the adapter should reconnect (and call ``give_up`` if that takes
        longer than the network timeout).
        """
        if self.state == States.STARTING:
            self.error = "Could not reach the co-browse service. Please try again."
            self._set_state(States.ERROR)
        elif self.state == States.DISCONNECTING:
            # We were ending the session anyway: it is over, for the reason we asked.
            self._end(self.ending_reason or Reasons.USER_INITIATED, States.READY)
        elif in_session(self.state) or self.resuming:
            # Messages queued for the lost connection are stale: resume starts afresh.
            self.outbox = [text for text in self.outbox if _kind(text) not in ("resume", "ping")]
            self.reconnecting = True
            return True
        return False

    def give_up(self):
        """The connection could not be recovered within the network timeout."""
        if self.resuming:
            self._session_gone()
        elif self.reconnecting and in_session(self.state):
            self.reconnecting = False
            self.token = None
            self._end(Reasons.NETWORK_TIMEOUT, States.ERROR)

    def boot_failed(self):
        """The page gave up waiting for the boot to finish (the adapter's boot timeout): a
        session still being resumed is not waited for, and ``INIT`` becomes ``ERROR``. The
        token is kept, so a later page of this tab can still resume the session."""
        if self.state != States.INIT:
            return
        self.resuming = self.reconnecting = False
        self.outbox = []
        self.error = "Could not reach the co-browse service. Please try again."
        self._set_state(States.ERROR)

    def ping(self):
        """Queue a heartbeat; the adapter calls this on its own schedule."""
        if self.token and not self.reconnecting:
            self._send("ping")

    # -- helpers ---------------------------------------------------------------------------

    def _send_resume(self):
        self._send("resume", token=self.token, url=self.url, networkTimeout=self.network_timeout)

    def _resumed(self, message):
        if not (self.resuming or self.reconnecting):
            return
        self.token = message["token"]
        agents = []
        for agent in message["agents"]:
            if isinstance(agent, dict) and isinstance(agent.get("id"), str) and isinstance(agent.get("name"), str):
                agents.append((agent["id"], agent["name"]))
        if self.state == States.DISCONNECTING:
            # Resumed only to be stopped: the queued stop follows, agents no longer matter.
            self.reconnecting = False
            return
        if self.resuming:
            # A new page: the session is restored as it is, without replaying its history.
            self.resuming = self.reconnecting = False
            self.access_code = message["accessCode"]
            self.sid = message.get("SID")
            self.agents = agents
            escalation = self._restore_control(message.get("control"))
            self._set_state(escalation or (States.ACTIVE_ACTIVE if agents else States.ACTIVE_WAIT))
            return
        # The same page after a blip: tell listeners only about agents who came or went.
        self.reconnecting = False
        known = [agent_id for agent_id, _ in self.agents]
        now = [agent_id for agent_id, _ in agents]
        for agent in [agent for agent in self.agents if agent[0] not in now]:
            self.agents.remove(agent)
            if self.control and self.control["agent"] == agent[0]:
                self._end_control(None)
            if not self.agents and self.state == States.ACTIVE_ACTIVE:
                self._set_state(States.ACTIVE_WAIT)
            self._fire("AgentDisconnected", id=agent[0], name=agent[1], **self._ids())
        for agent in [agent for agent in agents if agent[0] not in known]:
            self.agents.append(agent)
            if self.state == States.ACTIVE_WAIT:
                self._set_state(States.ACTIVE_ACTIVE)
            self._fire("AgentConnected", id=agent[0], name=agent[1], **self._ids())
        record = message.get("control")
        if self.control and not (isinstance(record, dict) and record.get("agent") == self.control["agent"]):
            # The server ended the request or control while we were away.
            self._end_control(None)

    def _session_gone(self):
        """The session cannot be resumed: it ended while this page was away, or is elsewhere."""
        self.token = None
        self.outbox = []
        if self.resuming:
            self.resuming = self.reconnecting = False
            self._set_state(States.READY)
        elif self.state == States.DISCONNECTING:
            self._end(self.ending_reason or Reasons.USER_INITIATED, States.READY)
        elif in_session(self.state):
            self.reconnecting = False
            self._end(Reasons.NETWORK_TIMEOUT, States.ERROR)

    def _ids(self):
        return {"accessCode": self.access_code, "SID": self.sid, "siteCode": self.site_code}

    def _end(self, reason, next_state):
        ids = self._ids()
        count = len(self.agents)
        self.token = None
        self.reconnecting = False
        self.outbox = []  # Whatever was queued belonged to this session.
        self.ended_reason = reason
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
