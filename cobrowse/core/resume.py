"""Surviving the network and page loads: how the visitor's session is resumed (sans-I/O).

Public names:

- ``Resumption``: the calls of a session's connection on ``session.VisitorSession``, which it is
  mixed into: ``connected``, ``connection_lost``, ``give_up``, ``boot_failed`` and ``ping``.

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

It works on the session's own attributes: ``token`` (the server's resume token, kept by the
tab), ``reconnecting`` (the connection dropped; the session waits to be resumed) and
``resuming`` (booted with a token: waiting for the server to restore it), beside the session's
state, agents and queues.
"""

import json

from cobrowse.core.states import Reasons, States, in_session


def _kind(text):
    """The type of one of our own queued messages."""
    return json.loads(text)["type"]


class Resumption:
    """A session that outlives its connections and its pages."""

    def connected(self):
        """A connection opened: a session waiting to be resumed asks for it first."""
        if self.reconnecting or self.resuming:
            outbox, self.outbox = self.outbox, []
            self._send("resume", token=self.token, url=self.url, networkTimeout=self.network_timeout)
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

    # -- the server's answers to ``resume`` ------------------------------------------------

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
            self._agent_gone(agent)
        for agent in [agent for agent in agents if agent[0] not in known]:
            self._agent_joined(agent)
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
