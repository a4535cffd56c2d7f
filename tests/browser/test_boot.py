"""A widget that never hangs and never throws into the host page, and works under a strict
Content-Security-Policy, on both runtimes.

Pages here load their own script from a file (``/heard.js``) rather than inline, so that a
policy without ``'unsafe-inline'`` lets it run. Each failure must reject ``Cobrowse.ready()``
with a message saying what failed, move the state to ``ERROR`` with one StateChanged, leave the
page's own scripts and error handlers untouched, and let no error of ours escape uncaught (the
``watch`` fixture fails the test on any ``pageerror``).
"""

import json
import re

import pytest
from playwright.sync_api import expect

from support.site import EVENT_NAMES
from support.processes import ROOT
from support.browser import join, wait_heard, widget
from support.browser import replay

# The customer's own script: it records every co-browse event, counts the errors its own
# error reporting would see, and proves it keeps running.
HEARD = """
window.heard = [];
window.siteErrors = [];
%s.forEach(function (name) {
  Cobrowse.Events[name].listen(function (event) { window.heard.push([name, event]); });
});
window.addEventListener("error", function (event) { window.siteErrors.push(String(event.message)); });
window.addEventListener("unhandledrejection", function (event) { window.siteErrors.push(String(event.reason)); });
window.outcome = Cobrowse.ready().then(function () { return "resolved"; }, function (error) {
  return error instanceof Error ? "rejected: " + error.message : "rejected with a non-Error";
});
document.addEventListener("DOMContentLoaded", function () {
  document.getElementById("own").addEventListener("click", function () { this.textContent = "clicked"; });
});
""" % json.dumps(EVENT_NAMES)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><link rel="icon" href="data:,">
{before}
<script src="{server}/static/cobrowse.js" data-site-code="TEST-1" data-runtime="{runtime}" {attributes}></script>
<script src="/heard.js"></script>
</head><body>
<h1>{title}</h1>
<button id="own" type="button">The site's own button</button>
{body}
</body></html>"""

# The page's own Python under data-runtime="pyodide": a worker listener that hands what it
# hears to the page's script (/py-heard.js) over a channel of the test's own.
WORKER_LISTENER = """<script type="py" worker>
import json
import js
from cobrowse import EVENT_NAMES, Events

report = js.BroadcastChannel.new("test-python")

def hear(name):
    def listener(event):
        report.postMessage(json.dumps([name, event]))
    return listener

for name in EVENT_NAMES:
    Events[name].listen(hear(name))
</script>"""
PY_HEARD = """
window.pyHeard = [];
new BroadcastChannel("test-python").onmessage = function (message) { window.pyHeard.push(JSON.parse(message.data)); };
"""

# webcomponents.js 0.7 (npm, pinned in package.json) with its Shadow DOM polyfill forced on,
# as sites built for browsers without native Shadow DOM did: it wraps `document`.
POLYFILL = '<script src="/polyfill-flags.js"></script><script src="/webcomponents.js"></script>'

# What a bank's page allows for itself, before it adds the widget.
CUSTOMER_POLICY = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "connect-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
}


@pytest.fixture(scope="module")
def pages(site):
    site.pages["/heard.js"] = HEARD
    site.pages["/py-heard.js"] = PY_HEARD
    site.pages["/polyfill-flags.js"] = "window.WebComponents = {flags: {shadow: true}};"
    site.pages["/webcomponents.js"] = (ROOT / "node_modules/webcomponents.js/webcomponents.js").read_text()

    def publish(server, runtime, path, before="", body="", policy=None, title="Customer page", **attributes):
        extra = " ".join('%s="%s"' % (name.replace("_", "-"), value) for name, value in attributes.items())
        site.pages[path] = PAGE.format(title=title, server=server.base, runtime=runtime, before=before, body=body,
                                       attributes=extra)
        if policy:
            site.server.page_headers[path] = {"Content-Security-Policy": policy}
        return site.base + path

    return publish


def readme_policy(server, runtime):
    """The customer's policy plus exactly the directives the README tells a site to add."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Content-Security-Policy", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```text\n")[1:]
    policy = {name: list(sources) for name, sources in CUSTOMER_POLICY.items()}
    for block in blocks:
        header, *lines = block.split("```", 1)[0].strip().splitlines()
        if "pyodide" in header and runtime != "pyodide":
            continue
        for line in lines:
            line = line.replace("https://cobrowse.example", server.base).replace("wss://cobrowse.example", server.ws)
            name, *sources = line.split()
            policy.setdefault(name, []).extend(sources)
    return "; ".join(" ".join([name] + sources) for name, sources in policy.items())


