"""The widget embedded from another origin, on both runtimes: API, events, lifecycle, UI."""

import re

import pytest
from playwright.sync_api import expect

from cobrowse.core.constants import MODE_ACB, MODE_ICB
from cobrowse.core.events import PROPERTIES
from cobrowse.core.session import States
from support.processes import ServerProcess as Server
from support.browser import boot, heard, join, start, wait_heard, widget


def test_api_is_there_at_once_and_python_takes_over(new_page, server, site, runtime):
    page = new_page()
    # Read the API right after the tag ran, before the runtime can possibly be up.
    page.add_init_script("""
      document.addEventListener('DOMContentLoaded', () => {
        window.early = {
          state: Cobrowse.API.Session.getState(),
          start: Cobrowse.API.Session.start(),
          env: Cobrowse.API.checkEnvironment(),
          states: Cobrowse.States,
        };
      });
    """)
    page.goto(site.page(server, runtime))
    early = page.evaluate("window.early")
    assert early["state"] == "INIT"
    assert early["start"]["result"] is False and "not ready" in early["start"]["description"]
    assert early["env"] == {MODE_ICB: True, MODE_ACB: True}  # Remote control (issue 8) is supported.
    # The core's states (tests/core/test_session.py pins them to the contract's).
    assert early["states"] == {name: value for name, value in vars(States).items() if name.isupper() and name != "ALL"}
    boot(page)
    assert page.evaluate("Cobrowse.API.Session.getState()") == "READY"
    # Listeners attached before ready hear the first change after it.
    first = wait_heard(page, "StateChanged")[0]
    assert first["state"] == "READY" and first["previousState"] == "INIT"
    assert page.evaluate("Cobrowse.ready((c) => c === window.Cobrowse)") is True


def test_full_session_with_an_agent(new_page, server, site, runtime):
    visitor = new_page(site.page(server, runtime, site_code="ACME-1"))
    boot(visitor)
    box = widget(visitor)
    box.get_by_role("button", name="Co-browse").click()
    expect(box.get_by_text("Read this code to the agent")).to_be_visible()
    code = wait_heard(visitor, "SessionStarted")[0]["accessCode"]
    assert re.fullmatch(r"\d{6}", code)
    expect(box.get_by_text(code)).to_be_visible()
    assert visitor.evaluate("Cobrowse.API.Session.accessCode") == code
    assert visitor.evaluate("Cobrowse.API.Session.mode") == "ICB"
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:WAIT"

    agent = new_page()
    join(agent, server, code, "Alice <b>Agent</b>")
    connected = wait_heard(visitor, "AgentConnected")[0]
    assert connected["name"] == "Alice <b>Agent</b>"
    assert re.fullmatch(r"[0-9a-f]{32}", connected["id"])
    # Names from the network are text, never markup.
    expect(box.get_by_text("Alice <b>Agent</b>")).to_be_visible()
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:ACTIVE"
    expect(agent.locator("#visitor-state")).to_have_text("Visitor state: Watching")
    expect(agent.locator("#visitor-state")).to_have_attribute("title", "ACTIVE:ACTIVE")

    agent.get_by_role("button", name="End session").click()
    ended = wait_heard(visitor, "SessionEnded")[0]
    assert ended == {"reason": "AGENT_INITIATED", "accessCode": code, "SID": None, "siteCode": "ACME-1", "agentCount": 1}
    expect(box.get_by_text("The agent ended the co-browse session.")).to_be_visible()
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "READY"

    # Every event carried all of the seed's properties, in order, SID undefined (standalone).
    names = [name for name, _ in heard(visitor)]
    assert names == [
        "StateChanged", "SessionStarting", "StateChanged", "StateChanged", "SessionStarted",
        "StateChanged", "AgentConnected", "StateChanged", "SessionEnded",
    ]
    keys = visitor.evaluate("window.heard.map(([name, event]) => [name, Object.keys(event), 'SID' in event && event.SID === undefined])")
    for name, properties, sid_undefined in keys:
        assert properties == list(PROPERTIES[name])  # The seed's (tests/core/test_events.py).
        assert sid_undefined
    states = [(event["previousState"], event["state"]) for event in heard(visitor, "StateChanged")]
    assert states == [("INIT", "READY"), ("READY", "STARTING"), ("STARTING", "ACTIVE:WAIT"),
                      ("ACTIVE:WAIT", "ACTIVE:ACTIVE"), ("ACTIVE:ACTIVE", "READY")]

    # The ended code is dead for agents.
    agent.get_by_label("Access code").fill(code)
    agent.get_by_role("button", name="Join").click()
    expect(agent.get_by_role("alert")).to_have_text("No active session with that code")


@pytest.fixture(scope="module")
def quick_server():
    """A server that gives a dropped agent connection 1 s to come back."""
    running = Server("--network-timeout", "1")
    yield running
    running.stop()


def test_agents_come_and_go(new_page, quick_server, site, runtime):
    server = quick_server
    visitor = new_page(site.page(server, runtime))
    boot(visitor)
    code = start(visitor)
    first, second = new_page(), new_page()
    join(first, server, code, "Alice")
    join(second, server, code, "Bob")
    connected = wait_heard(visitor, "AgentConnected", 2)
    assert [event["name"] for event in connected] == ["Alice", "Bob"]
    assert connected[0]["id"] != connected[1]["id"]
    expect(first.locator("#agents")).to_contain_text("Bob")

    second.get_by_role("button", name="Leave").click()
    gone = wait_heard(visitor, "AgentDisconnected")[0]
    assert (gone["name"], gone["id"]) == ("Bob", connected[1]["id"])
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:ACTIVE"
    # Closing the console tab drops the connection: after the network timeout the agent is gone.
    first.close()
    wait_heard(visitor, "AgentDisconnected", 2)
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:WAIT"

    widget(visitor).get_by_role("button", name="End").click()
    ended = wait_heard(visitor, "SessionEnded")[0]
    assert ended["reason"] == "USER_INITIATED" and ended["agentCount"] == 0
    expect(widget(visitor).get_by_text("You ended the co-browse session.")).to_be_visible()


