"""The agent console under a strict policy (style-src without 'unsafe-inline'), on both
runtimes: the replay still shows the visitor's styles (cobrowse/console/replay_styles.js applies
what the policy blocks through constructed sheets and CSSOM), and the replay runs no script.
"""

from playwright.sync_api import expect

import pytest

from support.browser import boot, join, replay, start, wait_heard
from support.chromium import CHROMIUM, CHROMIUM_ARGS

SLOW = 30000

# The console's policy documented in the README.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self' ws: wss:; frame-src 'self'; object-src 'none'; base-uri 'none'")

STYLED = """
<style>#title { color: rgb(200, 0, 0); } .box { padding: 7px; }</style>
<h1 id="title">Styled page</h1>
<p id="boxed" class="box" style="background-color: rgb(0, 0, 200)">A box</p>
<ul id="list"></ul>
"""


@pytest.fixture
def strict_agent(browser_type):
    """A console page whose responses carry POLICY. Chromium counts a response Playwright
    fulfilled as from no address, so its local network access checks would stop the console's
    socket to 127.0.0.1: this browser of the test's own runs without them. The policy violations
    rrweb causes are expected here (one console error per blocked style)."""
    browser = browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"])
    page = browser.new_page()

    def with_policy(route):
        response = route.fetch()
        route.fulfill(response=response, headers=dict(response.headers, **{"content-security-policy": POLICY}))
    page.route("**/agent**", with_policy)
    yield page
    browser.close()


def test_the_replay_keeps_the_visitors_styles_under_a_strict_console_policy(new_page, strict_agent, server, site,
                                                                           runtime):
    visitor = new_page(site.page(server, runtime, STYLED, path="/csp-console-%s.html" % runtime))
    boot(visitor)
    code = start(visitor)
    agent = strict_agent
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Styled page", timeout=SLOW)
    assert agent.evaluate("document.querySelector('#replay iframe').getAttribute('sandbox')") == "allow-same-origin"
    # The policy is in force: the browser applied none of the replay's <style> elements itself.
    assert agent.evaluate("Array.from(document.querySelector('#replay iframe').contentDocument"
                          ".querySelectorAll('style')).every((style) => style.sheet === null)")
    for selector, prop, value in (("#title", "color", "rgb(200, 0, 0)"), ("#boxed", "paddingTop", "7px"),
                                  ("#boxed", "backgroundColor", "rgb(0, 0, 200)")):
        agent.wait_for_function(
            "([s, p, v]) => { const d = document.querySelector('#replay iframe').contentDocument;"
            " const e = d.querySelector(s); return !!e && getComputedStyle(e)[p] === v; }",
            arg=[selector, prop, value], timeout=SLOW)
    # Changes: a style attribute changed, an element added with a style, a <style> added.
    visitor.evaluate("""() => {
        document.getElementById('boxed').style.backgroundColor = 'rgb(0, 120, 0)';
        document.getElementById('list').insertAdjacentHTML('beforeend', '<li id="item" style="margin-left: 11px">x</li>');
        const style = document.createElement('style');
        style.textContent = '#list { font-size: 21px; }';
        document.head.appendChild(style);
    }""")
    for selector, prop, value in (("#boxed", "backgroundColor", "rgb(0, 120, 0)"), ("#item", "marginLeft", "11px"),
                                  ("#list", "fontSize", "21px")):
        agent.wait_for_function(
            "([s, p, v]) => { const d = document.querySelector('#replay iframe').contentDocument;"
            " const e = d.querySelector(s); return !!e && getComputedStyle(e)[p] === v; }",
            arg=[selector, prop, value], timeout=SLOW)
    # The console's own styles are a file of its own: the policy keeps them too.
    assert agent.evaluate("getComputedStyle(document.body).margin") != "8px"
