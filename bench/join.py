"""Join benchmark: what the visitor feels when an agent joins a big page, and how soon the agent
sees it, with rrweb's full snapshot sliced (the vendored, patched rrweb) beside rrweb 2.2.2 alone
(the same widget with the unpatched rrweb from npm served in its place), in one run.

Run it with ``.venv/bin/python bench/join.py [--sizes 1000,10000,50000] [--rounds 3]``, or as
``bench/liveview.py --only join``. It starts a cobrowse server and a customer site on another
origin, and for each round, size and variant (they take turns, so a slow stretch of the machine
does not land on one only) a fresh visitor page (``bench/liveview.py``'s big rows, five elements
a row) with the widget, a session, and an agent who joins from the console. Measured:

- longest task at join: the visitor's longest main-thread task (a ``longtask``
  PerformanceObserver, buffered, tasks over 50 ms only) from the agent's click on Join until the
  page's last row is in the agent's replay; 0 when none was over 50 ms;
- time to first view: from that click until then (both stamped with ``performance.timeOrigin +
  performance.now()`` in one browser on one machine);
- main-thread CPU: the thread time of every task of the visitor's main thread (a Chromium trace)
  over the same span: the snapshot, its writing and sending, and whatever else ran;
- the sliced walk's own figures (``rrweb.record.lastSlicedWalk``: slices, longest slice) and the
  view's size and parts.

Then the canvas: a page with one animated 600x400 Chart.js chart (tests/browser/apps/chart, built
by ``make setup``), joined with ``data-canvas="record"`` (2 frames a second) and without, in turn:
for ``--canvas-seconds`` after the first picture, the bytes per second the visitor sends and its
main-thread CPU (the trace's thread time) per second; the difference is the sampler's cost.

Medians over the rounds. Figures go to ``bench/results/join.json`` and ``join.md``.
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from liveview import (CHROMIUM, CHROMIUM_ARGS, DEAD_PROXY, EVENT_NAMES, RESULTS, STYLE, WIDGET_PAGE,  # noqa: E402
                      PageServer, Server, big_body)

PLAIN_RRWEB = ROOT / "node_modules" / "rrweb" / "dist" / "rrweb.umd.min.cjs"
VARIANTS = ("sliced", "plain")
VIEW_TIMEOUT_MS = 120_000

LONGTASKS = """(() => {
  if (window.top !== window) return;
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longtasks.push([performance.timeOrigin + entry.startTime, entry.duration]);
  }).observe({ type: "longtask", buffered: true });
})();"""


def main_thread_cpu(trace):
    """The thread time of every top-level task of the traced page's main thread, in ms."""
    events = json.loads(trace)["traceEvents"]
    mains = {(event["pid"], event["tid"]) for event in events
             if event.get("ph") == "M" and event.get("name") == "thread_name"
             and event.get("args", {}).get("name") == "CrRendererMain"}
    total, end = 0, {}
    for event in sorted((event for event in events if event.get("ph") == "X" and "tdur" in event
                         and event.get("name") in ("RunTask", "ThreadControllerImpl::RunTask")
                         and (event["pid"], event["tid"]) in mains), key=lambda event: event["ts"]):
        thread = (event["pid"], event["tid"])
        if event["ts"] >= end.get(thread, -1):  # A nested task is part of the outer one's time.
            total += event["tdur"]
            end[thread] = event["ts"] + event["dur"]
    return round(total / 1000, 1)


def one_join(browser, server, site, size, variant):
    visitor_context = browser.new_context()
    agent_context = browser.new_context()
    try:
        visitor_context.add_init_script(LONGTASKS)
        if variant == "plain":
            visitor_context.route("**/static/rrweb/rrweb.min.js", lambda route: route.fulfill(
                body=PLAIN_RRWEB.read_text(), content_type="text/javascript",
                headers={"Access-Control-Allow-Origin": "*"}))
        visitor = visitor_context.new_page()
        sent = []
        visitor.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(len(payload))))
        visitor.goto(site + "/visitor-%d.html" % size)
        visitor.evaluate("Cobrowse.ready().then(() => true)")
        assert visitor.evaluate("() => Cobrowse.API.Session.start()") == {"result": True}
        visitor.wait_for_function("window.heard.some((e) => e[0] === 'SessionStarted')", timeout=30_000)
        code = visitor.evaluate("window.heard.filter((e) => e[0] === 'SessionStarted').pop()[1].accessCode")
        elements = visitor.evaluate("document.getElementsByTagName('*').length")
        agent = agent_context.new_page()
        agent.goto(server.console_url)
        agent.get_by_label("Access code").fill(code)
        agent.get_by_label("Your name").fill("Bench agent")
        browser.start_tracing(page=visitor, categories=["toplevel"])
        clicked = agent.evaluate("performance.timeOrigin + performance.now()")
        agent.get_by_role("button", name="Join").click()
        expect(agent.get_by_role("heading", name=re.compile(r"^Session "))).to_be_visible()
        seen = agent.wait_for_function(
            "() => { const f = document.querySelector('#replay iframe'); const d = f && f.contentDocument;"
            " return d && d.getElementById('end') ? performance.timeOrigin + performance.now() : false; }",
            timeout=VIEW_TIMEOUT_MS, polling=5).json_value()
        cpu = main_thread_cpu(browser.stop_tracing())
        tasks = visitor.evaluate("window.__longtasks")
        walk = visitor.evaluate("window.rrweb.record.lastSlicedWalk || null")
    finally:
        visitor_context.close()
        agent_context.close()
    joined = [duration for at, duration in tasks if clicked <= at <= seen]
    big = [length for length in sent if length > 65536]
    return {"size": size, "variant": variant, "elements": elements,
            "join_longest_task_ms": round(max(joined, default=0), 1),
            "join_tasks_over_50_ms": len(joined),
            "first_view_ms": round(seen - clicked, 1), "cpu_ms": cpu,
            "walk": {key: round(value, 1) for key, value in walk.items()} if walk else None,
            "long_frames": len(big), "long_frames_chars": sum(big)}


