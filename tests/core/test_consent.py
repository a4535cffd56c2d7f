"""Unit tests for cobrowse.core.consent: the visitor session's side of remote control."""

import pytest

from cobrowse.core import protocol
from cobrowse.core.session import VisitorSession

CODE = "004213"
TOKEN = "t" * 32


def active(*agents):
    session = VisitorSession("S")
    session.boot()
    session.start()
    session.receive(protocol.encode("started", accessCode=CODE, token=TOKEN))
    for agent_id, name in agents:
        session.receive(protocol.encode("agent_joined", id=agent_id, name=name))
    session.events, session.outbox = [], []
    return session


def controlled_by_alice():
    """A session in which Alice asked for control and the visitor allowed it; events taken."""
    session = active(("a1", "Alice"))
    session.receive(protocol.encode("control_request", id="a1", name="Alice"))
    session.allow_control()
    changes(session)
    return session


def changes(session):
    events, session.events = session.events, []
    return [(data["previousState"], data["state"]) for name, data in events if name == "StateChanged"]


def sent(session):
    outbox, session.outbox = session.outbox, []
    return [protocol.decode(text, protocol.VISITOR_TO_SERVER) for text in outbox]


def test_asking_allowing_and_revoking_fire_state_changes_and_tell_the_server():
    session = active(("a1", "Alice"))
    assert session.allow_control() == (False, "There is no request for control to allow (state ACTIVE:ACTIVE)")
    session.receive(protocol.encode("control_request", id="a1", name="Alice"))
    assert changes(session) == [("ACTIVE:ACTIVE", "ACTIVE:ESCALATING")]
    assert session.allow_control() == (True, "")
    assert changes(session) == [("ACTIVE:ESCALATING", "ACTIVE:ESCALATED")]
    assert session.mode == "ACB" and session.may_act("a1")
    assert sent(session) == [{"type": "control_grant", "id": "a1"}]
    assert session.deny_control()[0] is False
    assert session.revoke_control() == (True, "")
    assert changes(session) == [("ACTIVE:ESCALATED", "ACTIVE:ACTIVE")]
    assert session.mode == "ICB" and not session.may_act("a1") and session.granted is None
    assert sent(session) == [{"type": "control_end", "id": "a1", "reason": "revoked"}]


def test_a_denial_the_agent_leaving_or_releasing_end_the_request():
    session = active(("a1", "Alice"), ("b2", "Bob"))
    session.receive(protocol.encode("control_request", id="a1", name="Alice"))
    assert session.deny_control() == (True, "")
    assert sent(session) == [{"type": "control_end", "id": "a1", "reason": "declined"}]
    session.receive(protocol.encode("control_request", id="a1", name="Alice"))
    session.allow_control()
    session.receive(protocol.encode("control_end", id="a1", reason="released"))
    session.receive(protocol.encode("control_request", id="b2", name="Bob"))
    session.receive(protocol.encode("agent_left", id="b2", name="Bob"))
    assert changes(session) == [
        ("ACTIVE:ACTIVE", "ACTIVE:ESCALATING"), ("ACTIVE:ESCALATING", "ACTIVE:ACTIVE"),
        ("ACTIVE:ACTIVE", "ACTIVE:ESCALATING"), ("ACTIVE:ESCALATING", "ACTIVE:ESCALATED"),
        ("ACTIVE:ESCALATED", "ACTIVE:ACTIVE"),
        ("ACTIVE:ACTIVE", "ACTIVE:ESCALATING"), ("ACTIVE:ESCALATING", "ACTIVE:ACTIVE"),
    ]
    # A timer for a request that was already answered changes nothing.
    session.request_expired("b2")
    assert changes(session) == [] and session.state == "ACTIVE:ACTIVE"


def test_a_controller_leaving_alone_goes_back_to_waiting():
    session = controlled_by_alice()
    session.receive(protocol.encode("agent_left", id="a1", name="Alice"))
    assert changes(session) == [("ACTIVE:ESCALATED", "ACTIVE:ACTIVE"), ("ACTIVE:ACTIVE", "ACTIVE:WAIT")]
    assert session.control is None


def test_a_new_agent_joining_does_not_end_control():
    session = controlled_by_alice()
    session.receive(protocol.encode("agent_joined", id="b2", name="Bob"))
    assert session.state == "ACTIVE:ESCALATED" and changes(session) == []


@pytest.mark.parametrize("granted,record,state", [
    ("a1", {"agent": "a1", "name": "Alice", "state": "granted"}, "ACTIVE:ESCALATED"),
    (None, {"agent": "a1", "name": "Alice", "state": "granted"}, "ACTIVE:ACTIVE"),
    ("a1", None, "ACTIVE:ACTIVE"),
    (None, {"agent": "a1", "name": "Alice", "state": "asking"}, "ACTIVE:ESCALATING"),
    ("a1", {"agent": "zz", "name": "Eve", "state": "granted"}, "ACTIVE:ACTIVE"),
])
def test_a_new_page_restores_control_only_with_this_tabs_consent(granted, record, state):
    page = VisitorSession("S")
    page.boot(TOKEN, "https://shop.example/next", granted=granted)
    page.connected()
    page.outbox = []
    page.receive(protocol.encode("resumed", accessCode=CODE, token=TOKEN, agents=[{"id": "a1", "name": "Alice"}],
                                 control=record))
    assert changes(page) == [("INIT", state)]
    assert page.mode == ("ACB" if state == "ACTIVE:ESCALATED" else "ICB")
    if granted is None and record and record["state"] == "granted":
        # The server thinks the page is controlled: the tab tells it that it is not.
        assert sent(page) == [{"type": "control_end", "id": "a1", "reason": "revoked"}]


def test_a_blip_keeps_control_the_server_still_has_and_drops_what_it_lost():
    session = controlled_by_alice()
    granted = {"agent": "a1", "name": "Alice", "state": "granted"}
    for record, state in ((granted, "ACTIVE:ESCALATED"), (None, "ACTIVE:ACTIVE")):
        session.connection_lost()
        session.connected()
        session.receive(protocol.encode("resumed", accessCode=CODE, token=TOKEN, agents=[{"id": "a1", "name": "Alice"}],
                                        control=record))
        assert session.state == state
