"""Remote control's consent, as the visitor's session keeps it (sans-I/O, like the session).

Public names:

- ``ControlConsent``: the calls of remote control on ``session.VisitorSession``, which it is
  mixed into: ``allow_control``, ``deny_control``, ``revoke_control``, ``request_expired``,
  ``may_act`` and ``action_refused``.

An agent's ``control_request`` takes ``ACTIVE:ACTIVE`` to ``ACTIVE:ESCALATING``;
``allow_control`` to ``ACTIVE:ESCALATED`` (mode ``ACB``); a denial, a timeout, a revocation,
the agent releasing or leaving take it back to ``ACTIVE:ACTIVE``. A grant outlives page loads
of the tab only if the server and the tab (``granted``) both still hold it.

It works on the session's own attributes: ``control``, the session's control record
(``cobrowse.core.control``), and ``granted``, the agent this tab granted control to, which the
adapter keeps across page loads; it reads ``state``, ``agents`` and ``reconnecting`` and moves
the session with its ``_set_state`` and ``_send``.
"""

from cobrowse.core import control
from cobrowse.core.states import States, in_session


class ControlConsent:
    """The visitor's consent to remote control, one agent at a time."""

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

    # -- from the session's messages -------------------------------------------------------

    def _control_requested(self, agent_id, name):
        if self.state != States.ACTIVE_ACTIVE or agent_id not in [known for known, _ in self.agents]:
            # Not now (someone asks or controls already, or the agent is unknown): refused.
            if in_session(self.state) and not (self.control and self.control["agent"] == agent_id):
                self._send("control_end", id=agent_id, reason="busy")
            return
        self.control = control.ask(None, agent_id, name)
        self._set_state(States.ACTIVE_ESCALATING)

    def _control_gone(self, agent_id):
        """The server ended ``agent_id``'s request or control (the agent released it or left)."""
        if self.control and self.control["agent"] == agent_id:
            self._end_control(None)

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
        tab gave it (a new page is not controlled on the server's word alone). Return the state
        it puts the session in, or None."""
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
