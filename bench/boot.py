"""Boot benchmark: how long a customer's page waits for the widget, and what it costs the page.

Run it with ``.venv/bin/python bench/boot.py [--rounds N]`` (``make bench``). For each runtime
(MicroPython and Pyodide) it loads these pages from a customer site on another origin than the
cobrowse server:

- ``widget``: the one ``<script src=".../static/cobrowse.js">`` tag; ready is when the promise of
  ``Cobrowse.ready()`` resolves. With Pyodide the page also has a Python listener of its own in
  a ``<script type="py" worker>``, as the README shows: CPython starts in a PyScript worker.
- ``main-thread`` (Pyodide only, the old way, as a baseline): the same page with the listener in
  a main-thread ``<script type="py">``, so CPython starts on the page's main thread.
- ``bare``: a bare PyScript page on the same runtime, loaded from the same server, whose only
  Python puts "hello" in the DOM; ready is when that text appears (a MutationObserver).
- with ``--against NAME=DIR`` (MicroPython only, repeatable): the ``widget`` page again, its
  widget loaded from a server of its own running the checkout in DIR (a copy of main, say), so
  that a change and what it replaces are measured side by side in one run.

On the pages with a Python listener, ``python`` is when that listener is attached and the page
heard from it; long tasks are counted until both ready and python, plus ``--settle-ms``: the
page's whole load.

Both times are ``performance.now()`` in the page at that moment, that is milliseconds since
navigation start, taken in a microtask right after Python did its work. The moment PyScript
dispatches its ``mpy:done`` / ``py:done`` event is recorded as well, as a cross-check.

Each load also records the bytes on the wire (response bodies as transferred, from the Chrome
DevTools Protocol: ``Network.loadingFinished.encodedDataLength`` minus the header bytes of the
response), the number of requests, and the long tasks the host page suffers (a
``PerformanceObserver`` for ``longtask`` with ``buffered: true``, registered by an init script
before any script of the page runs), from navigation start until ``--settle-ms`` after ready.
Total blocking time is the sum over those tasks of their duration beyond 50 ms.

Cold loads use a brand-new browser profile each time. Warm loads reuse one profile per runtime
and variant, primed by two loads that are not counted (Chromium stores V8's code cache for a
script only when it sees the script again), and relaunch the browser each time: a returning
visitor. Persistent profiles are used for both, because incognito contexts never cache Pyodide's
9.6 MB wasm. Each freshly launched browser first shows a blank page of the customer site for
``--idle-ms``, so that its own start-up work does not land on the measured load. The variants
are interleaved (widget and bare alternate, their order flips every round) and the medians over
the rounds are reported, with the median of the per-round widget/bare ratios as a cross-check.

Requests that would leave this machine are blocked by pointing Chromium at a dead proxy (loopback
addresses bypass a proxy), and any such request is reported. Playwright's ``route()`` is not used
for this: enabling request interception makes Playwright disable Chromium's HTTP cache, which
would make every warm load cold, and it adds a round trip to this script for every request.

Figures go to ``bench/results/boot.json`` and ``bench/results/boot.md``; the table is printed.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
# The server process is started the way the tests start it (tests/support/processes.py).
sys.path.insert(0, str(ROOT / "tests"))
from support.chromium import CHROMIUM, CHROMIUM_ARGS, DEAD_PROXY, LOOPBACK  # noqa: E402, F401 - needs the path above.
from support.processes import PageServer, ServerProcess  # noqa: E402
RESULTS = ROOT / "bench" / "results"
AGENT_KEY = "bench-agent-key"
RUNTIMES = ("micropython", "pyodide")
VARIANTS = {"micropython": ("widget", "bare"), "pyodide": ("widget", "main-thread", "bare")}
CACHES = ("cold", "warm")
WARM_PRIMING_LOADS = 2
READY_TIMEOUT_MS = 90_000
# The targets for the MicroPython widget.
TARGET_RATIO = 1.3
TARGET_WIRE_BYTES = 400_000  # 400 KB, with KB meaning 1,000 bytes throughout.
# The targets for the Pyodide widget: what the host page suffers while everything loads, and
# Cobrowse.ready() against the MicroPython widget's.
TARGET_LONGEST_TASK_MS = 200
TARGET_TBT_MS = 300

# Runs in every document before its own scripts: the long-task observer, the ready promise and
# the PyScript done event.
INIT_SCRIPT = """
(() => {
  if (window.top !== window || window.__bench) return;
  const bench = window.__bench = { marks: {}, longtasks: [], errors: [] };
  // A promise per mark, so that waiting for one needs no polling on the page's main thread.
  const waiting = {};
  bench.when = (name) => name in bench.marks ? Promise.resolve(bench.marks[name])
    : new Promise((resolve) => { (waiting[name] = waiting[name] || []).push(resolve); });
  bench.mark = (name) => {
    if (name in bench.marks) return;
    bench.marks[name] = performance.now();
    (waiting[name] || []).forEach((resolve) => resolve(bench.marks[name]));
  };
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longtasks.push([entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (error) {
    bench.errors.push("longtask observer: " + error);
  }
  for (const type of ["mpy:done", "py:done"]) {
    document.addEventListener(type, () => bench.mark("done"), { capture: true, once: true });
  }
})();
"""

WIDGET_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer page with the widget</title>
<link rel="icon" href="data:,">
<script src="{server}/static/cobrowse.js" data-site-code="BENCH-1" data-runtime="{runtime}"></script>
<script>Cobrowse.ready().then(function () {{ window.__bench.mark("ready"); }});</script>
{python}
</head><body>
<h1>A customer page</h1>
<p>Some content of the customer's own.</p>
</body></html>
"""

# The page's own Python listener (Pyodide pages), in a worker or on the main thread.
PYTHON_LISTENER = """<script>
  new BroadcastChannel("bench-python").onmessage = function () {{ window.__bench.mark("python"); }};
</script>
<script type="py"{worker}>
import js
from cobrowse import Events

Events.StateChanged.listen(lambda event: None)
js.BroadcastChannel.new("bench-python").postMessage("listening")
</script>"""

BARE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bare PyScript page</title>
<link rel="icon" href="data:,">
<script type="module" src="{server}/static/pyscript/core.js"></script>
</head><body>
<h1>A customer page</h1>
<p>Some content of the customer's own.</p>
<div id="out"></div>
<script>
  new MutationObserver(function (records, observer) {{
    if (document.getElementById("out").textContent.indexOf("hello") >= 0) {{
      observer.disconnect();
      window.__bench.mark("ready");
    }}
  }}).observe(document.getElementById("out"), {{ childList: true, subtree: true, characterData: true }});
</script>
<script type="{tag}" config='{config}'>
from pyscript import display
display("hello", target="out")
</script>
</body></html>
"""


class Server(ServerProcess):
    """A cobrowse server process on 127.0.0.1, started as the tests start it."""

    def __init__(self):
        super().__init__(agent_key=AGENT_KEY)


class Site:
    """The customer's site: the benchmark pages, on http://localhost:PORT (another origin).

    ``against`` maps the name of each extra MicroPython variant to the server of its checkout.
    """

    def __init__(self, server, against=None):
        self.servers = dict(against or {})
        pages = {}
        for name, other in self.servers.items():
            pages["/%s-micropython.html" % name] = WIDGET_PAGE.format(server=other.base, runtime="micropython", python="")
        for runtime in RUNTIMES:
            tag = "py" if runtime == "pyodide" else "mpy"
            interpreter = "%s/static/%s/%s.mjs" % (server.base, runtime, runtime)
            worker = PYTHON_LISTENER.format(worker=" worker") if runtime == "pyodide" else ""
            pages["/widget-%s.html" % runtime] = WIDGET_PAGE.format(server=server.base, runtime=runtime, python=worker)
            if "main-thread" in VARIANTS[runtime]:
                pages["/main-thread-%s.html" % runtime] = WIDGET_PAGE.format(
                    server=server.base, runtime=runtime, python=PYTHON_LISTENER.format(worker=""))
            pages["/bare-%s.html" % runtime] = BARE_PAGE.format(
                server=server.base, tag=tag, config=json.dumps({"interpreter": interpreter}))
        pages["/blank.html"] = "<!doctype html><title>Blank</title><link rel='icon' href='data:,'>"

        self.server = PageServer(pages, headers={"Cache-Control": "no-cache"})
        self.base = "http://localhost:%d" % self.server.port

    @property
    def landing(self):
        return self.base + "/blank.html"

    def url(self, runtime, variant):
        return "%s/%s-%s.html" % (self.base, variant, runtime)

    def server_for(self, variant, server):
        """The cobrowse server a variant's page loads from (``server`` unless it is an extra one)."""
        return self.servers.get(variant, server)

    def stop(self):
        self.server.stop()


class Network:
    """What one page fetched, from the Chrome DevTools Protocol."""

    def __init__(self, cdp):
        self.requests = {}
        self.outside = []
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.requestServedFromCache", self._from_memory)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def _entry(self, request_id):
        return self.requests.setdefault(request_id, {"url": None, "status": None, "headers": 0, "total": None})

    def _sent(self, event):
        url = event["request"]["url"]
        if not url.startswith(("http:", "https:", "ws:", "wss:")):
            return
        entry = self._entry(event["requestId"])
        entry["url"] = url
        if (urlsplit(url).hostname or "") not in LOOPBACK:
            self.outside.append(url)

    def _received(self, event):
        entry = self._entry(event["requestId"])
        response = event["response"]
        headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
        entry.update(
            url=entry["url"] or response["url"],
            status=response["status"],
            headers=response.get("encodedDataLength", 0),
            encoding=headers.get("content-encoding", ""),
            cache=headers.get("cache-control", ""),
            from_disk=bool(response.get("fromDiskCache")),
            from_memory=bool(response.get("fromMemoryCache")) or entry.get("from_memory", False),
        )

    def _from_memory(self, event):
        self._entry(event["requestId"])["from_memory"] = True

    def _finished(self, event):
        self._entry(event["requestId"])["total"] = event["encodedDataLength"]

    def _failed(self, event):
        self._entry(event["requestId"])["failed"] = event.get("errorText", "failed")

    def files(self, origin):
        """One row per request to ``origin``: URL, status, body bytes as transferred, and how."""
        rows = []
        for entry in self.requests.values():
            url = entry["url"]
            if not url or not url.startswith(origin + "/"):
                continue
            total = entry["total"] or 0
            rows.append({
                "path": url[len(origin):],
                "status": entry["status"],
                "body_bytes": max(total - (entry["headers"] or 0), 0),
                "total_bytes": total,
                "content_encoding": entry.get("encoding", ""),
                "cache_control": entry.get("cache", ""),
                "from_cache": entry.get("from_disk", False) or entry.get("from_memory", False),
                "failed": entry.get("failed"),
            })
        return sorted(rows, key=lambda row: -row["body_bytes"])


def launch(playwright, profile):
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS + [DEAD_PROXY], headless=True)
    context.add_init_script(INIT_SCRIPT)
    return context


def load(playwright, profile, url, server, landing, options, python=False):
    """Load ``url`` in a browser on ``profile``; return what it measured.

    With ``python``, the page has a Python listener of its own: the load ends once it is there.

    The browser first shows ``landing``, a blank page of the same site, and idles for
    ``options.idle_ms``: a browser that has just started is still busy setting itself up (more
    so on a new profile), and that work would otherwise land on the measured page's two CPUs.
    """
    context = launch(playwright, profile)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(landing)
        page.wait_for_timeout(options.idle_ms)
        console = []
        page.on("console", lambda message: message.type == "error" and console.append(message.text))
        page.on("pageerror", lambda error: console.append("uncaught: %s" % error))
        cdp = context.new_cdp_session(page)
        network = Network(cdp)
        cdp.send("Network.enable")
        page.goto(url, wait_until="domcontentloaded")
        wait = """([name, timeout]) => Promise.race([window.__bench.when(name), new Promise((resolve, reject) =>
                    setTimeout(() => reject(new Error("no " + name + " after " + timeout + " ms")), timeout))])"""
        ready = page.evaluate(wait, ["ready", READY_TIMEOUT_MS])
        if python:
            page.evaluate(wait, ["python", READY_TIMEOUT_MS])
        page.wait_for_timeout(options.settle_ms)
        state = page.evaluate("""() => ({
            marks: window.__bench.marks, longtasks: window.__bench.longtasks,
            errors: window.__bench.errors, now: performance.now(), agent: navigator.userAgent,
            timeline: performance.getEntriesByType("resource").map((entry) => [
                entry.name, Math.round(entry.startTime), Math.round(entry.responseEnd)]) })""")
        cdp.detach()
    finally:
        context.close()
    tasks = [duration for start, duration in state["longtasks"]]
    files = network.files(server.base)
    return {
        "ready_ms": round(ready, 1),
        "done_ms": round(state["marks"]["done"], 1) if "done" in state["marks"] else None,
        "python_ms": round(state["marks"]["python"], 1) if "python" in state["marks"] else None,
        "wire_bytes": sum(row["body_bytes"] for row in files),
        "wire_bytes_with_headers": sum(row["total_bytes"] for row in files),
        "requests": len(files),
        "from_cache": sum(row["from_cache"] for row in files),
        "tbt_ms": round(sum(max(duration - 50, 0) for duration in tasks), 1),
        "longest_task_ms": round(max(tasks, default=0), 1),
        "long_tasks": len(tasks),
        "window_ms": round(state["now"], 1),
        "console_errors": console + state["errors"],
        "outside": network.outside,
        "files": files,
        "timeline": [[url.replace(server.base, ""), start, end] for url, start, end in state["timeline"]],
        "user_agent": state["agent"],
    }


def has_python(runtime, variant):
    """Whether the page has a Python listener of its own (the Pyodide widget pages)."""
    return runtime == "pyodide" and variant != "bare"


def check_blocking(playwright, profile, site):
    """Show that a request off this machine fails and is seen, so a clean report means something."""
    context = launch(playwright, profile)
    try:
        page = context.pages[0] if context.pages else context.new_page()
        cdp = context.new_cdp_session(page)
        network = Network(cdp)
        cdp.send("Network.enable")
        page.goto(site.base + "/blank.html")
        outcome = page.evaluate("""() => fetch("http://example.com/", {mode: "no-cors"})
            .then(() => "fetched", (error) => "failed: " + error.message)""")
        page.wait_for_timeout(100)
        cdp.detach()
    finally:
        context.close()
    return {"outcome": outcome, "seen": network.outside}


def median(values):
    values = [value for value in values if value is not None]
    return round(statistics.median(values), 1) if values else None


def summarize(samples, variants):
    """Medians per runtime, variant and cache state, and the widget/bare ratios."""
    summary = {}
    for runtime in variants:
        summary[runtime] = {}
        for variant in variants[runtime]:
            row = summary[runtime][variant] = {}
            for cache in CACHES:
                picked = [s for s in samples if (s["runtime"], s["variant"], s["cache"]) == (runtime, variant, cache)]
                for key in ("ready_ms", "done_ms", "python_ms", "wire_bytes", "wire_bytes_with_headers", "requests",
                            "from_cache", "tbt_ms", "longest_task_ms", "long_tasks"):
                    row["%s_%s" % (cache, key)] = median([s[key] for s in picked])
                row["%s_samples_ready_ms" % cache] = [s["ready_ms"] for s in picked]
        for cache in CACHES:
            bare = summary[runtime]["bare"]["%s_ready_ms" % cache]
            for variant in variants[runtime]:
                mine = summary[runtime][variant]["%s_ready_ms" % cache]
                summary[runtime][variant]["%s_ratio" % cache] = round(mine / bare, 2) if mine and bare else None
            # The two variants of one round run back to back, so the ratio within a round is
            # less exposed to the machine's slow drifts than the ratio of the medians.
            paired = {}
            for sample in samples:
                if (sample["runtime"], sample["cache"]) == (runtime, cache):
                    paired.setdefault(sample["round"], {})[sample["variant"]] = sample["ready_ms"]
            for variant in variants[runtime]:
                ratios = [pair[variant] / pair["bare"] for pair in paired.values() if variant in pair and "bare" in pair]
                if variant != "bare":
                    summary[runtime][variant]["%s_paired_ratio" % cache] = round(statistics.median(ratios), 2) if ratios else None
    return summary


def kb(value):
    return "%.0f" % (value / 1000) if value is not None else "n/a"


def ms(value):
    return "%.0f" % value if value is not None else "n/a"


def table(summary, variants):
    lines = [
        "| Runtime | Variant | Ready cold (ms) | Ready warm (ms) | /bare cold | /bare warm "
        "| Python listener cold (ms) | Python listener warm (ms) "
        "| Wire cold (KB) | Wire warm (KB) | Requests | TBT cold (ms) | TBT warm (ms) "
        "| Longest task cold (ms) | Longest task warm (ms) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for runtime in variants:
        for variant in variants[runtime]:
            row = summary[runtime][variant]
            lines.append("| %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                runtime, variant, ms(row["cold_ready_ms"]), ms(row["warm_ready_ms"]),
                row["cold_ratio"] or 0, row["warm_ratio"] or 0, ms(row["cold_python_ms"]), ms(row["warm_python_ms"]),
                kb(row["cold_wire_bytes"]), kb(row["warm_wire_bytes"]),
                ms(row["cold_requests"]), ms(row["cold_tbt_ms"]), ms(row["warm_tbt_ms"]),
                ms(row["cold_longest_task_ms"]), ms(row["warm_longest_task_ms"])))
    return "\n".join(lines)


def targets(summary):
    """The targets: MicroPython ready within 1.3x bare, at most 400 KB on the wire, TBT within
    10 ms of bare; Pyodide with no task over 200 ms, TBT under 300 ms, ready within 1.3x the
    MicroPython widget's."""
    if "micropython" not in summary:
        return []
    widget = summary["micropython"]["widget"]
    checks = []
    if "pyodide" in summary:
        checks += pyodide_targets(summary["pyodide"]["widget"], widget)
    for cache in CACHES:
        ratio = widget["%s_ratio" % cache]
        paired = widget["%s_paired_ratio" % cache]
        checks.append({
            "target": "MicroPython widget ready within %.1fx bare (%s)" % (TARGET_RATIO, cache),
            "value": "%.2fx (median of the per-round ratios: %s)" % (ratio, "%.2fx" % paired if paired else "n/a")
                     if ratio else "n/a",
            "pass": bool(ratio) and ratio <= TARGET_RATIO,
        })
    wire = widget["cold_wire_bytes"]
    checks.append({
        "target": "MicroPython widget at most %d KB on the wire (cold)" % (TARGET_WIRE_BYTES // 1000),
        "value": "%s KB" % kb(wire),
        "pass": wire is not None and wire <= TARGET_WIRE_BYTES,
    })
    bare = summary["micropython"]["bare"]
    for cache in CACHES:
        mine, theirs = widget["%s_tbt_ms" % cache], bare["%s_tbt_ms" % cache]
        checks.append({
            "target": "MicroPython widget TBT within 10 ms of bare (%s)" % cache,
            "value": "%s ms against %s ms" % (ms(mine), ms(theirs)),
            "pass": mine is not None and theirs is not None and mine - theirs <= 10,
        })
    return checks


def pyodide_targets(widget, micropython):
    checks = []
    for cache in CACHES:
        longest, tbt = widget["%s_longest_task_ms" % cache], widget["%s_tbt_ms" % cache]
        checks.append({
            "target": "Pyodide widget: no main-thread task over %d ms (%s)" % (TARGET_LONGEST_TASK_MS, cache),
            "value": "longest %s ms" % ms(longest),
            "pass": longest is not None and longest <= TARGET_LONGEST_TASK_MS,
        })
        checks.append({
            "target": "Pyodide widget: TBT under %d ms (%s)" % (TARGET_TBT_MS, cache),
            "value": "%s ms" % ms(tbt),
            "pass": tbt is not None and tbt < TARGET_TBT_MS,
        })
        mine, theirs = widget["%s_ready_ms" % cache], micropython["%s_ready_ms" % cache]
        ratio = round(mine / theirs, 2) if mine and theirs else None
        checks.append({
            "target": "Pyodide widget ready within %.1fx the MicroPython widget's (%s)" % (TARGET_RATIO, cache),
            "value": "%.2fx (%s ms against %s ms)" % (ratio, ms(mine), ms(theirs)) if ratio else "n/a",
            "pass": bool(ratio) and ratio <= TARGET_RATIO,
        })
    return checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per variant (default 5)")
    parser.add_argument("--runtime", choices=RUNTIMES, action="append", help="only this runtime (repeatable)")
    parser.add_argument("--settle-ms", type=int, default=500,
                        help="how long after ready long tasks are still counted (default 500)")
    parser.add_argument("--idle-ms", type=int, default=750,
                        help="how long a just-launched browser idles on a blank page first (default 750)")
    parser.add_argument("--against", action="append", default=[], metavar="NAME=DIR",
                        help="also load the MicroPython widget from the checkout in DIR, served by its own server, "
                             "as variant NAME (repeatable)")
    args = parser.parse_args(argv)
    runtimes = tuple(args.runtime or RUNTIMES)
    against = dict(spec.split("=", 1) for spec in args.against)
    variants = {runtime: VARIANTS[runtime] for runtime in runtimes}
    if against and "micropython" in variants:
        variants["micropython"] = ("widget",) + tuple(against) + ("bare",)

    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="cobrowse-bench-"))
    samples = []
    server = site = None
    others = {}
    try:
        server = Server()
        for name, folder in against.items():
            others[name] = ServerProcess(agent_key=AGENT_KEY, cwd=Path(folder).resolve())
        site = Site(server, others)
        with sync_playwright() as playwright:
            blocking = check_blocking(playwright, scratch / "guard", site)
            print("guard: a request to http://example.com/ -> %s; seen: %s" % (blocking["outcome"], blocking["seen"]))

            # The warm profiles are primed first; this also makes the server compress and keep
            # every file before any measured load.
            warm = {}
            for runtime in runtimes:
                for variant in variants[runtime]:
                    warm[runtime, variant] = scratch / ("warm-%s-%s" % (runtime, variant))
                    for _ in range(WARM_PRIMING_LOADS):
                        load(playwright, warm[runtime, variant], site.url(runtime, variant), site.server_for(variant, server),
                             site.landing, args, python=has_python(runtime, variant))

            for number in range(args.rounds):
                for runtime in runtimes:
                    order = variants[runtime] if number % 2 == 0 else variants[runtime][::-1]
                    for cache in CACHES:
                        for variant in order:
                            if cache == "cold":
                                profile = scratch / ("cold-%d-%s-%s" % (number, runtime, variant))
                            else:
                                profile = warm[runtime, variant]
                            result = load(playwright, profile, site.url(runtime, variant), site.server_for(variant, server),
                                          site.landing, args, python=has_python(runtime, variant))
                            if cache == "cold":
                                shutil.rmtree(profile, ignore_errors=True)
                            result.update(round=number + 1, runtime=runtime, variant=variant, cache=cache)
                            samples.append(result)
                            print("round %d  %-11s %-11s %-4s ready %7.0f ms  done %7s ms  python %7s ms  "
                                  "wire %6s KB  TBT %5.0f ms  longest %5.0f ms%s" % (
                                      number + 1, runtime, variant, cache, result["ready_ms"],
                                      ms(result["done_ms"]), ms(result["python_ms"]), kb(result["wire_bytes"]), result["tbt_ms"],
                                      result["longest_task_ms"],
                                      "  errors: %s" % result["console_errors"] if result["console_errors"] else ""),
                                  flush=True)
    finally:
        if site:
            site.stop()
        if server:
            server.stop()
        for other in others.values():
            other.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    summary = summarize(samples, variants)
    checks = targets(summary)
    outside = sorted({url for sample in samples for url in sample["outside"]})
    # The files and resource timeline of the first measured load of each kind show where the
    # bytes and the time go.
    first = {}
    for sample in samples:
        key = "%s/%s/%s" % (sample["runtime"], sample["variant"], sample["cache"])
        if key not in first:
            first[key] = {"ready_ms": sample["ready_ms"], "files": sample["files"], "timeline": sample["timeline"]}
    elapsed = time.monotonic() - started

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rounds": args.rounds,
        "settle_ms": args.settle_ms,
        "idle_ms": args.idle_ms,
        "warm_priming_loads": WARM_PRIMING_LOADS,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "browser": samples[0]["user_agent"] if samples else None},
        "definitions": {
            "ready_ms": "performance.now() in the page when Cobrowse.ready() resolves (widget) or when "
                        "'hello' is in the DOM (bare): milliseconds since navigation start",
            "done_ms": "performance.now() at PyScript's mpy:done / py:done event",
            "python_ms": "performance.now() when the page heard from its own Python listener (Pyodide widget pages)",
            "wire_bytes": "sum of response body bytes as transferred from the cobrowse server "
                          "(CDP loadingFinished.encodedDataLength minus response header bytes); KB = 1,000 bytes",
            "tbt_ms": "sum over long tasks of (duration - 50 ms), from navigation start until ready (and the "
                      "page's Python listener, if any) + settle_ms",
            "cold": "a brand-new browser profile for each load",
            "warm": "one reused profile per runtime and variant, primed by %d uncounted loads; "
                    "the browser is relaunched for each load" % WARM_PRIMING_LOADS,
        },
        "summary": summary,
        "targets": checks,
        "blocking_check": blocking,
        "requests_off_machine": outside,
        "first_loads": first,
        "samples": [{key: value for key, value in sample.items() if key not in ("files", "timeline", "user_agent")}
                    for sample in samples],
        "elapsed_s": round(elapsed, 1),
    }
    (RESULTS / "boot.json").write_text(json.dumps(report, indent=2) + "\n")

    markdown = [
        "# Boot benchmark",
        "",
        "Medians of %d rounds, %s, %d CPUs; %s. Ready = ms from navigation start to "
        "`Cobrowse.ready()` (widget) or \"hello\" in the DOM (bare PyScript page on the same runtime). "
        "Wire = response bodies as transferred from the cobrowse server, KB = 1,000 bytes. "
        "TBT = sum of (long task - 50 ms) until ready + %d ms."
        % (args.rounds, report["date"], os.cpu_count(), report["machine"]["browser"], args.settle_ms),
        "",
        table(summary, variants),
        "",
        "Targets:",
        "",
    ]
    markdown += ["- %s: %s, %s" % (check["target"], check["value"], "PASS" if check["pass"] else "FAIL") for check in checks]
    markdown += ["", "Requests off this machine: %s" % (", ".join(outside) if outside else "none")]
    for key in ("micropython/widget/cold", "pyodide/widget/cold"):
        if key in first:
            rows = first[key]["files"]
            total = sum(row["body_bytes"] for row in rows) or 1
            markdown += ["", "Where the bytes go, %s (first cold load):" % key.rsplit("/", 1)[0], "",
                         "| File | KB on wire | Share | Encoding |", "|---|--:|--:|---|"]
            markdown += ["| `%s` | %.1f | %.0f%% | %s |" % (row["path"], row["body_bytes"] / 1000, 100 * row["body_bytes"] / total,
                                                        row["content_encoding"] or "none") for row in rows]
    markdown.append("")
    (RESULTS / "boot.md").write_text("\n".join(markdown))
    print()
    print("\n".join(markdown))
    print("(%.0f s; figures in %s)" % (elapsed, RESULTS.relative_to(ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
