"""Accessibility of the widget and the agent console: axe-core in every state, the keyboard
alone, the live region screen readers hear, reduced motion and the theming properties.

The widget lives in an open shadow root; axe walks into it, and the first test proves it does.
"""

import re
import socket

import pytest
from playwright.sync_api import expect

from support.axe import assert_accessible, blocking_violations, run_axe, shadow_nodes
from support.browser import boot, join, start, wait_heard, widget
from support.browser import LEAVE_DIALOG

HOST = "#cobrowse-widget"
PARTNER = '<p><a id="partner" href="{away}">Our partner</a></p>'


SAID = "document.querySelector('#cobrowse-widget').shadowRoot.querySelector('[aria-live]').textContent"


def said(page):
    """What the widget's live region says to screen readers."""
    return page.evaluate(SAID)


def expect_said(page, text):
    """Wait until the live region says ``text``."""
    page.wait_for_function("(text) => %s === text" % SAID, arg=text, timeout=15000)


def focused(page):
    """The label of the element focused inside the widget, or of the page's focused element."""
    return page.evaluate("""() => {
      const active = document.activeElement;
      const inner = active && active.shadowRoot ? active.shadowRoot.activeElement : null;
      return (inner || active).textContent.trim();
    }""")


def partner_page(new_page, server, site, runtime, **attributes):
    page = new_page(site.page(server, runtime, PARTNER.format(away=site.elsewhere + "/elsewhere.html"), **attributes))
    boot(page)
    return page


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers: a start stays at STARTING."""
    listener = socket.create_server(("127.0.0.1", 0))
    yield "http://127.0.0.1:%d" % listener.getsockname()[1]
    listener.close()


def test_axe_checks_inside_the_widget_shadow_root(new_page, server, site, runtime):
    visitor = new_page(site.page(server, runtime))
    boot(visitor)
    results = assert_accessible(visitor)
    # The Co-browse button and the live region at least, judged by several rules each.
    assert shadow_nodes(results, HOST) >= 5
    # A button without a name, slipped into the widget, is caught.
    visitor.evaluate("""document.querySelector('#cobrowse-widget').shadowRoot.querySelector('.box')
                        .appendChild(document.createElement('button'))""")
    lines = blocking_violations(run_axe(visitor))
    assert any(line.startswith("button-name (critical)") and HOST in line for line in lines), lines


def test_every_widget_state_passes_axe_and_is_announced(new_page, server, site, runtime, proxy, expect_console_error):
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION")
    visitor = partner_page(new_page, server, site, runtime, data_server=proxy.base, data_network_timeout="60")
    assert_accessible(visitor)
    assert said(visitor) == ""

    code = start(visitor)
    expect(widget(visitor).get_by_text(code)).to_be_visible()
    expect_said(visitor, "Your co-browse access code is %s. Read it to the agent. Waiting for an agent to join." % " ".join(code))
    assert_accessible(visitor)

    agent = new_page()
    join(agent, server, code, "Alice")
    expect_said(visitor, "Connected agents: Alice.")
    assert_accessible(visitor)

    visitor.locator("#partner").click()
    expect(visitor.get_by_role("dialog", name=LEAVE_DIALOG)).to_be_visible()
    assert_accessible(visitor)
    visitor.keyboard.press("Escape")
    expect(visitor.get_by_role("dialog", name=LEAVE_DIALOG)).to_have_count(0)

    proxy.down()
    proxy.cut()
    expect(widget(visitor).get_by_text("reconnecting")).to_be_visible()
    expect_said(visitor, "Connection lost: reconnecting…")
    assert_accessible(visitor)
    proxy.up()
    expect_said(visitor, "Connected agents: Alice.")

    agent.get_by_role("button", name="End session").click()
    expect(widget(visitor).get_by_text("The agent ended the co-browse session.")).to_be_visible()
    expect_said(visitor, "The agent ended the co-browse session.")
    assert_accessible(visitor)


def test_the_error_state_passes_axe_and_is_announced(new_page, server, site, runtime, expect_console_error):
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION_REFUSED")
    visitor = new_page(site.page(server, runtime, data_server="http://127.0.0.1:9"))
    boot(visitor)
    visitor.evaluate("Cobrowse.API.Session.start()")
    expect(widget(visitor).get_by_text("Could not reach the co-browse service")).to_be_visible()
    expect_said(visitor, "Could not reach the co-browse service. Please try again.")
    assert_accessible(visitor)


SPINNER = """() => {
  const root = document.querySelector('#cobrowse-widget').shadowRoot;
  return {name: getComputedStyle(root.querySelector('.spinner')).animationName,
          running: root.getAnimations().length};
}"""


def test_starting_passes_axe_and_honours_reduced_motion(new_page, server, site, runtime, silent_server):
    visitor = new_page()
    visitor.emulate_media(reduced_motion="reduce")
    visitor.goto(site.page(server, runtime, data_server=silent_server))
    boot(visitor)
    visitor.evaluate("Cobrowse.API.Session.start()")
    expect(widget(visitor).get_by_text("Starting co-browse…")).to_be_visible()
    expect_said(visitor, "Starting co-browse…")
    assert_accessible(visitor)
    assert visitor.evaluate(SPINNER) == {"name": "none", "running": 0}
    # Without the preference the spinner spins: the check above can tell.
    visitor.emulate_media(reduced_motion="no-preference")
    assert visitor.evaluate(SPINNER) == {"name": "spin", "running": 1}
    # Closed before the silent server is, which the page would report as a reset connection.
    visitor.close()


def test_the_widget_works_with_the_keyboard_alone(new_page, server, site, runtime):
    visitor = partner_page(new_page, server, site, runtime)
    visitor.keyboard.press("Tab")
    assert focused(visitor) == "Our partner"
    visitor.keyboard.press("Tab")
    assert focused(visitor) == "Co-browse"
    visitor.keyboard.press("Enter")
    code = wait_heard(visitor, "SessionStarted")[0]["accessCode"]
    expect(widget(visitor).get_by_text(code)).to_be_visible()
    # The widget was redrawn; focus stayed in it, on the button that is there now.
    assert focused(visitor) == "End"

    # The NavigatingAway popup: focus moves in, Tab stays in, Escape closes it and focus goes back.
    visitor.keyboard.press("Shift+Tab")
    assert focused(visitor) == "Our partner"
    visitor.keyboard.press("Enter")
    dialog = visitor.get_by_role("dialog", name=LEAVE_DIALOG)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_description("This link will take you outside of the co-browsing session.")
    assert focused(visitor) == "Cancel"
    for key, label in [("Tab", "Continue"), ("Tab", "Cancel"), ("Shift+Tab", "Continue"), ("Shift+Tab", "Cancel")]:
        visitor.keyboard.press(key)
        assert focused(visitor) == label, key
    visitor.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert focused(visitor) == "Our partner"
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:WAIT"
    # Enter on Cancel closes it too.
    visitor.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    visitor.keyboard.press("Enter")
    expect(dialog).to_have_count(0)

    # Space on End ends the session; the SessionEnded popup shows and Escape dismisses it.
    visitor.keyboard.press("Tab")
    assert focused(visitor) == "End"
    visitor.keyboard.press(" ")
    notice = widget(visitor).get_by_text("You ended the co-browse session.")
    expect(notice).to_be_visible()
    assert focused(visitor) == "Co-browse"
    visitor.keyboard.press("Escape")
    expect(notice).to_have_count(0)
    assert focused(visitor) == "Co-browse"
    # Space starts a session too.
    visitor.keyboard.press(" ")
    wait_heard(visitor, "SessionStarted", 2)
    assert focused(visitor) == "End"


THEME = """#cobrowse-widget {
  --cobrowse-accent: rgb(128, 0, 64); --cobrowse-accent-text: rgb(255, 255, 240);
  --cobrowse-font: Georgia, serif; --cobrowse-radius: 0px;
  --cobrowse-left: 24px; --cobrowse-right: auto; --cobrowse-top: 30px; --cobrowse-bottom: auto;
}"""

LOOK = """() => {
  const root = document.querySelector('#cobrowse-widget').shadowRoot;
  const box = root.querySelector('.box'), button = root.querySelector('button');
  const rect = box.getBoundingClientRect();
  return {
    accent: getComputedStyle(button).backgroundColor, text: getComputedStyle(button).color,
    font: getComputedStyle(box).fontFamily, radius: getComputedStyle(box).borderTopLeftRadius,
    left: Math.round(rect.left), top: Math.round(rect.top),
    right: Math.round(innerWidth - rect.right), bottom: Math.round(innerHeight - rect.bottom),
  };
}"""


def test_site_owners_theme_the_widget_with_custom_properties(new_page, server, site, runtime):
    visitor = new_page(site.page(server, runtime))
    boot(visitor)
    default = visitor.evaluate(LOOK)
    assert default["accent"] == "rgb(11, 92, 213)" and default["text"] == "rgb(255, 255, 255)"
    assert default["radius"] == "10px" and "Georgia" not in default["font"]
    assert (default["right"], default["bottom"]) == (16, 16)

    theme = visitor.add_style_tag(content=THEME)
    themed = visitor.evaluate(LOOK)
    assert themed["accent"] == "rgb(128, 0, 64)" and themed["text"] == "rgb(255, 255, 240)"
    assert themed["font"] == "Georgia, serif" and themed["radius"] == "0px"
    assert (themed["left"], themed["top"]) == (24, 30)
    assert_accessible(visitor)

    # Set on an ancestor, they are inherited into the shadow root as well.
    visitor.evaluate("document.documentElement.style.setProperty('--cobrowse-radius', '3px')")
    theme.evaluate("(node) => node.remove()")
    assert visitor.evaluate(LOOK)["radius"] == "3px"


# -- the agent console --------------------------------------------------------------------------


def focused_id(page):
    return page.evaluate("document.activeElement.id")


def test_the_agent_console_passes_axe_and_works_with_the_keyboard(new_page, server, site):
    # The console does not depend on the visitor's runtime: one is enough.
    visitor = new_page(site.page(server, "micropython", "<h1>Shop</h1><p>Hello</p>"))
    boot(visitor)
    code = start(visitor)

    agent = new_page(server.console_url)
    assert_accessible(agent)
    agent.get_by_label("Your name").fill("")
    agent.get_by_label("Access code").focus()
    agent.keyboard.press("Enter")
    expect(agent.get_by_role("alert")).to_have_text("Please enter the access code.")
    assert_accessible(agent)

    agent.keyboard.type("999999x")
    agent.keyboard.press("Tab")
    assert focused_id(agent) == "name"
    agent.keyboard.type("Alice")
    agent.keyboard.press("Enter")
    expect(agent.get_by_role("alert")).to_have_text(re.compile("No active session"))
    assert_accessible(agent)

    agent.get_by_label("Access code").fill("")
    agent.get_by_label("Access code").focus()
    agent.keyboard.type(code)
    agent.keyboard.press("Enter")
    expect(agent.get_by_role("heading", name=re.compile("Session " + code))).to_be_focused()
    frame = agent.locator("#replay iframe")
    expect(frame).to_have_attribute("title", "The visitor's page, replayed live", timeout=15000)
    expect(agent.frame_locator("#replay iframe").get_by_role("heading", name="Shop")).to_be_attached(timeout=15000)
    assert_accessible(agent)
    # The replayed pointer glides, unless the agent asked for less motion.
    pointer = "getComputedStyle(document.querySelector('.replayer-mouse')).transitionDuration"
    assert agent.evaluate(pointer) != "0s"
    agent.emulate_media(reduced_motion="reduce")
    assert agent.evaluate(pointer) == "0s"

    # The workspace's bar: the Agent tool group (one stop: its checked radio, Point), Clear
    # drawings, Request control, then Leave and End session.
    agent.keyboard.press("Tab")
    assert agent.evaluate("document.activeElement.getAttribute('role') + ':' + document.activeElement.dataset.tool") == "radio:point"
    agent.keyboard.press("Tab")
    assert focused_id(agent) == "clear-drawings"
    agent.keyboard.press("Tab")
    assert focused_id(agent) == "control"
    agent.keyboard.press("Tab")
    assert focused_id(agent) == "leave"
    agent.keyboard.press("Tab")
    assert focused_id(agent) == "end"
    agent.keyboard.press("Enter")
    expect(agent.get_by_role("status")).to_have_text("The session was ended by an agent.")
    assert focused_id(agent) == "code"
    assert_accessible(agent)
    wait_heard(visitor, "SessionEnded")
