"""The agent console signed in with a token: ``/agent#token=JWT`` leaves the address bar at once
and is traded for an HttpOnly cookie, "Signed in as NAME" without a name to type, a reload keeps
working, a bad or expired token leaves the console on its sign-in screen with the cause in its
alert, and a supervisor joins a live session from the list at the top with one click."""

import re
import time

import pytest
from playwright.sync_api import expect

from support.axe import assert_accessible
from support.browser import boot, heard, start, wait_heard
from support.processes import ServerProcess
from support.tokens import SECRET, agent_token

SITE_CODE = "TEST-1"


@pytest.fixture(scope="module")
def token_server():
    running = ServerProcess("--agent-jwt-secret", SECRET, agent_key=None)
    yield running
    running.stop()
    assert not [line for line in running.output if "Traceback" in line], "".join(running.output)


def visitor_session(new_page, site, server):
    visitor = new_page(site.page(server, "micropython", "<h1>Shop</h1>", site_code=SITE_CODE))
    boot(visitor)
    return visitor, start(visitor)


def signed_in(new_page, server, token):
    return new_page(server.base + "/agent#token=" + token)


def session_heading(agent, code):
    return agent.get_by_role("heading", name=re.compile(r"^Session .*" + re.escape(code)))


def test_the_fragments_token_leaves_the_url_signs_in_and_survives_a_reload(new_page, site, token_server):
    visitor, code = visitor_session(new_page, site, token_server)
    token = agent_token("alice-7", "Alice Agent", exp_in=3600)
    agent = signed_in(new_page, token_server, token)
    expect(agent.get_by_text("Signed in as Alice Agent")).to_be_visible()
    assert agent.url == token_server.base + "/agent"
    assert token not in agent.evaluate("history.state === null ? location.href : JSON.stringify(history.state)")
    cookie, = agent.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("cobrowse_agent", True, "Strict")
    assert cookie["expires"] <= time.time() + 3600 + 1
    # No name to type: the token's is used.
    expect(agent.get_by_label("Your name")).to_be_hidden()
    agent.get_by_label("Access code").fill(code)
    agent.get_by_role("button", name="Join").click()
    expect(session_heading(agent, code)).to_be_visible()
    connected, = wait_heard(visitor, "AgentConnected")
    assert (connected["id"], connected["name"]) == ("alice-7", "Alice Agent")
    # A reload keeps the sign-in and the seat, and the visitor hears no second AgentConnected.
    agent.reload()
    expect(session_heading(agent, code)).to_be_visible()
    expect(agent.get_by_text("Signed in as Alice Agent")).to_be_attached()
    agent.wait_for_timeout(500)
    assert len(heard(visitor, "AgentConnected")) == 1


# Chromium reports every 401 answer on the console: the refused sign-in and "who am I?" without one.
REFUSED = r"status of 401 \(Unauthorized\)"


def test_a_bad_token_leaves_the_console_on_its_sign_in_screen_saying_why(new_page, token_server, expect_console_error):
    expect_console_error(REFUSED)
    agent = signed_in(new_page, token_server, "garbage")
    expect(agent.get_by_role("alert")).to_have_text("Your agent token is not a token")
    expect(agent.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(agent.get_by_label("Access code")).to_be_hidden()
    assert agent.url == token_server.base + "/agent"
    assert_accessible(agent)
    agent.reload()
    expect(agent.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.mark.slow
def test_after_the_tokens_expiry_a_join_and_a_reload_show_the_expired_alert(new_page, site, token_server,
                                                                           expect_console_error):
    expect_console_error(REFUSED)
    visitor, code = visitor_session(new_page, site, token_server)
    # Long enough for both consoles to sign in and Alice to join on a busy machine.
    ends = int(time.time()) + 10
    # Alice joins before her token ends; Bob signs in and waits.
    alice = signed_in(new_page, token_server, agent_token("alice", "Alice", exp=ends, exp_in=None))
    bob = signed_in(new_page, token_server, agent_token("bob", "Bob", exp=ends, exp_in=None))
    expect(bob.get_by_text("Signed in as Bob")).to_be_visible()
    alice.get_by_label("Access code").fill(code)
    alice.get_by_role("button", name="Join").click()
    expect(session_heading(alice, code)).to_be_visible()
    wait_heard(visitor, "AgentConnected")
    # Wait (in the pages' own time) until the tokens are over; Alice's session carries on.
    bob.wait_for_function("(ends) => Date.now() / 1000 >= ends", arg=ends + 1, timeout=15000)
    expect(session_heading(alice, code)).to_be_visible()
    bob.get_by_label("Access code").fill(code)
    bob.get_by_role("button", name="Join").click()
    expect(bob.get_by_role("alert")).to_have_text("Your agent token has expired")
    expect(bob.get_by_role("heading", name="Sign in")).to_be_visible()
    bob.reload()
    expect(bob.get_by_role("alert")).to_have_text("Your agent token has expired")
    # A reload in the session does not rejoin it.
    alice.reload()
    expect(alice.get_by_role("alert")).to_have_text("Your agent token has expired")
    expect(alice.get_by_role("heading", name="Sign in")).to_be_visible()
    alice.wait_for_timeout(500)
    assert [event["name"] for event in heard(visitor, "AgentConnected")] == ["Alice"]


def test_a_supervisor_sees_the_live_sessions_and_joins_one_with_a_click(new_page, site, token_server):
    visitor, code = visitor_session(new_page, site, token_server)
    supervisor = signed_in(new_page, token_server, agent_token("sue", "Sue Supervisor", role="supervisor",
                                                               sites=[SITE_CODE]))
    row = supervisor.get_by_role("row", name=re.compile(code))
    expect(row).to_be_visible()
    expect(row).to_contain_text(SITE_CODE)
    expect(row).to_contain_text("ACTIVE:WAIT")
    assert_accessible(supervisor)
    supervisor.get_by_role("button", name="Join session " + code).click()
    expect(session_heading(supervisor, code)).to_be_visible()
    connected, = wait_heard(visitor, "AgentConnected")
    assert connected["name"] == "Sue Supervisor"


def test_an_agents_console_has_no_sessions_list(new_page, token_server):
    agent = signed_in(new_page, token_server, agent_token())
    expect(agent.get_by_text("Signed in as Alice Agent")).to_be_visible()
    expect(agent.get_by_role("heading", name="Live sessions")).to_be_hidden()