CHART_PAGE_BODY = """<h1>Dashboard</h1><p id="end">Visits</p>
<canvas id="chart" width="600" height="400"></canvas><script src="/apps/chart.js"></script>"""


def one_canvas(browser, server, site, record, seconds):
    visitor_context = browser.new_context()
    agent_context = browser.new_context()
    try:
        visitor = visitor_context.new_page()
        sent = []
        visitor.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(
            (time.monotonic(), len(payload.encode("utf-8") if isinstance(payload, str) else payload)))))
        visitor.goto(site + ("/chart-record.html" if record else "/chart-plain.html"))
        visitor.evaluate("Cobrowse.ready().then(() => true)")
        assert visitor.evaluate("() => Cobrowse.API.Session.start()") == {"result": True}
        visitor.wait_for_function("window.heard.some((e) => e[0] === 'SessionStarted')", timeout=30_000)
        code = visitor.evaluate("window.heard.filter((e) => e[0] === 'SessionStarted').pop()[1].accessCode")
        agent = agent_context.new_page()
        agent.goto(server.console_url)
        agent.get_by_label("Access code").fill(code)
        agent.get_by_label("Your name").fill("Bench agent")
        agent.get_by_role("button", name="Join").click()
        agent.wait_for_function("() => { const f = document.querySelector('#replay iframe'); const d = f && f.contentDocument;"
                                " return !!(d && d.getElementById('chart')); }", timeout=VIEW_TIMEOUT_MS)
        if record:
            agent.wait_for_function("() => document.querySelector('#replay iframe').contentDocument"
                                    ".getElementById('chart').dataset.cobrowseShared === '1'", timeout=VIEW_TIMEOUT_MS)
        agent.wait_for_timeout(1000)
        browser.start_tracing(page=visitor, categories=["toplevel"])
        began = time.monotonic()
        visitor.wait_for_timeout(seconds * 1000)
        ended = time.monotonic()
        cpu = main_thread_cpu(browser.stop_tracing())
    finally:
        visitor_context.close()
        agent_context.close()
    sent_bytes = sum(size for at, size in sent if began <= at <= ended)
    return {"record": record, "seconds": round(ended - began, 2), "bytes_per_s": round(sent_bytes / (ended - began)),
            "cpu_ms_per_s": round(cpu / (ended - began), 1)}


def median(values):
    values = [value for value in values if value is not None]
    return round(statistics.median(values), 1) if values else None


def summarize(rounds, sizes):
    rows = []
    for size in sizes:
        for variant in VARIANTS:
            mine = [entry for entry in rounds if entry["size"] == size and entry["variant"] == variant]
            walks = [entry["walk"] for entry in mine if entry["walk"]]
            rows.append({"size": size, "variant": variant, "rounds": len(mine),
                         "elements": mine[0]["elements"] if mine else None,
                         "join_longest_task_ms": median([entry["join_longest_task_ms"] for entry in mine]),
                         "first_view_ms": median([entry["first_view_ms"] for entry in mine]),
                         "cpu_ms": median([entry["cpu_ms"] for entry in mine]),
                         "slices": median([walk["slices"] for walk in walks]),
                         "longest_slice_ms": median([walk["longestSliceMs"] for walk in walks]),
                         "view_chars": median([entry["long_frames_chars"] for entry in mine]),
                         "long_frames": median([entry["long_frames"] for entry in mine])})
    return rows


