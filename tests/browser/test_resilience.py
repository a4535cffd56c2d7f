"""Sessions that hold up on both runtimes: timeouts, dropped and silent connections, a server
restart, same-site page loads and reloads, and a second tab.

The network is broken on purpose by a TCP proxy (``conftest.Proxy``) between the visitor's page
and the server: the page talks to the proxy through ``data-server``.
"""

import re

import pytest
from playwright.sync_api import expect

from support.processes import ServerProcess as Server
from support.browser import boot, heard, join, start, wait_heard, widget


@pytest.fixture(scope="module")
def waiting_server():
    """A server whose sessions end after 1 s without an agent."""
    running = Server("--agent-wait-timeout", "1")
    yield running
    running.stop()


def state(page):
    return page.evaluate("Cobrowse.API.Session.getState()")


def test_no_agent_in_time_ends_as_user_timeout(new_page, waiting_server, site, runtime):
    visitor = new_page(site.page(waiting_server, runtime))
    boot(visitor)
    code = start(visitor)
    ended = wait_heard(visitor, "SessionEnded", timeout=20000)[0]
    assert ended == {"reason": "USER_TIMEOUT", "accessCode": code, "SID": None, "siteCode": "TEST-1", "agentCount": 0}
    expect(widget(visitor).get_by_text("no agent joined in time")).to_be_visible()
    assert state(visitor) == "READY"


def test_a_short_blip_keeps_the_session(new_page, server, site, runtime, proxy, expect_console_error):
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION")
    visitor = new_page(site.page(server, runtime, data_server=proxy.base, data_network_timeout="20"))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")
    before = len(heard(visitor))

    proxy.down()
    proxy.cut()
    expect(widget(visitor).get_by_text("reconnecting")).to_be_visible()
    expect(agent.locator("#visitor-state")).to_have_attribute("title", "RECONNECTING")
    expect(agent.locator("#visitor-state")).to_contain_text("The visitor's connection was lost")
    assert state(visitor) == "ACTIVE:ACTIVE"
    visitor.wait_for_timeout(1500)
    proxy.up()
    expect(widget(visitor).get_by_text("reconnecting")).to_have_count(0, timeout=15000)
    expect(agent.locator("#visitor-state")).to_have_attribute("title", "ACTIVE:ACTIVE")

    # Same code, same agent, and not a single event: the blip was invisible to the page's script.
    assert visitor.evaluate("Cobrowse.API.Session.accessCode") == code
    assert state(visitor) == "ACTIVE:ACTIVE"
    assert len(heard(visitor)) == before
    expect(widget(visitor).get_by_text("Alice")).to_be_visible()


@pytest.mark.slow
def test_a_silent_connection_is_noticed_and_recovered(new_page, server, site, runtime, proxy):
    visitor = new_page(site.page(server, runtime, data_server=proxy.base, data_network_timeout="30"))
    boot(visitor)
    code = start(visitor)
    before = len(heard(visitor))
    # The open connection stops carrying bytes but nobody closes it: only the heartbeat can tell,
    # and the widget, once it noticed the silence, opens a new connection.
    with visitor.expect_websocket(timeout=30000):
        proxy.hang()
    expect(widget(visitor).get_by_text("reconnecting")).to_have_count(0, timeout=10000)
    assert visitor.evaluate("Cobrowse.API.Session.accessCode") == code
    assert len(heard(visitor)) == before
    # The session really works again: an agent can join it.
    agent = new_page()
    join(agent, server, code, "Bob")
    assert wait_heard(visitor, "AgentConnected")[0]["name"] == "Bob"