def outcome(page):
    return page.evaluate("window.outcome")


def assert_failed_cleanly(page, message):
    """ready() rejected saying why, the state is ERROR, and the page's own script is unharmed."""
    assert re.search(message, outcome(page)), outcome(page)
    assert page.evaluate("Cobrowse.API.Session.getState()") == "ERROR"
    changes = wait_heard(page, "StateChanged")
    assert [(change["previousState"], change["state"]) for change in changes] == [("INIT", "ERROR")]
    started = page.evaluate("Cobrowse.API.Session.start()")
    assert started["result"] is False and "unavailable" in started["description"], started
    page.locator("#own").click()
    expect(page.locator("#own")).to_have_text("clicked")
    assert page.evaluate("window.siteErrors") == []
    expect(widget(page)).to_have_count(0)


def test_a_dom_wrapping_polyfill_fails_cleanly_then_a_clean_page_works(new_page, server, site, pages, runtime, expect_console_error):
    expect_console_error(r"^Cobrowse: co-browse is unavailable on this page: the co-browse runtime failed to start: .*querySelectorAll is not a function")
    visitor = new_page(pages(server, runtime, "/boot-polyfill-%s.html" % runtime, before=POLYFILL))
    assert_failed_cleanly(visitor, r"^rejected: the co-browse runtime failed to start: .*querySelectorAll is not a function")
    # The polyfill really wrapped the page's document.
    assert visitor.evaluate("!(document instanceof Document)")

    # The cause goes away on the next page of the tab: the widget boots as usual there.
    visitor.goto(pages(server, runtime, "/boot-clean-%s.html" % runtime))
    assert outcome(visitor) == "resolved"
    assert [(change["previousState"], change["state"]) for change in wait_heard(visitor, "StateChanged")] == [("INIT", "READY")]
    expect(widget(visitor).get_by_role("button", name="Co-browse")).to_be_visible()


def test_a_policy_without_wasm_fails_cleanly_saying_so(new_page, server, site, pages, runtime, expect_console_error):
    # The runtime's own glue logs its failure to compile WebAssembly before it gives up.
    expect_console_error(r"WebAssembly|wasm|ArrayBuffer instantiation")
    expect_console_error(r"^Cobrowse: co-browse is unavailable on this page: the page's Content-Security-Policy blocked")
    policy = "script-src 'self' %s; connect-src 'self' %s %s" % (server.base, server.base, server.ws)
    visitor = new_page(pages(server, runtime, "/boot-no-wasm-%s.html" % runtime, policy=policy))
    assert_failed_cleanly(visitor, r"^rejected: the page's Content-Security-Policy blocked the co-browse runtime "
                                   r"\(script-src does not allow 'wasm-unsafe-eval', needed by .*/static/(micropython|pyodide)/")


@pytest.mark.slow
def test_a_server_that_is_down_at_resume_fails_within_the_boot_timeout(new_page, server, site, pages, runtime, proxy, expect_console_error):
    # Long enough for the runtime to start on a busy machine, then as long for the server.
    seconds = {"micropython": 5, "pyodide": 60}[runtime]
    expect_console_error(r"WebSocket connection to .* failed|ERR_CONNECTION")
    expect_console_error(r"^Cobrowse: co-browse is unavailable on this page: the co-browse server at .* did not answer within %d s" % seconds)
    # The server keeps the session through the outage: its network timeout outlasts the test.
    visitor = new_page(pages(server, runtime, "/boot-first-%s.html" % runtime, data_server=proxy.base, data_network_timeout=300))
    assert outcome(visitor) == "resolved"
    assert visitor.evaluate("Cobrowse.API.Session.start()") == {"result": True}
    wait_heard(visitor, "SessionStarted")

    proxy.down()
    proxy.cut()
    # The network timeout is longer than the boot's: only the boot guard ends the wait.
    visitor.goto(pages(server, runtime, "/boot-down-%s.html" % runtime, data_server=proxy.base, data_boot_timeout=seconds,
                       data_network_timeout=300))
    assert re.search(r"^rejected: the co-browse server at http://127\.0\.0\.1:\d+ did not answer within %d s" % seconds, outcome(visitor))
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ERROR"
    changes = wait_heard(visitor, "StateChanged")
    assert [(change["previousState"], change["state"]) for change in changes] == [("INIT", "ERROR")]
    assert visitor.evaluate("window.siteErrors") == []

    # The server is back on the next page: the session the tab kept is resumed there.
    proxy.up()
    visitor.goto(pages(server, runtime, "/boot-back-%s.html" % runtime, data_server=proxy.base, data_network_timeout=300))
    assert outcome(visitor) == "resolved"
    changes = wait_heard(visitor, "StateChanged")
    assert [(change["previousState"], change["state"]) for change in changes] == [("INIT", "ACTIVE:WAIT")]


