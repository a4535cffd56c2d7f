"""The live view on both runtimes: the agent sees the visitor's page, private data never leaves it.

Every frame the visitor's page sends is captured, so a masked secret is checked where it
matters: on the wire, not only in the agent's view.
"""

import re

from playwright.sync_api import expect

from support.browser import assert_no_secret, boot, join, replay, session_on_checkout, start, type_secrets, visitor_page, wait_heard, watching


def test_the_agent_sees_the_page_change_and_secrets_stay_masked(new_page, server, site, runtime):
    visitor, frames, code = session_on_checkout(new_page, server, site, runtime, "/liveview-%s.html" % runtime)
    agent = watching(new_page, server, code)
    wait_heard(visitor, "AgentConnected")
    view = replay(agent)
    # Text typed into an ordinary field appears; a change made by the page's script appears.
    visitor.locator("#name").fill("Ada Lovelace")
    expect(view.locator("#name")).to_have_value("Ada Lovelace")
    visitor.evaluate("document.getElementById('list').insertAdjacentHTML('beforeend', '<li id=\"added\">Added by the page</li>')")
    expect(view.locator("#added")).to_have_text("Added by the page")

    type_secrets(visitor)
    visitor.locator("#name").fill("Ada Byron")  # A change after the secrets, to know they were sent.
    expect(view.locator("#name")).to_have_value("Ada Byron")
    # Masked fields arrive as placeholders of one fixed length, whatever was typed.
    masked = {view.locator(selector).input_value() for selector in ("#password", "#card", "#cvc", "#notes")}
    assert len(masked) == 1 and len(masked.pop()) == 8
    assert "DIV-SECRET" not in view.locator("#account").inner_text()
    assert_no_secret(frames, agent)


def test_a_late_joiner_sees_the_current_page_and_does_not_disturb_the_first(new_page, server, site, runtime):
    visitor, frames, code = session_on_checkout(new_page, server, site, runtime, "/liveview-late-%s.html" % runtime)
    # Before any agent: nothing is recorded at all.
    visitor.locator("#name").fill("Before anyone")
    type_secrets(visitor)
    visitor.wait_for_timeout(300)
    assert not [frame for frame in frames if '"view"' in frame]

    first = new_page()
    join(first, server, code, "Alice")
    expect(replay(first).locator("#name")).to_have_value("Before anyone", timeout=15000)
    visitor.locator("#name").fill("Seen by Alice")
    expect(replay(first).locator("#name")).to_have_value("Seen by Alice")

    second = new_page()
    join(second, server, code, "Bob")
    expect(replay(second).locator("#name")).to_have_value("Seen by Alice", timeout=15000)
    visitor.evaluate("document.getElementById('title').textContent = 'Both see this'")
    for agent in (first, second):
        expect(replay(agent).locator("#title")).to_have_text("Both see this")
    assert_no_secret(frames, second)


def test_same_site_navigation_shows_the_new_page(new_page, server, site, runtime):
    next_path = "/liveview-next-%s.html" % runtime
    site.page(server, runtime, '<h1 id="title">Second page</h1>', path=next_path)
    visitor = new_page(visitor_page(site, server, runtime, "/liveview-nav-%s.html" % runtime, next_path))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    expect(replay(agent).locator("#title")).to_have_text("Checkout", timeout=15000)
    visitor.locator("#next").click()
    visitor.wait_for_url(re.compile(re.escape(next_path)))
    expect(replay(agent).locator("#title")).to_have_text("Second page", timeout=20000)
    expect(agent.locator("#visitor-url")).to_contain_text(next_path)
