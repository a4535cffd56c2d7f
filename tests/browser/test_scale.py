"""The widget and the console through nginx in front of two server processes sharing Redis: a
rolling restart (SIGTERM) and a crash (SIGKILL) of the process holding the session are
invisible to the visitor's page and keep the agent's view going, on both runtimes."""


import pytest
from playwright.sync_api import expect

from support.processes import NginxProcess, ServerProcess as Server
from support.browser import boot, heard, join, start, wait_heard, widget
from support.loop import run_async
from support.browser import replay
from support.wire import deploy_config, holder_of

PAGE = '<h1 id="title">Checkout</h1><label>Name <input id="name"></label>'


@pytest.fixture
def deployment(redis, tmp_path):
    """Two server processes on the tests' redis-server, behind nginx: ``(proxy, servers)``."""
    servers = [Server("--redis", redis.url, "--network-timeout", "20") for _ in range(2)]
    proxy = NginxProcess(deploy_config(servers), tmp_path)
    yield proxy, servers
    proxy.stop()
    for server in servers:
        if server.process.poll() is None:
            server.stop()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_restart_or_crash_of_the_sessions_process_is_invisible(new_page, site, runtime, deployment, how,
                                                                  expect_console_error):
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION|ERR_SOCKET_NOT_CONNECTED|ERR_CONTENT_LENGTH_MISMATCH")
    proxy, servers = deployment
    visitor = new_page(site.page(proxy, runtime, PAGE, data_network_timeout="20"))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, proxy, code, "Alice")
    wait_heard(visitor, "AgentConnected")
    visitor.locator("#name").fill("Before")
    expect(replay(agent).locator("#name")).to_have_value("Before", timeout=15000)
    before = len(heard(visitor))

    holder = run_async(holder_of(servers, code, "visitor"))
    if how == "SIGTERM":
        holder.stop()
    else:
        holder.kill()
    visitor.locator("#name").fill("After")
    # The visitor's page heard nothing at all; the agent's view went on.
    expect(replay(agent).locator("#name")).to_have_value("After", timeout=20000)
    expect(widget(visitor).get_by_text("reconnecting")).to_have_count(0, timeout=10000)
    assert visitor.evaluate("Cobrowse.API.Session.accessCode") == code
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:ACTIVE"
    assert heard(visitor)[before:] == []
    expect(agent.locator("#visitor-state")).to_have_attribute("title", "ACTIVE:ACTIVE")
