"""The audit trail and the start limit end to end, on both runtimes: a session with remote
control from the console leaves each move in the audit log, with the clicked element's path,
and no secret in it or in the server's log; past the start limit, ``start()`` answers
``{result: false, description}`` and the page is not harmed; a session limit warns the
widget's live region and the console's status, then ends the session with SESSION_LIMIT."""

import json

import pytest
from playwright.sync_api import expect

from support.browser import (SECRETS, boot, click, join, replay, start, take_control, type_secrets, visitor_page,
                             wait_heard, widget)
from support.processes import ServerProcess, tracebacks

TYPED = "zqxjk"


@pytest.fixture
def audited(tmp_path):
    """A server of the test's own, writing its audit trail to ``server.audit``, allowing two
    session starts a minute per address."""
    server = ServerProcess("--audit-log", str(tmp_path / "audit.jsonl"), "--start-limit", "2")
    server.audit = tmp_path / "audit.jsonl"
    yield server
    server.stop()
    assert not tracebacks(server.output), "".join(server.output)


def test_a_controlled_session_is_in_the_audit_log_without_a_secret(new_page, audited, site, runtime):
    visitor = new_page(visitor_page(site, audited, runtime, "/audit-%s.html" % runtime))
    boot(visitor)
    type_secrets(visitor)
    code = start(visitor)
    agent = new_page()
    agent.set_viewport_size({"width": 1400, "height": 900})
    join(agent, audited, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Checkout", timeout=15000)
    take_control(visitor, agent)
    click(agent, "#name")
    expect(visitor.locator("#name")).to_be_focused()
    agent.keyboard.type(TYPED)
    expect(visitor.locator("#name")).to_have_value(TYPED)
    # The visitor's resume token (not the granted agent's id kept next to it) and the agent's.
    tokens = [visitor.evaluate("Object.keys(sessionStorage).filter((k) => !k.endsWith('|control'))"
                               ".map((k) => sessionStorage.getItem(k)).join(' ')"),
              agent.evaluate("sessionStorage.getItem('cobrowse.agentToken')")]
    assert visitor.evaluate("Cobrowse.API.Session.stop()")["result"] is True
    wait_heard(visitor, "SessionEnded")
    lines = [json.loads(text) for text in audited.audit.read_text().splitlines()]
    events = [line["event"] for line in lines]
    assert events[:4] == ["session_started", "agent_connected", "control_requested", "control_granted"]
    assert events[-1] == "session_ended" and lines[-1]["reason"] == "USER_INITIATED"
    actions = [line["action"] for line in lines if line["event"] == "control_action"]
    assert actions[0]["kind"] == "click" and actions[0]["target"].endswith("input#name")
    assert [action for action in actions[1:]] == [{"kind": "text"}] * len(TYPED)
    assert lines[1]["agent"]["name"] == "Alice" and lines[0]["siteCode"] == "TEST-1"
    secrets = " ".join(tokens).split() + list(SECRETS.values()) + [TYPED]
    assert len(secrets) == len(SECRETS) + 3 and all(len(token) >= 32 for token in secrets[:2])
    for text in (audited.audit.read_text(), "".join(audited.output)):
        for secret in secrets:
            assert secret not in text


def test_past_the_start_limit_start_answers_false_with_the_reason(new_page, audited, site, runtime,
                                                                  expect_console_error):
    # The widget reports every request the server refused on the console, this one too.
    expect_console_error("the server refused a request: Too many co-browse sessions")
    visitor = new_page(site.page(audited, runtime, "<h1>Shop</h1>", path="/audit-limit-%s.html" % runtime))
    boot(visitor)
    for _ in range(2):
        start(visitor)
        assert visitor.evaluate("Cobrowse.API.Session.stop()")["result"] is True
        visitor.wait_for_function("Cobrowse.API.Session.getState() === 'READY'")
    # The third start is sent (start() cannot know yet), and the server refuses it.
    assert visitor.evaluate("Cobrowse.API.Session.start()") == {"result": True}
    visitor.wait_for_function("Cobrowse.API.Session.getState() === 'ERROR'")
    expect(widget(visitor)).to_contain_text("Too many co-browse sessions were started from your address")
    # From then on start() answers at once, until the minute is over.
    answer = visitor.evaluate("Cobrowse.API.Session.start()")
    assert answer["result"] is False
    assert answer["description"].startswith("Too many co-browse sessions were started from this address")
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ERROR"
    assert visitor.locator("h1").text_content() == "Shop"


@pytest.mark.slow
def test_a_session_limit_warns_the_visitor_and_the_agent_then_ends_the_session(new_page, site, tmp_path):
    # 1.25 minutes: the warning comes 15 s after the start, the end a minute later.
    server = ServerProcess("--session-limit", "1.25")
    try:
        visitor = new_page(site.page(server, "micropython", "<h1>Shop</h1>", path="/audit-session-limit.html"))
        boot(visitor)
        code = start(visitor)
        agent = new_page()
        join(agent, server, code)
        wait_heard(visitor, "AgentConnected")
        warning = "This co-browse session ends in 60 s: it has reached its time limit"
        expect(visitor.locator("#cobrowse-widget [aria-live]")).to_have_text(warning, timeout=30000)
        expect(agent.locator("#status")).to_have_text(warning)
        ended = wait_heard(visitor, "SessionEnded", timeout=75000)
        assert ended[-1]["reason"] == "SESSION_LIMIT"
        expect(agent.locator("#status")).to_have_text("The session ended: it reached its time limit.")
        expect(widget(visitor)).to_contain_text("The co-browse session ended: it reached its time limit.")
    finally:
        server.stop()
    assert not tracebacks(server.output), "".join(server.output)
