"""Unit tests for cobrowse.core.session: the visitor's session state machine, event by event."""

import copy

import pytest

from cobrowse.core import protocol
from cobrowse.core.events import PROPERTIES
from cobrowse.core.protocol import ProtocolError
from cobrowse.core.session import (
    NETWORK_TIMEOUT_SECONDS, RECONNECT_CAP_SECONDS, RECONNECT_FIRST_SECONDS, Reasons, States, VisitorSession, in_session,
    reconnect_delay,
)

SITE = "ACME-1"
CODE = "004213"
AGENT = ("a" * 32, "Alice <b>Agent</b>")
OTHER = ("b" * 32, "Bob")
THIRD = ("c" * 32, "Carol")
TOKEN = "t" * 32
NEW_TOKEN = "n" * 32
URL = "https://shop.example/"


def server(kind, **fields):
    """A message from the server, as the widget receives it (``started`` with a token)."""
    if kind == "started":
        fields.setdefault("token", TOKEN)
    return protocol.encode(kind, **fields)


def resumed(agents=(), token=NEW_TOKEN, code=CODE, sid=None):
    """The server's answer to ``resume``: the session as it is now."""
    return server("resumed", accessCode=code, SID=sid, token=token, agents=[{"id": i, "name": n} for i, n in agents])


def take_events(session):
    """The events queued since the last call, as (name, payload) pairs; the queue is emptied."""
    events, session.events = session.events, []
    for name, data in events:
        # Every payload carries exactly the seed's properties, in order.
        assert list(data) == list(PROPERTIES[name]), name
    return events


def take_sent(session):
    """The messages queued for the server since the last call, decoded; the queue is emptied."""
    outbox, session.outbox = session.outbox, []
    return [protocol.decode(text, protocol.VISITOR_TO_SERVER) for text in outbox]


def changed(previous, state, code=None, sid=None, site=SITE):
    return ("StateChanged", {"state": state, "previousState": previous, "accessCode": code, "SID": sid, "siteCode": site})


def ready(site=SITE):
    session = VisitorSession(site)
    session.boot()
    take_events(session)
    return session


def starting(sid=None):
    session = ready()
    assert session.start(sid=sid, url="https://shop.example/") == (True, "")
    take_events(session)
    take_sent(session)
    return session


def waiting(sid=None):
    session = starting(sid)
    session.receive(server("started", accessCode=CODE, SID=sid))
    take_events(session)
    return session


def active(sid=None, agents=(AGENT,)):
    session = waiting(sid)
    for agent_id, name in agents:
        session.receive(server("agent_joined", id=agent_id, name=name))
    take_events(session)
    return session


def disconnecting(reason=None):
    session = active()
    assert session.stop(reason) == (True, "")
    take_events(session)
    take_sent(session)
    return session


def errored():
    session = starting()
    session.connection_lost()
    take_events(session)
    return session


BUILDERS = {
    States.INIT: lambda: VisitorSession(SITE),
    States.READY: ready,
    States.STARTING: starting,
    States.ACTIVE_WAIT: waiting,
    States.ACTIVE_ACTIVE: active,
    States.DISCONNECTING: disconnecting,
    States.ERROR: errored,
}
# Every state a builder reaches, in the lifecycle's order.
ALL_BUILT = [state for state in States.ALL if state in BUILDERS]


def reconnecting(sid=None, agents=(AGENT,)):
    """An active session whose connection dropped; the adapter is reconnecting."""
    session = active(sid, agents)
    assert session.connection_lost() is True
    assert session.events == [] and session.outbox == []
    return session


def resuming(token=TOKEN, url=URL, network_timeout=NETWORK_TIMEOUT_SECONDS):
    """A new page of the tab, booted with the token the previous page kept."""
    session = VisitorSession(SITE, network_timeout)
    session.boot(token=token, url=url)
    take_sent(session)
    return session


def resume_message(token=TOKEN, url=URL, network_timeout=NETWORK_TIMEOUT_SECONDS):
    return {"type": "resume", "token": token, "url": url, "networkTimeout": network_timeout}


def snapshot(session):
    return copy.deepcopy(vars(session))


# -- the states -------------------------------------------------------------------------------


def test_states_and_reasons_are_the_documented_values():
    assert States.ALL == ("INIT", "READY", "STARTING", "ACTIVE:WAIT", "ACTIVE:ACTIVE", "ACTIVE:ESCALATING",
                          "ACTIVE:ESCALATED", "DISCONNECTING", "ERROR")
    assert (Reasons.USER_INITIATED, Reasons.USER_TIMEOUT, Reasons.NETWORK_TIMEOUT, Reasons.AGENT_INITIATED,
            Reasons.NAVIGATED_AWAY) == ("USER_INITIATED", "USER_TIMEOUT", "NETWORK_TIMEOUT", "AGENT_INITIATED", "NAVIGATED_AWAY")


@pytest.mark.parametrize("state,expected", [
    ("INIT", False), ("READY", False), ("STARTING", True), ("ACTIVE:WAIT", True), ("ACTIVE:ACTIVE", True),
    ("ACTIVE:ESCALATING", True), ("ACTIVE:ESCALATED", True), ("DISCONNECTING", False), ("ERROR", False),
])
def test_in_session(state, expected):
    assert in_session(state) is expected


@pytest.mark.parametrize("state", sorted(BUILDERS))
def test_the_builders_reach_their_state(state):
    # The helpers below rely on these paths; check them once so a failure points here.
    session = BUILDERS[state]()
    assert session.state == state
    assert session.events == [] and session.outbox == []


def test_a_new_session_is_init_and_quiet():
    session = VisitorSession("S")
    assert (session.state, session.site_code, session.access_code, session.sid, session.agents) == ("INIT", "S", None, None, [])
    assert (session.token, session.reconnecting, session.resuming, session.url) == (None, False, False, None)
    assert session.network_timeout == NETWORK_TIMEOUT_SECONDS == 30
    assert VisitorSession("S", 45).network_timeout == 45
    assert session.events == [] and session.outbox == []
    assert VisitorSession().site_code == "default"
    assert session.mode == "ICB"


def test_boot_makes_init_ready_once():
    session = VisitorSession(SITE)
    session.boot()
    assert session.state == "READY"
    assert take_events(session) == [changed("INIT", "READY")]
    session.boot()
    assert session.events == [] and session.outbox == []


# -- a whole session --------------------------------------------------------------------------


