"""Unit tests for cobrowse.core.session: the visitor's session state machine, event by event."""

import pytest

from cobrowse.core import protocol
from cobrowse.core.protocol import ProtocolError
from cobrowse.core.session import (
    NETWORK_TIMEOUT_SECONDS, RECONNECT_CAP_SECONDS, RECONNECT_FIRST_SECONDS, VisitorSession, reconnect_delay,
)
from cobrowse.core.states import States
from support.sessions import (
    SITE, CODE, AGENT, OTHER, TOKEN, NEW_TOKEN, server, resumed, take_events, take_sent, changed, ready, starting,
    waiting, active, disconnecting, errored, BUILDERS, reconnecting, resuming, snapshot,
)


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


def test_a_refused_start_past_the_start_limit_answers_the_next_starts_until_the_wait_is_over():
    session = starting()
    session.receive(server("error", code="rate_limited", retryAfter=42,
                           message="Too many co-browse sessions were started from your address: please try again in 42 s"),
                    now=1000.0)
    assert session.state == "ERROR"
    take_events(session)
    ok, description = session.start(now=1010.5)
    assert not ok
    assert description == "Too many co-browse sessions were started from this address: please try again in 32 s"
    assert session.events == [] and session.outbox == [] and session.state == "ERROR"
    # Once the wait is over, a start asks the server again.
    assert session.start(now=1042.0) == (True, "")
    assert take_sent(session)[0]["type"] == "start"


def test_a_start_refused_for_another_cause_holds_nothing_off():
    session = starting()
    session.receive(server("error", code="unavailable", message="try again shortly", retryAfter=5), now=1000.0)
    assert session.start(now=1001.0) == (True, "")


def test_the_servers_warning_of_the_session_limit_is_kept_until_the_session_ends():
    session = active()
    session.receive(server("session_warning", message="This co-browse session ends in 60 s", endsIn=60))
    assert session.warning == "This co-browse session ends in 60 s"
    assert session.events == [] and session.outbox == []
    session.receive(server("ended", reason="SESSION_LIMIT"))
    assert (session.state, session.warning, session.ended_reason) == ("READY", None, "SESSION_LIMIT")
    # A warning outside a session means nothing.
    session.receive(server("session_warning", message="late", endsIn=1))
    assert session.warning is None


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
