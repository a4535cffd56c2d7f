"""Main-thread CPU benchmark: what the boot pages of bench/boot.py cost the host page's main thread
in CPU time, which a busy machine does not inflate the way it inflates wall time.

Run it with ``.venv/bin/python bench/maincpu.py [--rounds N]`` after ``make setup``. Each load is
a fresh browser context (a cold cache) of a freshly launched Chromium, traced with Chromium's own
tracing (``devtools.timeline``) from navigation until the page is ready and, on the pages with a
Python listener of their own, that listener is there, plus 500 ms. For the renderer's main thread
it reports the longest task in CPU time (``tdur``) and in wall time (``dur``) and the CPU time of
all its tasks. bench/boot.py's long tasks are wall time: on a loaded 2-core machine a 20 ms task
can take 300 ms of wall time, while its CPU time stays 20 ms.

Figures go to ``bench/results/maincpu.json`` and are printed as a table.
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
import boot  # noqa: E402 - the pages, server and flags of the boot benchmark.

PAGES = [("micropython", "widget"), ("micropython", "bare"),
         ("pyodide", "widget"), ("pyodide", "main-thread"), ("pyodide", "bare")]
CATEGORIES = ["devtools.timeline", "toplevel", "disabled-by-default-devtools.timeline"]


def main_thread_tasks(trace_path):
    """The renderer main thread's top-level tasks as (start µs, wall µs, CPU µs)."""
    data = json.loads(Path(trace_path).read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    threads = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name"
               and e.get("args", {}).get("name") == "CrRendererMain"}
    return [(e["ts"], e["dur"], e.get("tdur", 0)) for e in events
            if e.get("name") == "RunTask" and e.get("ph") == "X" and (e["pid"], e["tid"]) in threads]


def load(playwright, site, runtime, variant, scratch):
    browser = playwright.chromium.launch(executable_path=boot.CHROMIUM, args=boot.CHROMIUM_ARGS + [boot.DEAD_PROXY])
    try:
        context = browser.new_context()
        context.add_init_script(boot.INIT_SCRIPT)
        page = context.new_page()
        page.goto(site.landing)
        page.wait_for_timeout(750)
        trace = scratch / ("%s-%s.json" % (runtime, variant))
        browser.start_tracing(page=page, path=str(trace), categories=CATEGORIES)
        page.goto(site.url(runtime, variant), wait_until="domcontentloaded")
        wait = """([name, timeout]) => Promise.race([window.__bench.when(name), new Promise((resolve, reject) =>
                    setTimeout(() => reject(new Error("no " + name + " after " + timeout + " ms")), timeout))])"""
        ready = page.evaluate(wait, ["ready", boot.READY_TIMEOUT_MS])
        python = page.evaluate(wait, ["python", boot.READY_TIMEOUT_MS]) if boot.has_python(runtime, variant) else None
        page.wait_for_timeout(500)
        browser.stop_tracing()
    finally:
        browser.close()
    tasks = main_thread_tasks(trace)
    return {
        "ready_ms": round(ready), "python_ms": round(python) if python else None,
        "longest_cpu_ms": round(max(cpu for _, _, cpu in tasks) / 1000, 1),
        "longest_wall_ms": round(max(wall for _, wall, _ in tasks) / 1000, 1),
        "cpu_over_50_ms": round(sum(max(cpu / 1000 - 50, 0) for _, _, cpu in tasks), 1),
        "total_cpu_ms": round(sum(cpu for _, _, cpu in tasks) / 1000),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="loads per page (default 3)")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="cobrowse-maincpu-"))
    samples = {page: [] for page in PAGES}
    server = boot.Server()
    site = boot.Site(server)
    try:
        with sync_playwright() as playwright:
            for number in range(args.rounds):
                for runtime, variant in PAGES:
                    result = load(playwright, site, runtime, variant, scratch)
                    samples[runtime, variant].append(result)
                    print("round %d  %-11s %-11s %s" % (number + 1, runtime, variant, result), flush=True)
    finally:
        site.stop()
        server.stop()
    lines = ["| Runtime | Variant | Ready (ms) | Python listener (ms) | Longest task CPU (ms) "
             "| Longest task wall (ms) | CPU beyond 50 ms per task (ms) | Main-thread CPU (ms) |",
             "|---|---|--:|--:|--:|--:|--:|--:|"]
    summary = {}
    for runtime, variant in PAGES:
        rows = samples[runtime, variant]
        row = summary["%s/%s" % (runtime, variant)] = {
            key: statistics.median([r[key] for r in rows if r[key] is not None]) if any(r[key] is not None for r in rows) else None
            for key in rows[0]}
        lines.append("| %s | %s | %s |" % (runtime, variant, " | ".join(
            "n/a" if row[key] is None else "%.0f" % row[key] for key in
            ("ready_ms", "python_ms", "longest_cpu_ms", "longest_wall_ms", "cpu_over_50_ms", "total_cpu_ms"))))
    boot.RESULTS.mkdir(parents=True, exist_ok=True)
    (boot.RESULTS / "maincpu.json").write_text(json.dumps({"rounds": args.rounds, "summary": summary,
                                                           "samples": {"%s/%s" % k: v for k, v in samples.items()}}, indent=2) + "\n")
    print("\nMedians of %d loads (cold, fresh context each):\n" % args.rounds)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
