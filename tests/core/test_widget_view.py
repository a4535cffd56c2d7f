"""Unit tests for cobrowse.core.widget_view: what the default widget shows in each state."""

import json

import pytest

from cobrowse.core import protocol
from cobrowse.core.session import Reasons, States, VisitorSession
from cobrowse.core.widget_view import ENDING, LEAVE_PROMPT, RECONNECTING, STARTING, announcement, ended_text, spelled, view

CODE = "004213"
TOKEN = "t" * 32


def session_in(state, agents=()):
    """A session driven through its real transitions to ``state``."""
    session = VisitorSession("ACME-1")
    if state == States.INIT:
        return session
    session.boot()
    if state == States.READY:
        return session
    session.start()
    if state == States.STARTING:
        return session
    session.receive(protocol.encode("started", accessCode=CODE, token=TOKEN))
    for agent_id, name in agents:
        session.receive(protocol.encode("agent_joined", id=agent_id, name=name))
    if state == States.DISCONNECTING:
        session.stop()
    return session


IDLE = {"mode": "idle", "code": None, "agents": [], "notice": None}


def test_init_and_ready_are_idle_without_a_notice():
    assert view(session_in(States.INIT)) == IDLE
    assert view(session_in(States.READY)) == IDLE


def test_starting():
    assert view(session_in(States.STARTING)) == {"mode": "starting", "code": None, "agents": [], "notice": None}


def test_active_waiting_shows_the_code():
    session = session_in(States.ACTIVE_WAIT)
    assert session.state == "ACTIVE:WAIT"
    assert view(session) == {"mode": "active", "code": CODE, "agents": [], "notice": None}


def test_active_shows_agent_names_as_plain_text_in_join_order():
    session = session_in(States.ACTIVE_ACTIVE, agents=[("a1", "Alice <b>Agent</b>"), ("b2", "Bob")])
    assert session.state == "ACTIVE:ACTIVE"
    assert view(session) == {"mode": "active", "code": CODE, "agents": ["Alice <b>Agent</b>", "Bob"], "notice": None}


@pytest.mark.parametrize("state", [States.ACTIVE_ESCALATING, States.ACTIVE_ESCALATED])
def test_every_active_substate_is_active(state):
    session = session_in(States.ACTIVE_WAIT)
    session.state = state
    assert view(session)["mode"] == "active"
    assert view(session)["code"] == CODE


def test_disconnecting_is_ending_without_code_or_agents():
    session = session_in(States.DISCONNECTING, agents=[("a1", "Alice")])
    assert session.state == "DISCONNECTING"
    assert view(session) == {"mode": "ending", "code": None, "agents": [], "notice": None}


@pytest.mark.parametrize("reason,text", [
    (Reasons.USER_INITIATED, "You ended the co-browse session."),
    (Reasons.AGENT_INITIATED, "The agent ended the co-browse session."),
    (Reasons.NAVIGATED_AWAY, "The co-browse session ended because you left the site."),
    (Reasons.USER_TIMEOUT, "The co-browse session ended because no agent joined in time."),
    (Reasons.NETWORK_TIMEOUT, "The co-browse session ended because the connection was lost."),
    (Reasons.SESSION_LIMIT, "The co-browse session ended: it reached its time limit."),
    ("CHAT_CLOSED", "The co-browse session ended (CHAT_CLOSED)."),
])
def test_ready_after_a_session_tells_why_it_ended(reason, text):
    assert ended_text(reason) == text
    session = session_in(States.ACTIVE_WAIT)
    session.receive(protocol.encode("ended", reason=reason))
    assert session.state == "READY"
    assert view(session) == {"mode": "idle", "code": None, "agents": [], "notice": text}


def test_the_session_limit_s_warning_is_the_notice_and_the_announcement_while_the_session_lasts():
    session = session_in(States.ACTIVE_WAIT, [("a1", "Alice")])
    session.receive(protocol.encode("session_warning", message="This co-browse session ends in 60 s", endsIn=60))
    shown = view(session)
    assert shown["notice"] == "This co-browse session ends in 60 s" and shown["code"] == CODE
    assert announcement(shown) == "This co-browse session ends in 60 s"


