"""Agent tools benchmark: the agent's mouse → the pointer on the visitor's page, and what pointing
and drawing cost the visitor's page.

Run it with ``.venv/bin/python bench/tools.py [--runtime micropython|pyodide|both] [--moves N]
[--seconds S]`` (about a minute on MicroPython). It starts a cobrowse server, a customer site on
another origin and one headless Chromium (``/usr/bin/chromium``). The visitor's page embeds the
widget and starts a session; the agent joins from the console in another browser context.

1. Pointer latency. In Point mode Playwright moves the agent's mouse over the replayed button
   to a new spot, ``--moves`` times (100), one after the other, each once the previous one has
   reached the visitor's page and a pause of ``--pause-ms`` (100, more than the 33 ms slot of
   the console's coalescing, so each move goes at once). A capture-phase listener on the
   console's window stamps each ``mousemove`` on the tool surface; a MutationObserver in the
   visitor's page stamps each change of the pointer's position in the overlay. Latency is the
   visitor's stamp minus the console's: the console's aim and send, the server's checks and
   relay, the visitor's Python (``core.visitor_tools``) and the overlay placing the pointer.
   Next to it, the same run's agent click → visitor's click handler under remote control is
   ``bench/control.py``'s figure; here the floor is a ``ping`` → ``pong`` round trip.
2. Overlay cost. For ``--seconds`` (10) the agent's mouse sweeps the replay continuously, first
   in View (nothing is sent: the baseline), then in Point, then drawing in Draw (a stroke per
   sweep). For each phase the visitor's page reports its main-thread busy time (Chromium's
   ``TaskDuration`` over the DevTools protocol) and its long tasks (``longtask``
   PerformanceObserver): their count, total and the longest. The goal: no task over 50 ms.

Both pages run in one Chromium on one machine, so the stamps (``performance.timeOrigin +
performance.now()``) are on one clock. Figures go to ``bench/results/tools.json`` and
``bench/results/tools.md`` and are printed.
"""

import argparse
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from control import PINGS, figures  # noqa: E402 - beside this file.
from liveview import CHROMIUM, CHROMIUM_ARGS, DEAD_PROXY, RESULTS  # noqa: E402 - beside this file.
from support.processes import PageServer, ServerProcess  # noqa: E402 - needs the path above.

AGENT_KEY = "bench-agent-key"
READY_TIMEOUT_MS = 90_000
LONG_TASK_MS = 50

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tools bench</title><link rel="icon" href="data:,">
<script src="{server}/static/cobrowse.js" data-site-code="BENCH" data-runtime="{runtime}"></script>
</head><body>
<h1>Tools bench</h1>
<button id="target" type="button" style="width: 600px; height: 300px">Look here</button>
<div style="height: 1500px"></div>
<script>
  const now = () => performance.timeOrigin + performance.now();
  window.moved = [];
  window.longTasks = [];
  new PerformanceObserver((list) => list.getEntries().forEach((entry) => window.longTasks.push(entry.duration)))
    .observe({{ type: "longtask", buffered: true }});
  // The pointer's every new place in the overlay (the widget's open shadow root).
  const watch = () => {{
    const host = document.getElementById("cobrowse-widget");
    if (!host || !host.shadowRoot) return setTimeout(watch, 50);
    new MutationObserver((records) => {{
      if (records.some((record) => record.target.classList && record.target.classList.contains("cobrowse-pointer")
          || Array.from(record.addedNodes).some((node) => node.classList && node.classList.contains("cobrowse-pointer")))) {{
        window.moved.push(now());
      }}
    }}).observe(host.shadowRoot, {{ subtree: true, childList: true, attributes: true, attributeFilter: ["style"] }});
  }};
  watch();
</script>
</body></html>"""

CONSOLE_INIT = r"""
(() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__bench = { moves: [] };
  window.addEventListener("mousemove", (event) => {
    if (event.target.id === "tool-surface") window.__bench.moves.push(now());
  }, true);
})();
"""


def watched(browser, server, site, runtime):
    """A visitor in a session and an agent watching it in Point mode: ``(visitor, agent)``."""
    site.pages["/tools-%s.html" % runtime] = PAGE.format(server=server.base, runtime=runtime)
    visitor = browser.new_context(viewport={"width": 1000, "height": 700}).new_page()
    visitor.goto("http://localhost:%d/tools-%s.html" % (site.port, runtime))
    visitor.evaluate("Cobrowse.ready().then(() => true)")
    assert visitor.evaluate("Cobrowse.API.Session.start()")["result"] is True
    visitor.wait_for_function("Cobrowse.API.Session.accessCode !== undefined", timeout=READY_TIMEOUT_MS)
    code = visitor.evaluate("Cobrowse.API.Session.accessCode")
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(CONSOLE_INIT)
    agent = context.new_page()
    agent.goto(server.console_url)
    agent.get_by_label("Access code").fill(code)
    agent.get_by_label("Your name").fill("Bench")
    agent.get_by_role("button", name="Join").click()
    expect(agent.frame_locator("#replay iframe").locator("#target")).to_be_visible(timeout=30_000)
    agent.wait_for_timeout(500)
    return visitor, agent


def target_box(agent):
    return agent.frame_locator("#replay iframe").locator("#target").bounding_box()


def measure_moves(visitor, agent, count, pause_ms):
    box = target_box(agent)
    agent.mouse.move(box["x"] + 5, box["y"] + 5)
    visitor.wait_for_function("window.moved.length >= 1", timeout=10_000)
    agent.wait_for_timeout(pause_ms)
    agent.evaluate("window.__bench.moves = []")
    visitor.evaluate("window.moved = []")
    for index in range(count):
        agent.mouse.move(box["x"] + 10 + (index * 37) % (box["width"] - 20), box["y"] + 10 + (index * 13) % (box["height"] - 20))
        visitor.wait_for_function("(n) => window.moved.length >= n", arg=index + 1, timeout=10_000)
        agent.wait_for_timeout(pause_ms)
    sent = agent.evaluate("window.__bench.moves")
    drawn = visitor.evaluate("window.moved")
    return [done - start for start, done in zip(sent, drawn)]


def sweep(agent, seconds, drawing):
    """Sweep the agent's mouse over the replayed button for ``seconds`` (dragging, ``drawing``)."""
    box = target_box(agent)
    started = agent.evaluate("performance.now()")
    row = 0
    while agent.evaluate("performance.now()") - started < seconds * 1000:
        y = box["y"] + 20 + (row * 23) % (box["height"] - 40)
        agent.mouse.move(box["x"] + 10, y)
        if drawing:
            agent.mouse.down()
        agent.mouse.move(box["x"] + box["width"] - 10, y, steps=30)
        if drawing:
            agent.mouse.up()
        row += 1


