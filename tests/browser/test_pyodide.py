"""data-runtime="pyodide": CPython for the page's own Python, off the main thread.

The co-browse core runs on MicroPython on the main thread; the page's ``<script type="py"
worker>`` gets CPython in a PyScript worker and hears the events over the page's events feed.
These pages have no COOP/COEP headers, so the workers have no SharedArrayBuffer.
"""

import json

from playwright.sync_api import expect

from support.site import EVENT_NAMES
from support.browser import boot, heard, join, start, wait_heard, widget

# The page's own Python: a worker listener that hands what it hears to the page's JavaScript
# over a channel of the test's own (a worker cannot reach the DOM without SharedArrayBuffer).
WORKER_LISTENER = """<script type="py" worker>
import json
import js
from cobrowse import EVENT_NAMES, Events

report = js.BroadcastChannel.new("test-python")

def hear(name):
    def listener(event):
        report.postMessage(json.dumps(["event", name, event]))
    return listener

for name in EVENT_NAMES:
    Events[name].listen(hear(name))
report.postMessage(json.dumps(["listening", None, None]))
</script>
<script>
  window.pyHeard = [];
  window.pyListening = false;
  new BroadcastChannel("test-python").onmessage = function (message) {
    var item = JSON.parse(message.data);
    if (item[0] === "listening") window.pyListening = true;
    else window.pyHeard.push([item[1], item[2]]);
  };
</script>"""

# A heartbeat on the host page: the longest gap between timer callbacks and between animation
# frames, from the first script of the page on.
HEARTBEAT = """<script>
  window.heartbeat = { timer: 0, frame: 0 };
  (function () {
    var lastTimer = performance.now();
    setInterval(function () {
      var now = performance.now();
      window.heartbeat.timer = Math.max(window.heartbeat.timer, now - lastTimer);
      lastTimer = now;
    }, 20);
    var lastFrame = performance.now();
    requestAnimationFrame(function frame(now) {
      window.heartbeat.frame = Math.max(window.heartbeat.frame, now - lastFrame);
      lastFrame = now;
      requestAnimationFrame(frame);
    });
  })();
</script>"""

# Generous: CPython starting on the main thread stalls this page for seconds.
STALL_BOUND_MS = 1000


def python_listening(page, timeout=60000):
    page.wait_for_function("window.pyListening", timeout=timeout)


def python_heard(page, count, timeout=15000):
    page.wait_for_function("(count) => window.pyHeard.length >= count", arg=count, timeout=timeout)
    return page.evaluate("window.pyHeard")


def test_the_host_page_never_stalls_while_cpython_starts(new_page, server, site):
    visitor = new_page(site.page(server, "pyodide", head=HEARTBEAT + WORKER_LISTENER))
    boot(visitor)
    python_listening(visitor)
    # The page keeps running a little after everything has loaded.
    visitor.wait_for_timeout(300)
    beats = visitor.evaluate("window.heartbeat")
    assert beats["timer"] < STALL_BOUND_MS, "the page's timers stalled for %.0f ms" % beats["timer"]
    assert beats["frame"] < STALL_BOUND_MS, "the page's animation frames stalled for %.0f ms" % beats["frame"]


def test_the_core_does_not_wait_for_cpython(new_page, server, site):
    visitor = new_page(site.page(server, "pyodide", head=WORKER_LISTENER))
    boot(visitor)
    # The co-browse core is up and the page's JS hears events while CPython still starts.
    assert visitor.evaluate("window.pyListening") is False
    wait_heard(visitor, "StateChanged")
    assert visitor.evaluate("window.pyListening") is False
    python_listening(visitor)
    # The event from before CPython was up reaches the worker all the same.
    assert python_heard(visitor, 1) == heard(visitor)


def test_worker_python_hears_every_event_of_a_session(new_page, server, site):
    links = '<p><a id="away" href="%s/elsewhere.html">Partner shop</a></p>' % site.elsewhere
    visitor = new_page(site.page(server, "pyodide", body=links, head=WORKER_LISTENER, site_code="PY-W"))
    boot(visitor)
    python_listening(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")
    # A link off the site: NavigatingAway, then the visitor stays.
    visitor.locator("#away").click()
    dialog = visitor.get_by_role("dialog", name="Leaving the co-browsing session")
    dialog.get_by_role("button", name="Cancel").click()
    wait_heard(visitor, "NavigatingAway")
    agent.get_by_role("button", name="Leave").click()
    wait_heard(visitor, "AgentDisconnected")
    widget(visitor).get_by_role("button", name="End").click()
    wait_heard(visitor, "SessionEnded")

    js_heard = heard(visitor)
    assert {name for name, _ in js_heard} == set(EVENT_NAMES)
    # The worker heard the same events, in the same order, with the same payloads (a property
    # the JavaScript listener gets as undefined is None in Python).
    py_heard = python_heard(visitor, len(js_heard))
    assert py_heard == json.loads(json.dumps(js_heard))
    assert len(py_heard) == len(js_heard)


def test_worker_listener_failures_are_isolated(new_page, server, site, expect_console_error):
    expect_console_error(r"Cobrowse: a StateChanged listener failed: .*boom")
    failing = WORKER_LISTENER.replace(
        "for name in EVENT_NAMES:",
        "def fail(event):\n    raise RuntimeError('boom')\n\nEvents.StateChanged.listen(fail)\nfor name in EVENT_NAMES:")
    visitor = new_page(site.page(server, "pyodide", head=failing))
    boot(visitor)
    python_listening(visitor)
    start(visitor)
    heard_in_python = python_heard(visitor, 4)
    assert [name for name, _ in heard_in_python][:2] == ["StateChanged", "SessionStarting"]
    expect(widget(visitor).get_by_text("Read this code to the agent")).to_be_visible()


def test_a_worker_on_the_next_page_hears_the_session_resume(new_page, server, site):
    second = site.page(server, "pyodide", head=WORKER_LISTENER, path="/resumed-python.html", title="Second")
    first = site.page(server, "pyodide", '<p><a id="next" href="%s">Next page</a></p>' % second, head=WORKER_LISTENER)
    visitor = new_page(first)
    boot(visitor)
    code = start(visitor)
    visitor.locator("#next").click()
    visitor.wait_for_url(second)
    boot(visitor)
    python_listening(visitor)
    resumed = wait_heard(visitor, "StateChanged")
    assert [(event["previousState"], event["state"], event["accessCode"]) for event in resumed] == [
        ("INIT", "ACTIVE:WAIT", code)]
    assert python_heard(visitor, 1) == json.loads(json.dumps(heard(visitor)))