def test_full_standalone_session_event_by_event():
    session = VisitorSession(SITE)
    session.boot()
    assert session.start(url="https://shop.example/cart") == (True, "")
    assert take_sent(session) == [{"type": "start", "siteCode": SITE, "url": "https://shop.example/cart", "networkTimeout": 30}]
    session.receive(server("started", accessCode=CODE))
    assert session.token == TOKEN
    session.receive(server("agent_joined", id=AGENT[0], name=AGENT[1]))
    session.receive(server("agent_left", id=AGENT[0], name=AGENT[1]))
    session.receive(server("ended", reason="AGENT_INITIATED"))
    ids = {"accessCode": CODE, "SID": None, "siteCode": SITE}
    assert take_events(session) == [
        changed("INIT", "READY"),
        ("SessionStarting", {"SID": None, "siteCode": SITE}),
        changed("READY", "STARTING"),
        changed("STARTING", "ACTIVE:WAIT", CODE),
        ("SessionStarted", {"accessCode": CODE, "SID": None, "mode": "ICB", "siteCode": SITE}),
        changed("ACTIVE:WAIT", "ACTIVE:ACTIVE", CODE),
        ("AgentConnected", {"name": AGENT[1], "id": AGENT[0], **ids}),
        changed("ACTIVE:ACTIVE", "ACTIVE:WAIT", CODE),
        ("AgentDisconnected", {"name": AGENT[1], "id": AGENT[0], **ids}),
        changed("ACTIVE:WAIT", "READY", CODE),
        ("SessionEnded", {"reason": "AGENT_INITIATED", **ids, "agentCount": 0}),
    ]
    assert take_sent(session) == []
    assert (session.state, session.access_code, session.sid, session.agents) == ("READY", None, None, [])
    assert session.ended_reason == "AGENT_INITIATED"
    # The session is over: there is nothing left to resume.
    assert (session.token, session.reconnecting) == (None, False)


def test_integrated_session_carries_the_sid_everywhere():
    session = ready()
    assert session.start(sid="chat-42") == (True, "")
    assert take_sent(session) == [{"type": "start", "siteCode": SITE, "SID": "chat-42", "networkTimeout": 30}]
    session.receive(server("started", accessCode=CODE, SID="chat-42"))
    session.receive(server("agent_joined", id=AGENT[0], name=AGENT[1]))
    session.link_activated("https://elsewhere.example/")
    session.receive(server("ended", reason="AGENT_INITIATED"))
    events = take_events(session)
    assert events[0] == ("SessionStarting", {"SID": "chat-42", "siteCode": SITE})
    assert events[1] == changed("READY", "STARTING", sid="chat-42")
    for name, data in events[2:]:
        assert data["SID"] == "chat-42", name
        assert data["accessCode"] == CODE, name
    assert [name for name, _ in events] == [
        "SessionStarting", "StateChanged", "StateChanged", "SessionStarted", "StateChanged", "AgentConnected",
        "NavigatingAway", "StateChanged", "SessionEnded",
    ]
    assert events[-1][1]["agentCount"] == 1
    assert session.sid is None


def test_the_server_sid_does_not_replace_the_visitors():
    session = starting(sid="chat-42")
    session.receive(server("started", accessCode=CODE, SID="something-else"))
    assert session.sid == "chat-42"
    assert take_events(session)[-1][1]["SID"] == "chat-42"


# -- start ------------------------------------------------------------------------------------


def test_start_before_boot_is_refused():
    session = VisitorSession(SITE)
    assert session.start() == (False, "Co-browse is not ready yet: wait for Cobrowse.ready()")
    assert session.state == "INIT" and session.events == [] and session.outbox == []