def test_a_whole_session_under_the_readme_policy(new_page, server, site, pages, runtime):
    policy = readme_policy(server, runtime)
    assert "unsafe-eval'" not in policy.replace("wasm-unsafe-eval", "") and "unsafe-inline" not in policy
    assert ("worker-src blob:" in policy) == (runtime == "pyodide")
    violations = []
    visitor = new_page()
    visitor.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    # On Pyodide the page's own Python runs in a worker and hears the events too.
    own_python = '<script src="/py-heard.js"></script>' + WORKER_LISTENER if runtime == "pyodide" else ""
    visitor.goto(pages(server, runtime, "/boot-strict-%s.html" % runtime, body=own_python, policy=policy, title="Strict bank"))
    assert outcome(visitor) == "resolved"

    # The widget's styles apply without 'unsafe-inline' in style-src.
    button = widget(visitor).get_by_role("button", name="Co-browse")
    assert button.evaluate("(element) => getComputedStyle(element).backgroundColor") == "rgb(11, 92, 213)"
    button.click()
    code = wait_heard(visitor, "SessionStarted")[0]["accessCode"]

    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).get_by_role("heading", name="Strict bank")).to_be_visible(timeout=15000)
    visitor.locator("#own").click()
    expect(replay(agent).locator("#own")).to_have_text("clicked")

    # Remote control's dialog and bar are styled under the same policy.
    agent.get_by_role("button", name="Request control").click()
    visitor.get_by_role("alertdialog", name="Allow Alice to control this page?").get_by_role("button", name="Allow").click()
    stop = visitor.get_by_role("button", name="Stop control")
    expect(stop).to_be_visible()
    assert stop.evaluate("(element) => getComputedStyle(element).backgroundColor") == "rgb(179, 38, 30)"
    stop.click()
    expect(agent.get_by_role("button", name="Request control")).to_be_visible()

    assert visitor.evaluate("Cobrowse.API.Session.stop()")["result"] is True
    assert wait_heard(visitor, "SessionEnded")[0]["reason"] == "USER_INITIATED"
    assert violations == []
    assert visitor.evaluate("window.siteErrors") == []
    if runtime == "pyodide":
        visitor.wait_for_function("() => window.pyHeard.some((item) => item[0] === \"SessionEnded\")", timeout=120000)
        assert [name for name, _ in visitor.evaluate("window.pyHeard")] == [name for name, _ in visitor.evaluate("window.heard")]


def test_a_server_unreachable_after_the_loader_fails_saying_so(new_page, server, site, pages, runtime, expect_console_error):
    # The loader came (from a cache, a CDN); the server it names refuses connections.
    expect_console_error(r"ERR_CONNECTION_REFUSED|Failed to load resource")
    expect_console_error(r"^Cobrowse: co-browse is unavailable on this page: the co-browse server at .* is unreachable")
    visitor = new_page()
    visitor.route(server.base + "/cobrowse/manifest.json", lambda route: route.abort("connectionrefused"))
    visitor.goto(pages(server, runtime, "/boot-unreachable-%s.html" % runtime))
    assert_failed_cleanly(visitor, r"^rejected: the co-browse server at %s/ is unreachable \(" % re.escape(server.base))


def test_a_policy_without_blob_workers_keeps_the_widget_and_says_so_once(new_page, server, site, pages, expect_console_error):
    # The page's own Python workers (data-runtime="pyodide") are blocked; the widget is not.
    expect_console_error(r"violates the following Content Security Policy directive|Refused to connect")
    expect_console_error(r"^Cobrowse: the page's Content-Security-Policy blocked the Python workers of data-runtime=\"pyodide\"")
    policy = readme_policy(server, "micropython")
    visitor = new_page(pages(server, "pyodide", "/boot-no-blob.html", body=WORKER_LISTENER, policy=policy))
    assert outcome(visitor) == "resolved"
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "READY"
    visitor.wait_for_timeout(1000)
    assert visitor.evaluate("window.siteErrors") == []
