"""Small steps the browser tests share: booting the widget, reading events, joining as agent."""

import re

from playwright.sync_api import expect


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


def run_async(coroutine):
    """Run a coroutine to completion on a fresh event loop in its own thread.

    Sync Playwright keeps an event loop running on the main thread once a browser test has run
    in this process, and ``asyncio.run`` refuses to start inside it.
    """
    import asyncio
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
