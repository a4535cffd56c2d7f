"""Unit tests for cobrowse.core.resume: a session that outlives lost connections and page loads."""

import pytest

from cobrowse.core.session import VisitorSession
from cobrowse.core.states import States
from support.sessions import (
    SITE, CODE, AGENT, OTHER, THIRD, TOKEN, NEW_TOKEN, URL, server, resumed, take_events, take_sent, changed, ready,
    starting, waiting, active, disconnecting, errored, BUILDERS, ALL_BUILT, reconnecting, resuming, resume_message,
    snapshot,
)


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
