"""The live view on both runtimes: the agent sees the visitor's page, private data never leaves it.

Every frame the visitor's page sends is captured, so a masked secret is checked where it
matters: on the wire, not only in the agent's view.
"""

import re

from playwright.sync_api import expect

from helpers import boot, join, start, wait_heard

SECRETS = {
    "password": "hunter2-PASSWORD",
    "card": "4111111111111111",
    "notes": "NOTES-SECRET-77",
    "hidden": "HIDDEN-SECRET-42",
    "div": "DIV-SECRET-31",
    "cvc": "CVC-987",
}

FORM = """
<h1 id="title">Checkout</h1>
<form onsubmit="return false">
  <label>Name <input id="name"></label>
  <label>Password <input id="password" type="password"></label>
  <label>Card <input id="card" autocomplete="cc-number"></label>
  <label>CVC <input id="cvc" autocomplete="cc-csc"></label>
  <label>Notes <textarea id="notes"></textarea></label>
  <input type="hidden" id="hidden" value="{hidden}">
</form>
<div data-cobrowse-mask id="account">Account: {div}</div>
<p><a id="next" href="{next}">Next page</a></p>
<ul id="list"></ul>
"""


def visitor_page(site, server, runtime, path, next_path="/liveview-next.html"):
    body = FORM.format(hidden=SECRETS["hidden"], div=SECRETS["div"], next=next_path)
    return site.page(server, runtime, body, path=path, data_mask="#notes")


def capture_frames(page):
    """Every text frame the page sends over any WebSocket."""
    frames = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: frames.append(str(payload))))
    return frames


def replay(agent):
    return agent.frame_locator("#replay iframe")


def type_secrets(visitor):
    visitor.locator("#password").fill(SECRETS["password"])
    visitor.locator("#card").fill(SECRETS["card"])
    visitor.locator("#cvc").fill(SECRETS["cvc"])
    visitor.locator("#notes").fill(SECRETS["notes"])


def session_on_checkout(new_page, server, site, runtime, path):
    """A visitor on the checkout page ``path``, in a session: ``(visitor, frames, code)``, where
    ``frames`` fills with every frame the visitor's page sends."""
    visitor = new_page()
    frames = capture_frames(visitor)
    visitor.goto(visitor_page(site, server, runtime, path))
    boot(visitor)
    return visitor, frames, start(visitor)


def watching(new_page, server, code, name="Alice"):
    """An agent who joined session ``code`` and sees the checkout page in its replay."""
    agent = new_page()
    join(agent, server, code, name)
    expect(replay(agent).locator("#title")).to_have_text("Checkout", timeout=15000)
    return agent


def assert_no_secret(frames, agent):
    sent = "\n".join(frames)
    html = agent.frame_locator("#replay iframe").locator("html").inner_html()
    for name, secret in SECRETS.items():
        assert secret not in sent, "%s left the visitor's browser" % name
        assert secret not in html, "%s reached the agent's view" % name


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