@pytest.mark.parametrize("state", [States.STARTING, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE, States.DISCONNECTING])
def test_start_during_a_session_is_refused(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    ok, description = session.start()
    assert ok is False
    assert description == "A co-browse session is already in progress (state %s)" % state
    assert snapshot(session) == before


@pytest.mark.parametrize("sid", ["", 42, ["chat"], "x" * 65])
def test_start_with_a_bad_sid_is_refused(sid):
    session = ready()
    assert session.start(sid=sid) == (False, "SID must be a non-empty string of at most 64 characters")
    assert session.state == "READY" and session.events == [] and session.outbox == []


@pytest.mark.parametrize("site_code", ["x" * 65, 42])
def test_start_with_a_bad_site_code_is_refused_before_anything_happens(site_code):
    # The protocol would refuse it; failing after SessionStarting would leave STARTING for good.
    session = ready(site_code)
    assert session.start() == (False, "siteCode must be a string of at most 64 characters")
    assert session.state == "READY" and session.events == [] and session.outbox == []


def test_a_site_code_of_64_characters_is_accepted():
    session = ready("x" * 64)
    assert session.start() == (True, "")
    assert take_sent(session) == [{"type": "start", "siteCode": "x" * 64, "networkTimeout": 30}]


def test_a_sid_of_64_characters_is_accepted():
    session = ready()
    assert session.start(sid="x" * 64) == (True, "")
    assert take_sent(session)[0]["SID"] == "x" * 64


def test_start_again_after_an_error_clears_the_last_session():
    session = errored()
    assert session.error
    assert session.start() == (True, "")
    assert (session.state, session.error, session.ended_reason) == ("STARTING", None, None)
    assert take_events(session) == [("SessionStarting", {"SID": None, "siteCode": SITE}), changed("ERROR", "STARTING")]


def test_start_again_after_a_session_clears_its_ending():
    session = active()
    session.receive(server("ended", reason="AGENT_INITIATED"))
    assert session.ended_reason == "AGENT_INITIATED"
    assert session.start() == (True, "")
    assert session.ended_reason is None and session.agents == []


# -- stop -------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [States.STARTING, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE])
def test_stop_disconnects_and_the_servers_ended_finishes(state):
    session = BUILDERS[state]()
    code = session.access_code
    count = len(session.agents)
    assert session.stop() == (True, "")
    assert session.state == "DISCONNECTING"
    # Nothing has ended yet: the server confirms.
    assert take_events(session) == [changed(state, "DISCONNECTING", code)]
    assert take_sent(session) == [{"type": "stop", "reason": "USER_INITIATED"}]
    session.receive(server("ended", reason="USER_INITIATED"))
    assert take_events(session) == [
        changed("DISCONNECTING", "READY", code),
        ("SessionEnded", {"reason": "USER_INITIATED", "accessCode": code, "SID": None, "siteCode": SITE, "agentCount": count}),
    ]
    assert session.ended_reason == "USER_INITIATED"


@pytest.mark.parametrize("reason", ["CUSTOMER_LEFT_CHAT", "x" * 200, "spaces and üñíçødé"])
def test_stop_reason_passes_through_to_the_server_and_the_event(reason):
    session = disconnecting(reason)
    assert session.ending_reason == reason
    session.receive(server("ended", reason=reason))
    assert take_events(session)[-1][1]["reason"] == reason


def test_stop_reason_passes_through_when_the_connection_closes_first():
    session = active()
    session.stop("CHAT_CLOSED")
    assert take_sent(session) == [{"type": "stop", "reason": "CHAT_CLOSED"}]
    take_events(session)
    session.connection_lost()
    assert take_events(session) == [
        changed("DISCONNECTING", "READY", CODE),
        ("SessionEnded", {"reason": "CHAT_CLOSED", "accessCode": CODE, "SID": None, "siteCode": SITE, "agentCount": 1}),
    ]


def test_an_empty_reason_means_user_initiated():
    session = active()
    assert session.stop("") == (True, "")
    assert take_sent(session) == [{"type": "stop", "reason": "USER_INITIATED"}]


@pytest.mark.parametrize("state", [States.INIT, States.READY, States.DISCONNECTING, States.ERROR])
def test_stop_without_a_session_is_refused(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    assert session.stop() == (False, "There is no co-browse session to stop (state %s)" % state)
    assert snapshot(session) == before


@pytest.mark.parametrize("reason", [42, ["R"], "x" * 201])
def test_stop_with_a_bad_reason_is_refused(reason):
    session = active()
    before = snapshot(session)
    assert session.stop(reason) == (False, "reason must be a string of at most 200 characters")
    assert snapshot(session) == before


# -- messages from the server -----------------------------------------------------------------


def test_started_moves_to_wait_then_fires_session_started():
    session = starting()
    returned = session.receive(server("started", accessCode=CODE))
    assert returned == {"type": "started", "accessCode": CODE, "token": TOKEN}
    assert (session.access_code, session.token) == (CODE, TOKEN)
    assert take_events(session) == [
        changed("STARTING", "ACTIVE:WAIT", CODE),
        ("SessionStarted", {"accessCode": CODE, "SID": None, "mode": "ICB", "siteCode": SITE}),
    ]


@pytest.mark.parametrize("state", [States.READY, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE, States.DISCONNECTING, States.ERROR])
def test_started_outside_starting_is_ignored_and_still_returned(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    # The browser adapter reads the returned message's type, so it is returned even when ignored.
    started = server("started", accessCode="999999", token=NEW_TOKEN)
    assert session.receive(started) == {"type": "started", "accessCode": "999999", "token": NEW_TOKEN}
    assert snapshot(session) == before


def test_agents_join_and_leave_in_order():
    session = waiting()
    ids = {"accessCode": CODE, "SID": None, "siteCode": SITE}
    session.receive(server("agent_joined", id=AGENT[0], name=AGENT[1]))
    session.receive(server("agent_joined", id=OTHER[0], name=OTHER[1]))
    assert session.agents == [AGENT, OTHER]
    # Only the first agent changes the state.
    assert take_events(session) == [
        changed("ACTIVE:WAIT", "ACTIVE:ACTIVE", CODE),
        ("AgentConnected", {"name": AGENT[1], "id": AGENT[0], **ids}),
        ("AgentConnected", {"name": OTHER[1], "id": OTHER[0], **ids}),
    ]
    session.receive(server("agent_left", id=AGENT[0], name=AGENT[1]))
    assert session.state == "ACTIVE:ACTIVE" and session.agents == [OTHER]
    assert take_events(session) == [("AgentDisconnected", {"name": AGENT[1], "id": AGENT[0], **ids})]
    session.receive(server("agent_left", id=OTHER[0], name=OTHER[1]))
    assert session.state == "ACTIVE:WAIT" and session.agents == []
    assert take_events(session) == [
        changed("ACTIVE:ACTIVE", "ACTIVE:WAIT", CODE),
        ("AgentDisconnected", {"name": OTHER[1], "id": OTHER[0], **ids}),
    ]


def test_agent_left_reports_the_name_the_agent_joined_with():
    session = active()
    session.receive(server("agent_left", id=AGENT[0], name="a different name"))
    assert take_events(session)[-1] == (
        "AgentDisconnected", {"name": AGENT[1], "id": AGENT[0], "accessCode": CODE, "SID": None, "siteCode": SITE})


def test_an_agent_joining_twice_is_counted_once():
    session = active()
    before = snapshot(session)
    assert session.receive(server("agent_joined", id=AGENT[0], name=AGENT[1])) == {"type": "agent_joined", "id": AGENT[0], "name": AGENT[1]}
    assert snapshot(session) == before


def test_an_unknown_agent_leaving_is_ignored():
    session = active()
    before = snapshot(session)
    assert session.receive(server("agent_left", id=OTHER[0], name=OTHER[1]))["type"] == "agent_left"
    assert snapshot(session) == before


@pytest.mark.parametrize("state", [States.READY, States.DISCONNECTING, States.ERROR])
def test_agent_joined_outside_a_session_is_ignored(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    assert session.receive(server("agent_joined", id=OTHER[0], name=OTHER[1]))["type"] == "agent_joined"
    assert snapshot(session) == before


# -- the live view ----------------------------------------------------------------------------


def test_the_page_is_watched_while_a_connected_session_has_an_agent():
    assert active().watched()
    assert not waiting().watched()
    assert not starting().watched()
    assert not disconnecting().watched()
    assert not reconnecting().watched()
    assert not resuming().watched()


def test_the_servers_request_for_a_snapshot_is_kept_for_the_adapter_and_fires_nothing():
    session = active()
    assert session.snapshot_wanted is False
    assert session.receive(server("snapshot")) == {"type": "snapshot"}
    assert session.snapshot_wanted is True
    assert take_events(session) == [] and take_sent(session) == []


@pytest.mark.parametrize("build", [ready, starting, waiting, disconnecting, reconnecting],
                         ids=["ready", "starting", "waiting", "disconnecting", "reconnecting"])
def test_a_snapshot_is_not_wanted_while_nobody_watches(build):
    session = build()
    before = snapshot(session)
    session.receive(server("snapshot"))
    assert snapshot(session) == before


def test_an_agent_leaving_while_disconnecting_is_reported_and_counted():
    session = disconnecting()
    session.receive(server("agent_left", id=AGENT[0], name=AGENT[1]))
    assert session.state == "DISCONNECTING"
    assert [name for name, _ in take_events(session)] == ["AgentDisconnected"]
    session.receive(server("ended", reason="USER_INITIATED"))
    assert take_events(session)[-1][1]["agentCount"] == 0


@pytest.mark.parametrize("state", [States.STARTING, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE, States.DISCONNECTING])
def test_ended_by_the_agent_ends_any_session(state):
    session = BUILDERS[state]()
    code, count = session.access_code, len(session.agents)
    session.receive(server("ended", reason="AGENT_INITIATED"))
    assert (session.state, session.ended_reason, session.access_code) == ("READY", "AGENT_INITIATED", None)
    # The last StateChanged still names the session that ended.
    assert take_events(session) == [
        changed(state, "READY", code),
        ("SessionEnded", {"reason": "AGENT_INITIATED", "accessCode": code, "SID": None, "siteCode": SITE, "agentCount": count}),
    ]


@pytest.mark.parametrize("state", [States.INIT, States.READY, States.ERROR])
def test_ended_without_a_session_is_ignored(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    assert session.receive(server("ended", reason="AGENT_INITIATED")) == {"type": "ended", "reason": "AGENT_INITIATED"}
    assert snapshot(session) == before


def test_ended_after_a_lost_connection_does_not_end_it_twice():
    session = reconnecting()
    session.give_up()
    assert [name for name, _ in take_events(session)] == ["StateChanged", "SessionEnded"]
    session.receive(server("ended", reason="VISITOR_DISCONNECTED"))
    assert session.events == [] and session.state == "ERROR"


def test_an_error_while_starting_fails_the_start():
    session = starting()
    returned = session.receive(server("error", code="bad_field", message="start message needs the field 'siteCode'"))
    assert returned == {"type": "error", "code": "bad_field", "message": "start message needs the field 'siteCode'"}
    assert session.state == "ERROR"
    assert session.error == "start message needs the field 'siteCode'"
    # No session existed, so none ended.
    assert take_events(session) == [changed("STARTING", "ERROR")]


@pytest.mark.parametrize("code", ["out_of_order", "no_session", "in_use"])
@pytest.mark.parametrize("state", [States.INIT, States.READY, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE, States.DISCONNECTING, States.ERROR])
def test_an_error_outside_starting_changes_nothing(state, code):
    # no_session and in_use answer a resume; with no resume pending they mean nothing here.
    session = BUILDERS[state]()
    before = snapshot(session)
    assert session.receive(server("error", code=code, message="no"))["type"] == "error"
    assert snapshot(session) == before


def test_an_error_while_starting_keeps_its_retry_after_out_of_the_state():
    session = starting()
    returned = session.receive(server("error", code="busy", message="Too many sessions, try again soon.", retryAfter=5))
    assert returned == {"type": "error", "code": "busy", "message": "Too many sessions, try again soon.", "retryAfter": 5}
    assert (session.state, session.error, session.token) == ("ERROR", "Too many sessions, try again soon.", None)
    assert take_events(session) == [changed("STARTING", "ERROR")]


MALFORMED = [
    "not json",
    "",
    "[]",
    '{"type": "ended", "reason": "AGENT_INITIATED"}',
    '{"v": 2, "type": "ended", "reason": "AGENT_INITIATED"}',
    '{"v": 1, "type": "ended"}',
    '{"v": 1, "type": "ended", "reason": 7}',
    '{"v": 1, "type": "ended", "reason": "AGENT_INITIATED", "extra": 1}',
    '{"v": 1, "type": "agent_left", "id": "' + AGENT[0] + '"}',
    '{"v": 1, "type": "started", "accessCode": "1234567", "token": "t"}',
    '{"v": 1, "type": "started", "accessCode": "004213"}',
    '{"v": 1, "type": "resumed", "accessCode": "004213", "token": "t"}',
    '{"v": 1, "type": "resumed", "accessCode": "004213", "token": "t", "agents": {}}',
    '{"v": 1, "type": "resumed", "accessCode": "004213", "token": 7, "agents": []}',
    '{"v": 1, "type": "pong", "x": 1}',
    '{"v": 1, "type": "ping"}',
    '{"v": 1, "type": "resume", "token": "t"}',
    '{"v": 1, "type": "error", "code": "busy", "message": "m", "retryAfter": "5"}',
    '{"v": 1, "type": "stop", "reason": "USER_INITIATED"}',
    '{"v": 1, "type": "joined", "id": "a", "name": "b", "session": {}}',
    '{"v": 1, "type": "session", "session": {}}',
    b'{"v": 1, "type": "ended", "reason": "AGENT_INITIATED"}',
    '{"v": 1, "type": "ended", "reason": "' + "x" * 70000 + '"}',
]


MALFORMED_IN = dict(BUILDERS, reconnecting=reconnecting, resuming=resuming)


@pytest.mark.parametrize("state", [States.STARTING, States.ACTIVE_ACTIVE, States.DISCONNECTING, "reconnecting", "resuming"])
@pytest.mark.parametrize("text", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_server_message_raises_and_changes_nothing(state, text):
    session = MALFORMED_IN[state]()
    session.events.append(("marker", {}))
    before = snapshot(session)
    with pytest.raises(ProtocolError) as caught:
        session.receive(text)
    assert caught.value.code in ("bad_json", "bad_message", "bad_version", "bad_type", "bad_field", "too_large")
    assert snapshot(session) == before


# -- links and pages --------------------------------------------------------------------------


@pytest.mark.parametrize("state", [States.STARTING, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE])
def test_link_activated_in_a_session_fires_navigating_away_only(state):
    session = BUILDERS[state]()
    session.link_activated("https://elsewhere.example/x?y#z")
    ids = {"accessCode": session.access_code, "SID": None, "siteCode": SITE}
    assert take_events(session) == [("NavigatingAway", {"url": "https://elsewhere.example/x?y#z", **ids})]
    assert session.state == state and session.outbox == []


@pytest.mark.parametrize("state", [States.INIT, States.READY, States.DISCONNECTING, States.ERROR])
def test_link_activated_outside_a_session_does_nothing(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    session.link_activated("https://elsewhere.example/")
    assert snapshot(session) == before


@pytest.mark.parametrize("state", [States.STARTING, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE])
def test_leave_site_ends_the_session_as_navigated_away(state):
    session = BUILDERS[state]()
    code, count = session.access_code, len(session.agents)
    assert session.leave_site("https://elsewhere.example/") is True
    assert take_sent(session) == [{"type": "navigated_away", "url": "https://elsewhere.example/"}]
    assert take_events(session) == [changed(state, "DISCONNECTING", code)]
    session.receive(server("ended", reason="NAVIGATED_AWAY", url="https://elsewhere.example/"))
    assert take_events(session) == [
        changed("DISCONNECTING", "READY", code),
        ("SessionEnded", {"reason": "NAVIGATED_AWAY", "accessCode": code, "SID": None, "siteCode": SITE, "agentCount": count}),
    ]


def test_leave_site_ends_as_navigated_away_when_the_connection_closes_first():
    session = active()
    session.leave_site("https://elsewhere.example/")
    take_events(session)
    session.connection_lost()
    assert take_events(session)[-1] == (
        "SessionEnded", {"reason": "NAVIGATED_AWAY", "accessCode": CODE, "SID": None, "siteCode": SITE, "agentCount": 1})
    assert session.state == "READY"


@pytest.mark.parametrize("state", [States.INIT, States.READY, States.DISCONNECTING, States.ERROR])
def test_leave_site_outside_a_session_does_nothing(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    assert session.leave_site("https://elsewhere.example/") is False
    assert snapshot(session) == before


def test_page_tells_the_server_and_fires_nothing():
    session = active()
    session.page("https://shop.example/p/1", "Product 1")
    session.page("https://shop.example/p/2")
    assert take_sent(session) == [
        {"type": "page", "url": "https://shop.example/p/1", "title": "Product 1"},
        {"type": "page", "url": "https://shop.example/p/2"},
    ]
    assert session.events == []


@pytest.mark.parametrize("state", [States.INIT, States.READY, States.DISCONNECTING, States.ERROR])
def test_page_outside_a_session_sends_nothing(state):
    session = BUILDERS[state]()
    session.page("https://shop.example/")
    assert session.outbox == []


# -- a lost connection ------------------------------------------------------------------------


def test_connection_lost_while_starting_is_an_error_without_session_ended():
    session = starting()
    session.connection_lost()
    assert session.state == "ERROR"
    assert session.error == "Could not reach the co-browse service. Please try again."
    assert take_events(session) == [changed("STARTING", "ERROR")]


@pytest.mark.parametrize("state", [States.ACTIVE_WAIT, States.ACTIVE_ACTIVE])
def test_connection_lost_in_a_session_does_not_end_it(state):
    session = BUILDERS[state]()
    agents = list(session.agents)
    # True: the adapter should reconnect. Nothing fires and getState() does not change.
    assert session.connection_lost() is True
    assert (session.state, session.access_code, session.agents, session.token) == (state, CODE, agents, TOKEN)
    assert (session.reconnecting, session.resuming, session.ended_reason) == (True, False, None)
    assert session.events == [] and session.outbox == []


@pytest.mark.parametrize("state", [States.ACTIVE_WAIT, States.ACTIVE_ACTIVE])
def test_give_up_ends_a_reconnecting_session_as_network_timeout(state):
    session = BUILDERS[state]()
    count = len(session.agents)
    assert session.connection_lost() is True
    session.give_up()
    assert (session.state, session.ended_reason, session.access_code, session.agents) == ("ERROR", "NETWORK_TIMEOUT", None, [])
    assert (session.token, session.reconnecting) == (None, False)
    assert take_events(session) == [
        changed(state, "ERROR", CODE),
        ("SessionEnded", {"reason": "NETWORK_TIMEOUT", "accessCode": CODE, "SID": None, "siteCode": SITE, "agentCount": count}),
    ]
    assert session.outbox == []


def test_connection_lost_while_disconnecting_ends_for_the_reason_asked():
    session = disconnecting()
    assert session.connection_lost() is False
    assert take_events(session) == [
        changed("DISCONNECTING", "READY", CODE),
        ("SessionEnded", {"reason": "USER_INITIATED", "accessCode": CODE, "SID": None, "siteCode": SITE, "agentCount": 1}),
    ]


def test_connection_lost_while_starting_or_disconnecting_does_not_reconnect():
    assert starting().connection_lost() is False
    assert disconnecting().connection_lost() is False


@pytest.mark.parametrize("state", [States.INIT, States.READY, States.ERROR])
def test_connection_lost_without_a_session_changes_nothing(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    assert session.connection_lost() is False
    assert snapshot(session) == before


# -- the outbox -------------------------------------------------------------------------------


def test_every_outbox_message_is_valid_protocol_text():
    session = ready()
    session.start(sid="chat-1", url="https://shop.example/")
    session.receive(server("started", accessCode=CODE))
    session.page("https://shop.example/", "Shop")
    session.ping()
    sent = take_sent(session)
    session.connection_lost()
    session.connected()
    session.stop("A reason")
    sent += take_sent(session)
    assert [message["type"] for message in sent] == ["start", "page", "ping", "resume", "stop"]
    session = VisitorSession(SITE)
    session.boot(token=TOKEN, url="https://shop.example/" + "p" * 3000)
    session.connected()
    session.receive(resumed())
    session.ping()
    assert [protocol.decode(text, protocol.VISITOR_TO_SERVER)["type"] for text in session.outbox] == ["resume", "ping"]
    assert len(protocol.decode(session.outbox[0], protocol.VISITOR_TO_SERVER)["url"]) == 2048


def test_a_link_longer_than_the_protocol_allows_still_leaves_the_site():
    # Tracking links can be very long; the session must still end rather than raise halfway.
    url = "https://elsewhere.example/?" + "q" * 3000
    session = active()
    session.link_activated(url)
    assert take_events(session)[0][1]["url"] == url
    assert session.leave_site(url) is True
    assert session.state == "DISCONNECTING"
    assert take_sent(session) == [{"type": "navigated_away", "url": url[:2048]}]


def test_long_page_urls_and_titles_are_cut_to_fit():
    session = ready()
    assert session.start(url="https://shop.example/" + "p" * 3000) == (True, "")
    assert len(take_sent(session)[0]["url"]) == 2048
    session.receive(server("started", accessCode=CODE))
    session.page("https://shop.example/" + "p" * 3000, "T" * 500)
    sent = take_sent(session)[0]
    assert (len(sent["url"]), sent["title"]) == (2048, "T" * 300)


# -- reconnect delays -------------------------------------------------------------------------


def test_reconnect_delay_doubles_from_a_quarter_second_up_to_five_seconds():
    assert (RECONNECT_FIRST_SECONDS, RECONNECT_CAP_SECONDS) == (0.25, 5.0)
    # The base doubles: 0.25, 0.5, 1, 2, 4, then 5 for good. The smallest jitter halves it and
    # a middle one takes three quarters.
    bases = [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert [reconnect_delay(attempt, 0.0) for attempt in range(8)] == [base / 2 for base in bases]
    assert [reconnect_delay(attempt, 0.5) for attempt in range(8)] == [base * 0.75 for base in bases]
    # The waits never shrink from one attempt to the next, and never pass the cap.
    for fraction in (0.0, 0.3, 0.999999):
        delays = [reconnect_delay(attempt, fraction) for attempt in range(40)]
        assert delays == sorted(delays)
        assert max(delays) <= 5.0
        assert delays[-1] == 5.0 * (0.5 + fraction / 2)


@pytest.mark.parametrize("attempt", [0, 1, 2, 3, 4, 5, 10, 11, 100, 10000])
def test_reconnect_delay_jitter_is_fifty_to_a_hundred_percent(attempt):
    base = min(5.0, 0.25 * 2 ** min(attempt, 10))
    delays = [reconnect_delay(attempt, fraction / 100) for fraction in range(100)]
    # fraction is in [0, 1): from exactly half the base up to just under the whole base.
    assert delays[0] == base / 2
    assert all(base / 2 <= delay < base for delay in delays)
    assert delays == sorted(delays) and len(set(delays)) == 100


# -- reconnecting after a blip ----------------------------------------------------------------


def test_connected_puts_resume_first_and_keeps_the_queued_messages_after_it():
    session = VisitorSession(SITE, network_timeout=45)
    session.boot()
    session.start(url="https://shop.example/start")
    session.receive(server("started", accessCode=CODE))
    take_sent(session)
    take_events(session)
    # Unsent when the connection drops: a page and a ping. The ping is stale; the page is not.
    session.page("https://shop.example/p/1", "One")
    session.ping()
    assert session.connection_lost() is True
    session.page("https://shop.example/p/2")
    session.connected()
    assert take_sent(session) == [
        # The resume names the page the visitor is on now, not the one the session began on.
        {"type": "resume", "token": TOKEN, "url": "https://shop.example/p/2", "networkTimeout": 45},
        {"type": "page", "url": "https://shop.example/p/1", "title": "One"},
        {"type": "page", "url": "https://shop.example/p/2"},
    ]
    assert session.events == []
    # The resume is not answered yet: the session is still reconnecting.
    assert (session.reconnecting, session.state) == (True, "ACTIVE:WAIT")


def test_each_reconnect_attempt_sends_exactly_one_resume():
    session = reconnecting()
    url = URL
    for _ in range(3):
        session.connected()
        assert take_sent(session) == [resume_message(url=url)]
        url = "https://shop.example/p"
        # The attempt fails before the answer: the resume it carried is dropped with it.
        session.page("https://shop.example/p")
        assert session.connection_lost() is True
        assert [message["type"] for message in take_sent(session)] == ["page"]
    assert session.events == []
    assert (session.state, session.reconnecting) == ("ACTIVE:ACTIVE", True)


def test_an_unsent_resume_is_dropped_when_the_attempt_fails():
    session = reconnecting()
    session.connected()
    assert session.connection_lost() is True
    session.connected()
    assert take_sent(session) == [resume_message(url=URL)]


@pytest.mark.parametrize("state", [state for state in ALL_BUILT if state != States.INIT])
def test_connected_with_nothing_to_resume_changes_nothing(state):
    session = BUILDERS[state]()
    session.page("https://shop.example/queued")
    before = snapshot(session)
    session.connected()
    assert snapshot(session) == before


@pytest.mark.parametrize("state,agents", [
    (States.ACTIVE_WAIT, ()), (States.ACTIVE_ACTIVE, (AGENT,)), (States.ACTIVE_ACTIVE, (AGENT, OTHER)),
])
def test_a_blip_with_the_same_agents_is_invisible(state, agents):
    session = active(sid="chat-42", agents=agents)
    assert session.state == state
    assert session.connection_lost() is True
    assert session.events == []
    assert (session.state, session.access_code, session.sid, session.agents) == (state, CODE, "chat-42", list(agents))
    assert (session.reconnecting, session.token) == (True, TOKEN)
    session.connected()
    assert take_sent(session) == [resume_message(url=URL)]
    returned = session.receive(resumed(agents, sid="chat-42"))
    assert returned["type"] == "resumed"
    # No event at all: listeners never learn that the connection dropped.
    assert session.events == [] and session.outbox == []
    assert (session.state, session.access_code, session.sid, session.agents) == (state, CODE, "chat-42", list(agents))
    # The server hands out a fresh token with every resume; the old one is spent.
    assert (session.reconnecting, session.resuming, session.token) == (False, False, NEW_TOKEN)


def test_a_blip_keeps_the_visitors_sid_and_code_whatever_resumed_says():
    session = reconnecting(sid="chat-42")
    session.connected()
    session.receive(resumed([AGENT], code="999999", sid="something-else"))
    assert (session.access_code, session.sid, session.events) == (CODE, "chat-42", [])


def test_a_session_goes_on_normally_after_a_blip():
    session = reconnecting()
    session.connected()
    session.receive(resumed([AGENT]))
    take_sent(session)
    session.ping()
    assert take_sent(session) == [{"type": "ping"}]
    session.receive(server("agent_left", id=AGENT[0], name=AGENT[1]))
    session.receive(server("ended", reason="AGENT_INITIATED"))
    ids = {"accessCode": CODE, "SID": None, "siteCode": SITE}
    assert take_events(session) == [
        changed("ACTIVE:ACTIVE", "ACTIVE:WAIT", CODE),
        ("AgentDisconnected", {"name": AGENT[1], "id": AGENT[0], **ids}),
        changed("ACTIVE:WAIT", "READY", CODE),
        ("SessionEnded", {"reason": "AGENT_INITIATED", **ids, "agentCount": 0}),
    ]
    assert (session.token, session.reconnecting) == (None, False)


def test_resumed_without_the_agent_who_left_meanwhile_reports_it_once():
    session = reconnecting(agents=(AGENT,))
    session.connected()
    session.receive(resumed([]))
    ids = {"accessCode": CODE, "SID": None, "siteCode": SITE}
    assert take_events(session) == [
        changed("ACTIVE:ACTIVE", "ACTIVE:WAIT", CODE),
        ("AgentDisconnected", {"name": AGENT[1], "id": AGENT[0], **ids}),
    ]
    assert (session.state, session.agents, session.reconnecting) == ("ACTIVE:WAIT", [], False)
    # A late agent_left for the same agent does not fire again.
    session.receive(server("agent_left", id=AGENT[0], name=AGENT[1]))
    assert session.events == []


def test_resumed_without_one_of_two_agents_keeps_the_state():
    session = reconnecting(agents=(AGENT, OTHER))
    session.connected()
    session.receive(resumed([OTHER]))
    assert take_events(session) == [
        ("AgentDisconnected", {"name": AGENT[1], "id": AGENT[0], "accessCode": CODE, "SID": None, "siteCode": SITE}),
    ]
    assert (session.state, session.agents) == ("ACTIVE:ACTIVE", [OTHER])


@pytest.mark.parametrize("agents", [(), (AGENT,)])
def test_resumed_with_an_agent_who_joined_meanwhile_reports_it_once(agents):
    session = reconnecting(agents=agents)
    before = session.state
    session.connected()
    session.receive(resumed(list(agents) + [OTHER]))
    ids = {"accessCode": CODE, "SID": None, "siteCode": SITE}
    expected = [("AgentConnected", {"name": OTHER[1], "id": OTHER[0], **ids})]
    if before == "ACTIVE:WAIT":
        expected.insert(0, changed("ACTIVE:WAIT", "ACTIVE:ACTIVE", CODE))
    assert take_events(session) == expected
    assert (session.state, session.agents) == ("ACTIVE:ACTIVE", list(agents) + [OTHER])
    # A late agent_joined for the same agent does not fire again.
    session.receive(server("agent_joined", id=OTHER[0], name=OTHER[1]))
    assert session.events == []


def test_resumed_with_agents_swapped_reports_the_departure_then_the_arrival():
    # The departures are reconciled first, so the state passes through ACTIVE:WAIT as it would
    # have had the two messages arrived live in that order.
    session = reconnecting(agents=(AGENT,))
    session.connected()
    session.receive(resumed([OTHER, THIRD]))
    ids = {"accessCode": CODE, "SID": None, "siteCode": SITE}
    assert take_events(session) == [
        changed("ACTIVE:ACTIVE", "ACTIVE:WAIT", CODE),
        ("AgentDisconnected", {"name": AGENT[1], "id": AGENT[0], **ids}),
        changed("ACTIVE:WAIT", "ACTIVE:ACTIVE", CODE),
        ("AgentConnected", {"name": OTHER[1], "id": OTHER[0], **ids}),
        ("AgentConnected", {"name": THIRD[1], "id": THIRD[0], **ids}),
    ]
    assert session.agents == [OTHER, THIRD]


def test_resumed_skips_agent_entries_that_are_not_id_and_name_strings():
    session = reconnecting(agents=(AGENT,))
    session.connected()
    agents = [{"id": AGENT[0], "name": AGENT[1]}, {"id": 7, "name": "Seven"}, {"id": "x"}, "Eve", None]
    session.receive(server("resumed", accessCode=CODE, token=NEW_TOKEN, agents=agents))
    assert (session.events, session.agents, session.reconnecting) == ([], [AGENT], False)


def test_in_use_after_a_blip_keeps_reconnecting():
    # The server has not noticed yet that the old connection died: the adapter tries again.
    session = reconnecting(sid="chat-42")
    before = snapshot(session)
    session.receive(server("error", code="in_use", message="This co-browse session is open in another tab"))
    assert snapshot(session) == before and session.reconnecting


@pytest.mark.parametrize("code", ["no_session"])
@pytest.mark.parametrize("agents", [(), (AGENT,), (AGENT, OTHER)])
def test_a_refused_resume_after_a_blip_ends_the_session_as_network_timeout(code, agents):
    session = reconnecting(sid="chat-42", agents=agents)
    before = session.state
    session.connected()
    take_sent(session)
    session.receive(server("error", code=code, message="That session is gone."))
    assert take_events(session) == [
        changed(before, "ERROR", CODE, "chat-42"),
        ("SessionEnded", {"reason": "NETWORK_TIMEOUT", "accessCode": CODE, "SID": "chat-42", "siteCode": SITE,
                          "agentCount": len(agents)}),
    ]
    assert (session.state, session.ended_reason, session.error) == ("ERROR", "NETWORK_TIMEOUT", None)
    assert (session.token, session.reconnecting, session.resuming) == (None, False, False)
    assert (session.access_code, session.sid, session.agents) == (None, None, [])
    assert session.outbox == []


def test_other_errors_while_reconnecting_change_nothing():
    session = reconnecting()
    session.connected()
    take_sent(session)
    before = snapshot(session)
    session.receive(server("error", code="busy", message="Try again soon.", retryAfter=3))
    assert snapshot(session) == before


@pytest.mark.parametrize("agents", [(), (AGENT,), (AGENT, OTHER)])
def test_give_up_while_reconnecting_ends_the_session_as_network_timeout(agents):
    session = reconnecting(sid="chat-42", agents=agents)
    before = session.state
    session.give_up()
    assert take_events(session) == [
        changed(before, "ERROR", CODE, "chat-42"),
        ("SessionEnded", {"reason": "NETWORK_TIMEOUT", "accessCode": CODE, "SID": "chat-42", "siteCode": SITE,
                          "agentCount": len(agents)}),
    ]
    assert (session.state, session.ended_reason, session.token, session.reconnecting) == ("ERROR", "NETWORK_TIMEOUT", None, False)
    # Once is enough: a second give_up, a late resumed or a lost connection change nothing.
    before = snapshot(session)
    session.give_up()
    session.receive(resumed(agents))
    assert session.connection_lost() is False
    assert snapshot(session) == before


def test_give_up_after_a_failed_attempt_ends_the_session_once():
    session = reconnecting()
    session.connected()
    assert session.connection_lost() is True
    session.give_up()
    assert [name for name, _ in take_events(session)] == ["StateChanged", "SessionEnded"]
    assert session.state == "ERROR"


def test_a_new_session_can_start_after_giving_up():
    session = reconnecting()
    session.give_up()
    take_events(session)
    assert session.start(url=URL) == (True, "")
    assert take_events(session) == [("SessionStarting", {"SID": None, "siteCode": SITE}), changed("ERROR", "STARTING")]
    session.receive(server("started", accessCode="777777", token=NEW_TOKEN))
    assert (session.state, session.token, session.reconnecting) == ("ACTIVE:WAIT", NEW_TOKEN, False)


@pytest.mark.parametrize("state", ALL_BUILT)
def test_give_up_without_a_reconnect_changes_nothing(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    session.give_up()
    assert snapshot(session) == before


def test_stop_while_reconnecting_then_connection_lost_ends_with_the_stop_reason():
    session = reconnecting()
    assert session.stop("CHAT_CLOSED") == (True, "")
    assert take_events(session) == [changed("ACTIVE:ACTIVE", "DISCONNECTING", CODE)]
    assert take_sent(session) == [{"type": "stop", "reason": "CHAT_CLOSED"}]
    # No socket to send the stop on: the adapter reports the connection lost, which ends it.
    assert session.connection_lost() is False
    assert take_events(session) == [
        changed("DISCONNECTING", "READY", CODE),
        ("SessionEnded", {"reason": "CHAT_CLOSED", "accessCode": CODE, "SID": None, "siteCode": SITE, "agentCount": 1}),
    ]
    assert (session.state, session.ended_reason, session.token, session.reconnecting) == ("READY", "CHAT_CLOSED", None, False)


def test_stop_while_reconnecting_is_sent_after_the_resume():
    session = reconnecting()
    session.stop()
    take_events(session)
    session.connected()
    assert take_sent(session) == [resume_message(url=URL), {"type": "stop", "reason": "USER_INITIATED"}]
    session.receive(resumed([AGENT]))
    assert session.events == [] and session.state == "DISCONNECTING"
    session.receive(server("ended", reason="USER_INITIATED"))
    assert take_events(session) == [
        changed("DISCONNECTING", "READY", CODE),
        ("SessionEnded", {"reason": "USER_INITIATED", "accessCode": CODE, "SID": None, "siteCode": SITE, "agentCount": 1}),
    ]


def test_leave_site_while_reconnecting_is_sent_after_the_resume():
    session = reconnecting()
    assert session.leave_site("https://elsewhere.example/") is True
    take_events(session)
    session.connected()
    assert take_sent(session) == [resume_message(url=URL), {"type": "navigated_away", "url": "https://elsewhere.example/"}]


# -- resuming on a new page -------------------------------------------------------------------


def test_boot_with_a_token_stays_init_quietly_and_resumes_once_connected():
    session = VisitorSession(SITE, network_timeout=45)
    session.boot(token=TOKEN, url="https://shop.example/p/2")
    assert (session.state, session.token, session.resuming, session.reconnecting) == ("INIT", TOKEN, True, False)
    assert session.events == [] and session.outbox == []
    session.connected()
    assert take_sent(session) == [resume_message(url="https://shop.example/p/2", network_timeout=45)]


def test_boot_without_a_url_resumes_without_one():
    session = VisitorSession(SITE)
    session.boot(TOKEN)
    session.connected()
    assert take_sent(session) == [{"type": "resume", "token": TOKEN, "networkTimeout": 30}]


@pytest.mark.parametrize("token", [None, ""])
def test_boot_without_a_token_is_ready_and_sends_nothing(token):
    session = VisitorSession(SITE)
    session.boot(token=token, url=URL)
    assert take_events(session) == [changed("INIT", "READY")]
    assert (session.token, session.resuming, session.outbox) == (None, False, [])


@pytest.mark.parametrize("agents,state", [((AGENT,), "ACTIVE:ACTIVE"), ((AGENT, OTHER), "ACTIVE:ACTIVE"), ((), "ACTIVE:WAIT")])
@pytest.mark.parametrize("sid", [None, "chat-42"])
def test_resumed_restores_the_session_with_one_state_change(agents, state, sid):
    session = resuming()
    session.receive(resumed(agents, sid=sid))
    # Straight from INIT to where the session is: no SessionStarting, SessionStarted or
    # AgentConnected, because the previous page already told its listeners.
    assert take_events(session) == [changed("INIT", state, CODE, sid)]
    assert (session.state, session.access_code, session.sid, session.agents) == (state, CODE, sid, list(agents))
    assert (session.token, session.resuming, session.reconnecting) == (NEW_TOKEN, False, False)
    assert (session.ended_reason, session.error) == (None, None)
    assert session.outbox == []


def test_a_restored_session_goes_on_normally():
    session = resuming()
    session.receive(resumed([AGENT], sid="chat-42"))
    take_events(session)
    # The agents restored are known: a late agent_joined for one of them fires nothing.
    session.receive(server("agent_joined", id=AGENT[0], name=AGENT[1]))
    assert session.events == []
    session.page("https://shop.example/p/3")
    session.ping()
    assert take_sent(session) == [{"type": "page", "url": "https://shop.example/p/3"}, {"type": "ping"}]
    assert session.stop() == (True, "")
    session.receive(server("ended", reason="USER_INITIATED"))
    ids = {"accessCode": CODE, "SID": "chat-42", "siteCode": SITE}
    assert take_events(session) == [
        changed("ACTIVE:ACTIVE", "DISCONNECTING", CODE, "chat-42"),
        changed("DISCONNECTING", "READY", CODE, "chat-42"),
        ("SessionEnded", {"reason": "USER_INITIATED", **ids, "agentCount": 1}),
    ]


@pytest.mark.parametrize("code", ["no_session", "in_use"])
def test_a_refused_resume_on_a_new_page_is_just_ready(code):
    session = resuming()
    session.receive(server("error", code=code, message="That session is gone."))
    # No session was running on this page, so none ends.
    assert take_events(session) == [changed("INIT", "READY")]
    assert (session.state, session.token, session.resuming, session.reconnecting) == ("READY", None, False, False)
    assert (session.ended_reason, session.error) == (None, None)
    assert session.start() == (True, "")


def test_any_refused_resume_on_a_new_page_is_just_ready():
    # Otherwise the page would wait in INIT, and Cobrowse.ready() would never resolve.
    session = resuming()
    session.receive(server("error", code="busy", message="Try again soon.", retryAfter=3))
    assert take_events(session) == [changed("INIT", "READY")]
    assert (session.state, session.token, session.resuming) == ("READY", None, False)


def test_give_up_while_resuming_is_just_ready():
    session = resuming()
    assert session.connection_lost() is True
    session.give_up()
    assert take_events(session) == [changed("INIT", "READY")]
    assert (session.state, session.token, session.resuming, session.reconnecting) == ("READY", None, False, False)
    assert session.outbox == []


def test_connection_lost_while_resuming_reconnects_and_resumes_again():
    session = VisitorSession(SITE)
    session.boot(token=TOKEN, url=URL)
    # The socket never opened: the queued resume goes with it and the adapter reconnects.
    assert session.connection_lost() is True
    assert (session.state, session.resuming, session.reconnecting, session.token) == ("INIT", True, True, TOKEN)
    assert session.events == [] and session.outbox == []
    session.connected()
    assert take_sent(session) == [resume_message(url=URL)]
    session.receive(resumed([AGENT]))
    assert take_events(session) == [changed("INIT", "ACTIVE:ACTIVE", CODE)]
    assert (session.resuming, session.reconnecting, session.token) == (False, False, NEW_TOKEN)


def test_a_refused_resume_after_a_lost_connection_on_a_new_page_is_just_ready():
    session = resuming()
    session.connection_lost()
    session.connected()
    session.receive(server("error", code="no_session", message="That session is gone."))
    assert take_events(session) == [changed("INIT", "READY")]
    assert (session.resuming, session.reconnecting, session.token) == (False, False, None)


@pytest.mark.parametrize("state", ALL_BUILT)
def test_resumed_when_nothing_is_resuming_is_ignored_and_still_returned(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    returned = session.receive(resumed([OTHER]))
    assert returned == {"type": "resumed", "accessCode": CODE, "token": NEW_TOKEN, "agents": [{"id": OTHER[0], "name": OTHER[1]}]}
    assert snapshot(session) == before


def test_a_second_resumed_after_a_blip_is_ignored():
    session = reconnecting()
    session.connected()
    session.receive(resumed([AGENT]))
    before = snapshot(session)
    session.receive(resumed([OTHER], token="x" * 32))
    assert snapshot(session) == before


# -- the heartbeat ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", [States.ACTIVE_WAIT, States.ACTIVE_ACTIVE])
def test_ping_is_queued_in_a_session_with_a_token(state):
    session = BUILDERS[state]()
    session.ping()
    assert take_sent(session) == [{"type": "ping"}]
    assert session.events == []


@pytest.mark.parametrize("state", [States.INIT, States.READY, States.STARTING, States.ERROR])
def test_ping_without_a_token_sends_nothing(state):
    session = BUILDERS[state]()
    assert session.token is None
    before = snapshot(session)
    session.ping()
    assert snapshot(session) == before


def test_ping_while_reconnecting_sends_nothing_until_resumed():
    session = reconnecting()
    session.ping()
    assert session.outbox == []
    session.connected()
    session.ping()
    assert take_sent(session) == [resume_message(url=URL)]
    session.receive(resumed([AGENT]))
    session.ping()
    assert take_sent(session) == [{"type": "ping"}]


def test_ping_after_the_session_ended_sends_nothing():
    session = active()
    session.receive(server("ended", reason="AGENT_INITIATED"))
    session.ping()
    assert session.outbox == []


@pytest.mark.parametrize("build", [ready, starting, waiting, active, disconnecting, errored, reconnecting, resuming],
                         ids=lambda build: build.__name__)
def test_pong_changes_nothing(build):
    session = build()
    before = snapshot(session)
    assert session.receive(server("pong")) == {"type": "pong"}
    assert snapshot(session) == before


# -- known bugs in the core (see the reasons) -------------------------------------------------


def test_the_first_connection_after_boot_with_a_token_sends_one_resume():
    session = VisitorSession(SITE)
    session.boot(token=TOKEN, url=URL)
    session.connected()
    assert take_sent(session) == [resume_message(url=URL)]


def test_give_up_leaves_nothing_queued_for_the_next_session():
    session = reconnecting()
    session.page("https://shop.example/p/2")
    session.give_up()
    take_events(session)
    assert session.start(url=URL) == (True, "")
    assert take_sent(session) == [{"type": "start", "siteCode": SITE, "url": URL, "networkTimeout": 30}]


def test_stop_while_reconnecting_leaves_no_stop_for_the_next_session():
    session = reconnecting()
    session.stop()
    session.connection_lost()
    take_events(session)
    assert session.start(url=URL) == (True, "")
    assert take_sent(session) == [{"type": "start", "siteCode": SITE, "url": URL, "networkTimeout": 30}]


def test_resumed_while_disconnecting_does_not_bring_the_session_back():
    session = reconnecting(agents=(AGENT,))
    session.stop()
    take_events(session)
    session.connected()
    session.receive(resumed([AGENT, OTHER]))
    assert session.events == []
    assert (session.state, session.agents, session.reconnecting) == ("DISCONNECTING", [AGENT], False)


def test_a_refused_resume_while_disconnecting_ends_the_session():
    session = reconnecting(agents=(AGENT,))
    session.stop("CHAT_CLOSED")
    take_events(session)
    session.connected()
    session.receive(server("error", code="no_session", message="That session is gone."))
    assert take_events(session) == [
        changed("DISCONNECTING", "READY", CODE),
        ("SessionEnded", {"reason": "CHAT_CLOSED", "accessCode": CODE, "SID": None, "siteCode": SITE, "agentCount": 1}),
    ]
    assert (session.state, session.token, session.reconnecting) == ("READY", None, False)


def test_the_resume_after_a_blip_carries_the_current_page():
    session = active()
    session.page("https://shop.example/p/2", "Two")
    take_sent(session)
    session.connection_lost()
    session.connected()
    assert take_sent(session)[0]["url"] == "https://shop.example/p/2"


@pytest.mark.parametrize("token", [NEW_TOKEN, None])
def test_boot_while_resuming_does_nothing(token):
    session = resuming()
    before = snapshot(session)
    session.boot(token=token, url="https://shop.example/other")
    assert snapshot(session) == before


def test_boot_failed_while_resuming_moves_to_error_and_keeps_the_token():
    session = resuming()
    session.connection_lost()
    session.boot_failed()
    assert take_events(session) == [changed("INIT", "ERROR")]
    assert (session.state, session.resuming, session.reconnecting, session.token) == ("ERROR", False, False, TOKEN)
    assert session.outbox == [] and session.error
    # No reconnect after it: the adapter is told the connection is not worth recovering.
    assert session.connection_lost() is False
    # The visitor may still try a new session.
    assert session.start(url=URL) == (True, "")


@pytest.mark.parametrize("state", [state for state in ALL_BUILT if state != States.INIT])
def test_boot_failed_after_boot_changes_nothing(state):
    session = BUILDERS[state]()
    before = snapshot(session)
    session.boot_failed()
    assert snapshot(session) == before