def test_a_long_loss_ends_as_network_timeout(new_page, server, site, runtime, proxy, expect_console_error):
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION")
    visitor = new_page(site.page(server, runtime, data_server=proxy.base, data_network_timeout="2"))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")

    proxy.down()
    proxy.cut()
    ended = wait_heard(visitor, "SessionEnded", timeout=20000)[0]
    assert ended == {"reason": "NETWORK_TIMEOUT", "accessCode": code, "SID": None, "siteCode": "TEST-1", "agentCount": 1}
    assert state(visitor) == "ERROR"
    expect(widget(visitor).get_by_text("the connection was lost")).to_be_visible()
    # The server gave up after the same window: the agent is told, the code is dead.
    expect(agent.get_by_role("status")).to_contain_text("connection timed out", timeout=20000)
    proxy.up()
    assert visitor.evaluate("Cobrowse.API.Session.start()") == {"result": True}
    assert wait_heard(visitor, "SessionStarted", 2)[-1]["accessCode"] != code


def test_a_server_restart_ends_the_session_and_a_new_one_can_start(new_page, site, runtime, expect_console_error):
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION")
    first = Server()
    try:
        visitor = new_page(site.page(first, runtime, data_network_timeout="20"))
        boot(visitor)
        code = start(visitor)
        port = first.port
        first.stop()
        expect(widget(visitor).get_by_text("reconnecting")).to_be_visible()
        # The sessions lived in the old process's memory: the new one does not know the code.
        first = Server(port=port)
        ended = wait_heard(visitor, "SessionEnded", timeout=20000)[0]
        assert ended["reason"] == "NETWORK_TIMEOUT" and ended["accessCode"] == code
        assert visitor.evaluate("Cobrowse.API.Session.start()") == {"result": True}
        wait_heard(visitor, "SessionStarted", 2)
    finally:
        first.stop()


PAGES = '<p><a id="next" href="{next}">Next page</a></p>'


def test_same_site_pages_and_reloads_keep_the_session(new_page, server, site, runtime):
    second = site.page(server, runtime, PAGES.format(next="/first-%s.html" % runtime), path="/second-%s.html" % runtime, title="Second")
    first = site.page(server, runtime, PAGES.format(next=second), path="/first-%s.html" % runtime, title="First")
    visitor = new_page(first)
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")

    visitor.locator("#next").click()
    visitor.wait_for_url(second)
    visitor.evaluate("Cobrowse.ready().then(() => true)")
    # The new page's listeners hear one change, from INIT straight to the restored state.
    wait_heard(visitor, "StateChanged")
    assert heard(visitor) == [["StateChanged", {
        "state": "ACTIVE:ACTIVE", "previousState": "INIT", "accessCode": code, "SID": None, "siteCode": "TEST-1",
    }]]
    assert visitor.evaluate("Cobrowse.API.Session.accessCode") == code
    expect(widget(visitor).get_by_text("Alice")).to_be_visible()
    expect(agent.locator("#visitor-url")).to_contain_text(second)
    expect(agent.locator("#agents")).to_contain_text("Alice (you)")

    visitor.reload()
    visitor.evaluate("Cobrowse.ready().then(() => true)")
    assert state(visitor) == "ACTIVE:ACTIVE"
    assert visitor.evaluate("Cobrowse.API.Session.accessCode") == code

    # The agent's blip-free view: the visitor never saw the agent leave or come back.
    agent.reload()
    expect(agent.get_by_role("heading", name=re.compile("Session " + code))).to_be_visible()
    visitor.wait_for_timeout(500)
    assert [name for name, _ in heard(visitor)] == ["StateChanged"]
    visitor.get_by_text("End").click()
    ended = wait_heard(visitor, "SessionEnded")[0]
    assert ended["agentCount"] == 1 and ended["reason"] == "USER_INITIATED"
    # The ended session is not resumed by the next page.
    visitor.reload()
    boot(visitor)
    assert state(visitor) == "READY"


def test_a_second_tab_does_not_join_the_session(new_page, server, site, runtime):
    url = site.page(server, runtime)
    visitor = new_page(url)
    boot(visitor)
    start(visitor)
    other = visitor.context.new_page()
    other.goto(url)
    boot(other)
    assert state(other) == "READY"
    assert other.evaluate("Cobrowse.API.Session.accessCode") is None
    assert [name for name, _ in heard(other)] == ["StateChanged"]
    assert state(visitor) == "ACTIVE:WAIT"
    assert heard(visitor, "SessionEnded") == []