def table(rows):
    lines = ["| elements | rrweb | longest task at join (ms) | first view (ms) | main-thread CPU (ms) | slices | longest slice (ms) | long frames (chars) |",
             "| --: | --- | --: | --: | --: | --: | --: | --: |"]
    for row in rows:
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s (%s) |" % (
            "{:,}".format(row["elements"] or 0), "sliced (patched)" if row["variant"] == "sliced" else "2.2.2 alone",
            row["join_longest_task_ms"], row["first_view_ms"], row["cpu_ms"], row["slices"] or "-",
            row["longest_slice_ms"] or "-", row["long_frames"], "{:,}".format(int(row["view_chars"] or 0))))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtime", choices=("micropython", "pyodide"), default="micropython")
    parser.add_argument("--sizes", default="1000,10000,50000", help="elements of the pages (default 1000,10000,50000)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh visitors per size and variant (default 3)")
    parser.add_argument("--canvas-seconds", type=float, default=10.0, help="how long each canvas run is measured (default 10)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size]
    started = time.monotonic()
    server = Server()
    pages = {"/visitor-%d.html" % size: WIDGET_PAGE.format(server=server.base, runtime=args.runtime,
                                                           names=json.dumps(EVENT_NAMES), style=STYLE, body=big_body(size))
             for size in sizes}
    pages["/apps/chart.js"] = (ROOT / "tests" / "browser" / "apps" / "dist" / "chart.js").read_text()
    for name, extra in (("record", ' data-canvas="record"'), ("plain", "")):
        pages["/chart-%s.html" % name] = WIDGET_PAGE.replace('data-runtime="{runtime}"', 'data-runtime="{runtime}"' + extra).format(
            server=server.base, runtime=args.runtime, names=json.dumps(EVENT_NAMES), style=STYLE, body=CHART_PAGE_BODY)
    site = PageServer(pages, headers={"Cache-Control": "no-cache"})
    rounds, canvas = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [DEAD_PROXY], headless=True)
            version = browser.version
            for number in range(args.rounds):
                for size in sizes:
                    for variant in VARIANTS if number % 2 == 0 else VARIANTS[::-1]:
                        entry = one_join(browser, server, "http://localhost:%d" % site.port, size, variant)
                        entry["round"] = number + 1
                        rounds.append(entry)
                        print("round %d %7s elements %-6s longest task at join %7.1f ms, first view %7.1f ms, "
                              "CPU %7.1f ms, walk %s" % (number + 1, "{:,}".format(entry["elements"]), variant,
                                                         entry["join_longest_task_ms"], entry["first_view_ms"],
                                                         entry["cpu_ms"], entry["walk"]), flush=True)
            for number in range(args.rounds):
                for record in (True, False) if number % 2 == 0 else (False, True):
                    entry = one_canvas(browser, server, "http://localhost:%d" % site.port, record, args.canvas_seconds)
                    canvas.append(entry)
                    print("canvas %s: %s B/s, visitor CPU %s ms/s" % ("recorded" if record else "not recorded",
                                                                      "{:,}".format(entry["bytes_per_s"]),
                                                                      entry["cpu_ms_per_s"]), flush=True)
            browser.close()
    finally:
        site.stop()
        server.stop()
    rows = summarize(rounds, sizes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "runtime": args.runtime,
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "browser": version,
                          "load_average": os.getloadavg()},
              "summary": rows, "rounds": rounds, "canvas": canvas, "elapsed_s": round(time.monotonic() - started, 1)}
    (RESULTS / "join.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = ["# Join benchmark", "",
                "%s, %d CPUs (load average %.1f at the end), Chromium %s; widget on %s; median of %d rounds. "
                "Longest task at join = the visitor's longest main-thread task from the agent's click on Join "
                "until the page's last row is in the replay (0 = none over 50 ms); first view = that span; CPU = "
                "the thread time of the visitor's main-thread tasks over it. Long frames = the visitor's frames "
                "over 64 KiB (the snapshot's view, or its view_part messages)."
                % (report["date"], os.cpu_count(), os.getloadavg()[0], version, args.runtime, args.rounds), "",
                table(rows), "",
                "Canvas: one animated 600x400 Chart.js chart, %g s after its first picture, median of %d runs each: "
                "with `data-canvas=\"record\"` (2 fps) %s B/s sent, visitor main-thread CPU %s ms/s; without it %s B/s, "
                "%s ms/s." % (args.canvas_seconds, args.rounds,
                              "{:,}".format(int(median([c["bytes_per_s"] for c in canvas if c["record"]]) or 0)),
                              median([c["cpu_ms_per_s"] for c in canvas if c["record"]]),
                              "{:,}".format(int(median([c["bytes_per_s"] for c in canvas if not c["record"]]) or 0)),
                              median([c["cpu_ms_per_s"] for c in canvas if not c["record"]])), ""]
    (RESULTS / "join.md").write_text("\n".join(markdown))
    print("\n".join(markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