def test_integrated_mode_and_stop_reason(new_page, server, site, runtime):
    visitor = new_page(site.page(server, runtime, site_code="CHAT-7"))
    boot(visitor)
    code = start(visitor, {"SID": "chat-42"})
    starting = heard(visitor, "SessionStarting")[0]
    assert starting == {"SID": "chat-42", "siteCode": "CHAT-7"}
    assert heard(visitor, "SessionStarted")[0] == {"accessCode": code, "SID": "chat-42", "mode": "ICB", "siteCode": "CHAT-7"}
    assert visitor.evaluate("Cobrowse.API.Session.SID") == "chat-42"
    # A second start while one runs is refused with a reason.
    again = visitor.evaluate("Cobrowse.API.Session.start()")
    assert again["result"] is False and again["description"]

    agent = new_page()
    join(agent, server, "chat-42", "Carol")  # Agents may join by the external SID.
    wait_heard(visitor, "AgentConnected")

    assert visitor.evaluate("Cobrowse.API.Session.stop({reason: 'chat closed'})")["result"] is True
    ended = wait_heard(visitor, "SessionEnded")[0]
    assert ended == {"reason": "chat closed", "accessCode": code, "SID": "chat-42", "siteCode": "CHAT-7", "agentCount": 1}
    expect(agent.get_by_role("status")).to_contain_text("chat closed")
    changes = [event["state"] for event in heard(visitor, "StateChanged")]
    assert changes[-2:] == ["DISCONNECTING", "READY"]
    assert visitor.evaluate("Cobrowse.API.Session.stop()")["result"] is False


def test_listeners_are_async_isolated_and_removable(new_page, server, site, runtime, expect_console_error):
    expect_console_error(r"Cobrowse: a SessionStarting listener threw")
    visitor = new_page(site.page(server, runtime))
    boot(visitor)
    result = visitor.evaluate("""() => {
      window.calls = [];
      const boom = () => { throw new Error('listener bug'); };
      const counted = (e) => window.calls.push(['counted', e.siteCode]);
      const removed = () => window.calls.push(['removed']);
      let typeError = null;
      try { Cobrowse.Events.SessionStarting.listen('not a function'); } catch (e) { typeError = e instanceof TypeError; }
      Cobrowse.Events.SessionStarting.listen(boom);
      Cobrowse.Events.SessionStarting.listen(counted);
      Cobrowse.Events.SessionStarting.listen(counted);  // A second listen is ignored.
      Cobrowse.Events.SessionStarting.listen(removed);
      Cobrowse.Events.SessionStarting.removeListener(removed);
      Cobrowse.API.Session.start();
      const during = window.calls.length;  // Listeners never run inside start().
      return {typeError, during};
    }""")
    assert result == {"typeError": True, "during": 0}
    wait_heard(visitor, "SessionStarted")
    assert visitor.evaluate("window.calls") == [["counted", "TEST-1"]]
    # The page's own listener, attached before the thrower, still heard the event.
    assert len(heard(visitor, "SessionStarting")) == 1


def test_unreachable_server_is_an_error_state(new_page, server, site, runtime, expect_console_error):
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION_REFUSED")
    dead = "http://127.0.0.1:9"  # Nothing listens on the discard port.
    visitor = new_page(site.page(server, runtime, data_server=dead))
    boot(visitor)
    assert visitor.evaluate("Cobrowse.API.Session.start()") == {"result": True}
    visitor.wait_for_function("Cobrowse.API.Session.getState() === 'ERROR'")
    expect(widget(visitor).get_by_text("Could not reach the co-browse service")).to_be_visible()
    assert heard(visitor, "SessionStarted") == []
    # The visitor may try again.
    assert visitor.evaluate("Cobrowse.API.Session.start()") == {"result": True}


def test_python_on_the_page_hears_the_same_events(new_page, server, site, runtime):
    # On MicroPython the page's own Python shares the widget's interpreter, so it imports the
    # same Events. On Pyodide a main-thread <script type="py"> (which freezes the page while
    # CPython starts: test_browser_pyodide.py covers the worker way) hears them over the feed.
    kind = "mpy" if runtime == "micropython" else "py"
    head = """<script type="%s">
import js
from cobrowse import Events

def heard(event):
    js.window.pyHeard.push(event["state"] + " " + str(event["siteCode"]))

js.window.pyHeard = js.Array.new()
Events.StateChanged.listen(heard)
</script>""" % kind
    visitor = new_page(site.page(server, runtime, head=head, site_code="PY-1"))
    boot(visitor)
    start(visitor)
    # CPython starting on the main thread takes seconds, far more on a loaded machine.
    visitor.wait_for_function("window.pyHeard && window.pyHeard.length >= 3", timeout=120000)
    assert visitor.evaluate("Array.from(window.pyHeard)")[-2:] == ["STARTING PY-1", "ACTIVE:WAIT PY-1"]