def test_the_ended_notice_can_be_turned_off():
    session = session_in(States.ACTIVE_WAIT)
    session.receive(protocol.encode("ended", reason="AGENT_INITIATED"))
    assert view(session, False) == IDLE
    assert view(session, ended_popup=True)["notice"] == "The agent ended the co-browse session."


def test_error_after_a_refused_start_shows_the_servers_sentence_even_without_popups():
    session = session_in(States.STARTING)
    session.receive(protocol.encode("error", code="bad_field", message="The site code is not valid."))
    assert session.state == "ERROR"
    expected = {"mode": "idle", "code": None, "agents": [], "notice": "The site code is not valid."}
    assert view(session) == expected
    assert view(session, False) == expected


def test_error_after_a_lost_connection_while_starting():
    session = session_in(States.STARTING)
    session.connection_lost()
    assert view(session)["notice"] == "Could not reach the co-browse service. Please try again."


def test_error_after_a_session_was_lost_says_the_connection_was_lost():
    session = session_in(States.ACTIVE_WAIT)
    session.connection_lost()
    session.give_up()
    assert (session.state, session.error, session.ended_reason) == ("ERROR", None, "NETWORK_TIMEOUT")
    # The session had started: "could not start" would be wrong here.
    notice = "The co-browse session ended because the connection was lost."
    assert view(session) == {"mode": "idle", "code": None, "agents": [], "notice": notice}


def test_error_without_any_reason_has_a_default_notice():
    session = session_in(States.READY)
    session.state = States.ERROR
    assert view(session)["notice"] == "Could not start co-browse. Please try again."


def test_a_new_start_clears_the_last_notice():
    session = session_in(States.ACTIVE_WAIT)
    session.receive(protocol.encode("ended", reason="AGENT_INITIATED"))
    session.start()
    assert view(session)["notice"] is None


@pytest.mark.parametrize("state", [
    States.INIT, States.READY, States.STARTING, States.ACTIVE_WAIT, States.ACTIVE_ACTIVE, States.DISCONNECTING,
])
def test_the_view_is_json_ready(state):
    # The browser adapter compares views by their JSON text to skip needless renders.
    data = view(session_in(state, agents=[("a1", "Alice")]))
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"mode", "code", "agents", "notice"}


def test_the_leave_prompt():
    assert LEAVE_PROMPT == "This link will take you outside of the co-browsing session"


# -- reconnecting -----------------------------------------------------------------------------


def resumed(agents):
    return protocol.encode("resumed", accessCode=CODE, token="n" * 32, agents=[{"id": i, "name": n} for i, n in agents])


def test_the_reconnecting_notice():
    assert RECONNECTING == "Connection lost: reconnecting…"


@pytest.mark.parametrize("state,agents", [(States.ACTIVE_WAIT, []), (States.ACTIVE_ACTIVE, [("a1", "Alice"), ("b2", "Bob")])])
def test_a_session_reconnecting_stays_active_with_the_reconnecting_notice(state, agents):
    session = session_in(state, agents=agents)
    session.connection_lost()
    assert (session.state, session.reconnecting) == (state, True)
    expected = {"mode": "active", "code": CODE, "agents": [name for _, name in agents], "notice": RECONNECTING}
    assert view(session) == expected
    # The notice is about the connection, not an ended session: it shows without popups too.
    assert view(session, False) == expected
    session.connected()
    assert view(session)["notice"] == RECONNECTING
    session.receive(resumed(agents))
    assert view(session) == {"mode": "active", "code": CODE, "agents": [name for _, name in agents], "notice": None}


def test_giving_up_replaces_the_reconnecting_notice_with_the_ended_one():
    session = session_in(States.ACTIVE_ACTIVE, agents=[("a1", "Alice")])
    session.connection_lost()
    session.give_up()
    notice = "The co-browse session ended because the connection was lost."
    assert view(session) == {"mode": "idle", "code": None, "agents": [], "notice": notice}