def phase(visitor, cdp, agent, seconds, tool):
    agent.get_by_role("radio", name=tool).click()
    visitor.evaluate("window.longTasks = []")
    before = _task_seconds(cdp)
    sweep(agent, seconds, drawing=tool == "Draw")
    busy_ms = (_task_seconds(cdp) - before) * 1000
    tasks = visitor.evaluate("window.longTasks")
    return {"main_thread_ms": round(busy_ms, 1), "long_tasks": len(tasks), "long_task_ms": round(sum(tasks), 1),
            "longest_task_ms": round(max(tasks, default=0), 1)}


def _task_seconds(cdp):
    metrics = cdp.send("Performance.getMetrics")["metrics"]
    return next(metric["value"] for metric in metrics if metric["name"] == "TaskDuration")


def run(runtime, args, browser, server, site):
    visitor, agent = watched(browser, server, site, runtime)
    moves = measure_moves(visitor, agent, args.moves, args.pause_ms)
    pings = agent.evaluate(PINGS, [server.ws + "/ws/agent?key=" + server.key, args.pings])
    cdp = visitor.context.new_cdp_session(visitor)
    cdp.send("Performance.enable")
    cost = {tool: phase(visitor, cdp, agent, args.seconds, tool) for tool in ("View", "Point", "Draw")}
    visitor.context.close()
    agent.context.close()
    return {"moves": figures(moves), "pings": figures(pings), "cost": cost, "seconds": args.seconds,
            "load": os.getloadavg(), "raw": {"moves": moves, "pings": pings}}


def report(results):
    lines = ["| runtime | agent's mouse move → pointer on the visitor's page, p50 / p99 | floor: ping → pong, p50 / p99 "
             "| load average (1 min) |", "| --- | --: | --: | --: |"]
    for runtime, result in results.items():
        lines.append("| %s | %.1f / %.1f ms (n=%d) | %.1f / %.1f ms | %.1f |" % (
            runtime, result["moves"]["p50_ms"], result["moves"]["p99_ms"], result["moves"]["count"],
            result["pings"]["p50_ms"], result["pings"]["p99_ms"], result["load"][0]))
    lines += ["", "| runtime | agent's tool, %s s of sweeping | visitor's main thread | long tasks | their total "
              "| longest task |" % next(iter(results.values()))["seconds"], "| --- | --- | --: | --: | --: | --: |"]
    for runtime, result in results.items():
        for tool, cost in result["cost"].items():
            lines.append("| %s | %s | %.0f ms | %d | %.0f ms | %.0f ms |" % (
                runtime, tool, cost["main_thread_ms"], cost["long_tasks"], cost["long_task_ms"], cost["longest_task_ms"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runtime", choices=("micropython", "pyodide", "both"), default="micropython")
    parser.add_argument("--moves", type=int, default=100)
    parser.add_argument("--pause-ms", type=int, default=100)
    parser.add_argument("--pings", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    runtimes = ("micropython", "pyodide") if args.runtime == "both" else (args.runtime,)
    server = ServerProcess(agent_key=AGENT_KEY)
    site = PageServer()
    results = {}
    try:
        with sync_playwright() as playwright:
            # Requests to hosts off this machine go to a dead proxy: nothing leaves it.
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [DEAD_PROXY])
            for runtime in runtimes:
                results[runtime] = run(runtime, args, browser, server, site)
            browser.close()
    finally:
        server.stop()
        site.stop()
    text = report(results)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"when": datetime.now(timezone.utc).isoformat(), "machine": platform.platform(), "args": vars(args)}
    (RESULTS / "tools.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    (RESULTS / "tools.md").write_text("# Agent tools: pointer latency and overlay cost\n\n" + text + "\n")


if __name__ == "__main__":
    main()
