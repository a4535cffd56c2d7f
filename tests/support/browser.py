"""Steps the browser tests share.

- The widget: ``boot``, ``start``, ``heard``, ``wait_heard``, ``widget`` (its region),
  ``LEAVE_DIALOG``.
- The agent console: ``join``, ``replay`` (the replayed page), ``watching``, ``watched_app`` (a
  framework app in a session, watched), ``take_control`` (``request``, then the visitor's
  ``consent``), ``point`` and ``click`` on a replayed element.
- The live view's privacy checks: ``visitor_page``, ``session_on_checkout``, ``type_secrets``,
  ``capture_frames``, ``assert_no_secret``, ``SECRETS``, ``FORM``, ``FILLED``.
"""

import re

from playwright.sync_api import expect

from support.apps import app_title, framework_page


def boot(page):
    """Wait until Python has taken over the page's widget."""
    page.evaluate("Cobrowse.ready().then(() => true)")


def heard(page, name=None):
    """The events the page's own script heard, as [name, properties] pairs (or properties)."""
    events = page.evaluate("window.heard")
    return [event for kind, event in events if kind == name] if name else events


def wait_heard(page, name, count=1, timeout=15000):
    """Wait until the page's script heard ``count`` events called ``name``; return them."""
    page.wait_for_function(
        "([name, count]) => window.heard.filter((e) => e[0] === name).length >= count",
        arg=[name, count], timeout=timeout,
    )
    return heard(page, name)


def start(page, options=None):
    """Start a session through the API and return the access code."""
    assert page.evaluate("(o) => Cobrowse.API.Session.start(o)", options) == {"result": True}
    started = wait_heard(page, "SessionStarted")
    return started[-1]["accessCode"]


def join(agent, server, code, name="Alice"):
    """Join the session ``code`` (an access code or a SID) from the agent console."""
    agent.goto(server.console_url)
    agent.get_by_label("Access code").fill(code)
    agent.get_by_label("Your name").fill(name)
    agent.get_by_role("button", name="Join").click()
    expect(agent.get_by_role("heading", name=re.compile(r"^Session .*" + re.escape(code)))).to_be_visible()


def widget(page):
    """The widget's region (inside its open shadow root; Playwright locators pierce it)."""
    return page.get_by_role("region", name="Co-browse")


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


LEAVE_DIALOG = "Leaving the co-browsing session"


def request(agent):
    button = agent.get_by_role("button", name="Request control")
    expect(button).to_be_enabled()
    button.click()


def consent(visitor):
    return visitor.get_by_role("alertdialog", name="Allow Alice to control this page?")


def take_control(visitor, agent):
    """Alice asks for control in the console and the visitor allows it in the dialog."""
    request(agent)
    consent(visitor).get_by_role("button", name="Allow").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()


def point(agent, selector):
    """The middle of the replayed element ``selector``, in the console's coordinates."""
    box = replay(agent).locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def click(agent, selector):
    agent.mouse.click(*point(agent, selector))


def watched_app(new_page, server, site, runtime, name):
    """A visitor on app ``name`` in a session, and an agent watching: ``(visitor, agent)``."""
    visitor = new_page(framework_page(site, server, runtime, name))
    boot(visitor)
    expect(visitor.locator("#app-title")).to_have_text(app_title(name))
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#app-title")).to_have_text(app_title(name), timeout=15000)
    return visitor, agent


def visitor_page(site, server, runtime, path, next_path="/liveview-next.html"):
    body = FORM.format(hidden=SECRETS["hidden"], div=SECRETS["div"], next=next_path)
    return site.page(server, runtime, body, path=path, data_mask="#notes")


def capture_frames(page):
    """Every text frame the page sends over any WebSocket."""
    frames = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: frames.append(str(payload))))
    return frames