def test_a_refused_resume_after_a_blip_says_the_connection_was_lost():
    session = session_in(States.ACTIVE_ACTIVE, agents=[("a1", "Alice")])
    session.connection_lost()
    session.connected()
    session.receive(protocol.encode("error", code="no_session", message="No such session."))
    notice = "The co-browse session ended because the connection was lost."
    assert view(session) == {"mode": "idle", "code": None, "agents": [], "notice": notice}


def test_stopping_while_reconnecting_is_ending_without_the_notice():
    session = session_in(States.ACTIVE_ACTIVE, agents=[("a1", "Alice")])
    session.connection_lost()
    session.stop()
    assert session.state == "DISCONNECTING"
    assert view(session) == {"mode": "ending", "code": None, "agents": [], "notice": None}


def test_a_page_resuming_its_session_is_idle_until_the_server_answers():
    session = VisitorSession("ACME-1")
    session.boot(token=TOKEN, url="https://shop.example/")
    assert view(session) == IDLE
    # Its first connection may fail too; there is no session on this page to say so about yet.
    session.connection_lost()
    assert (session.state, session.reconnecting) == ("INIT", True)
    assert view(session) == IDLE
    session.connected()
    session.receive(resumed([("a1", "Alice")]))
    assert view(session) == {"mode": "active", "code": CODE, "agents": ["Alice"], "notice": None}


def test_a_page_whose_session_is_gone_is_idle_without_a_notice():
    session = VisitorSession("ACME-1")
    session.boot(token=TOKEN, url="https://shop.example/")
    session.receive(protocol.encode("error", code="no_session", message="No such session."))
    assert session.state == "READY"
    assert view(session) == IDLE


def test_the_reconnecting_view_is_json_ready():
    session = session_in(States.ACTIVE_ACTIVE, agents=[("a1", "Alice")])
    session.connection_lost()
    data = view(session)
    assert json.loads(json.dumps(data)) == data


# -- what screen readers are told -------------------------------------------------------------


def test_the_code_is_spelt_out_digit_by_digit():
    assert spelled(CODE) == "0 0 4 2 1 3"


def test_announcements_follow_the_session():
    assert announcement(view(session_in(States.READY))) == ""
    assert announcement(view(session_in(States.STARTING))) == STARTING == "Starting co-browse…"
    waiting = "Your co-browse access code is 0 0 4 2 1 3. Read it to the agent. Waiting for an agent to join."
    assert announcement(view(session_in(States.ACTIVE_WAIT))) == waiting
    session = session_in(States.ACTIVE_ACTIVE, agents=[("a1", "Alice"), ("b2", "Bob")])
    assert announcement(view(session)) == "Connected agents: Alice, Bob."
    session.connection_lost()
    assert announcement(view(session)) == RECONNECTING
    assert announcement(view(session_in(States.DISCONNECTING))) == ENDING == "Ending the co-browse session…"


def test_the_reason_a_session_ended_or_failed_is_announced():
    session = session_in(States.ACTIVE_WAIT)
    session.receive(protocol.encode("ended", reason="AGENT_INITIATED"))
    assert announcement(view(session)) == "The agent ended the co-browse session."
    # Without the SessionEnded popup nothing is shown, so nothing is said either.
    assert announcement(view(session, False)) == ""
    failed = session_in(States.STARTING)
    failed.receive(protocol.encode("error", code="bad_field", message="The site code is not valid."))
    assert announcement(view(failed)) == "The site code is not valid."


def test_the_panel_shows_the_agent_tools_switch_while_agents_are_there():
    from cobrowse.core.visitor_tools import VisitorTools

    tools = VisitorTools(["point", "draw", "control"])
    session = session_in(States.ACTIVE_WAIT)
    session.access_code = CODE
    assert view(session, True, tools)["tools"] is None
    session.agents = [("a1", "Alice")]
    assert view(session, True, tools)["tools"] == {"on": True, "clear": False}
    tools.heard({"type": "draw", "id": "a1", "name": "Alice", "stroke": {"id": "s1"}})
    assert view(session, True, tools)["tools"] == {"on": True, "clear": True}
    tools.switch(False)
    assert view(session, True, tools)["tools"] == {"on": False, "clear": False}
    assert view(session, True, VisitorTools(["control"]))["tools"] is None
