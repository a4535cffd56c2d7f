"""File-serving benchmark: what one HTTP request for the widget's files costs the server, and the
memory the server holds per file served.

Run it with ``.venv/bin/python bench/files.py [--requests N] [--rounds R] [--against NAME=DIR]``.
It starts this checkout's server (``python -m cobrowse serve``), and with ``--against`` the server
of another checkout in DIR (for a copy of main: ``git archive main | tar -x -C DIR`` and copy the
vendored ``static/`` folders into it), each pinned to CPU 0 with ``taskset -c 0`` when there is
one, the client running on the other CPUs. For each kind of request (the loader, a runtime, a
module, the manifest, the core's bytecode, each plain, gzipped or revalidated with If-None-Match)
it sends ``--requests`` requests (a twentieth for the largest runtime) one after the other on one keep-alive connection, and takes the
wall time per request and the server's CPU per request (utime + stime from ``/proc/PID/stat``,
which other load on the machine disturbs less). The servers take turns, request kind by request
kind, for ``--rounds`` rounds; the figures are the medians over rounds, with the ratio of this
checkout's CPU per request to each other server's.

Memory: each server's resident memory (``VmRSS``) when started and after every static file was
fetched once plain and once gzipped, and what the first gzipped request for the largest runtime
(``pyodide.asm.wasm``) took: the old server compressed it then, in its event loop.

Figures go to ``bench/results/files.json`` and ``bench/results/files.md``.
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support.processes import AGENT_KEY, ServerProcess  # noqa: E402 - needs the path above.

RESULTS = ROOT / "bench" / "results"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
# (name, path, headers, revalidate): each kind of request measured.
KINDS = [
    ("loader", "/static/cobrowse.js", {}, False),
    ("loader gzip", "/static/cobrowse.js", GZIP, False),
    ("loader 304", "/static/cobrowse.js", GZIP, True),
    ("micropython.wasm gzip", "/static/micropython/micropython.wasm", GZIP, False),
    ("pyodide.asm.wasm gzip", "/static/pyodide/pyodide.asm.wasm", GZIP, False),
    ("module gzip", "/cobrowse/core/session.py", GZIP, False),
    ("module 304", "/cobrowse/core/session.py", GZIP, True),
    ("manifest gzip", "/cobrowse/manifest.json", GZIP, False),
    ("bytecode gzip", "/cobrowse/browser/widget.mpy", GZIP, False),
    ("demo index", "/", GZIP, False),
]
BIG = "/static/pyodide/pyodide.asm.wasm"


def cpu_seconds(pid):
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def get(connection, path, headers):
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status not in (200, 304):
        raise RuntimeError("%s: %d" % (path, response.status))
    return response.getheader("etag"), body


def measure(server, path, headers, revalidate, requests):
    """Wall and server CPU milliseconds per request, over ``requests`` requests (a twentieth of
    them for the largest runtime, 3.5 MB each even gzipped)."""
    count = max(1, requests // 20) if path == BIG else requests
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        etag, _ = get(connection, path, headers)
        if revalidate:
            headers = {**headers, "If-None-Match": etag}
        cpu, started = cpu_seconds(server.pid), time.perf_counter()
        for _ in range(count):
            get(connection, path, headers)
        wall = time.perf_counter() - started
        return wall * 1000 / count, (cpu_seconds(server.pid) - cpu) * 1000 / count
    finally:
        connection.close()


def memory(server):
    """RSS when started, the first gzipped request for the largest runtime, RSS after all files."""
    before = rss_kb(server.pid)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        started = time.perf_counter()
        get(connection, BIG, GZIP)
        first_big = time.perf_counter() - started
        files = sorted(path for path in (ROOT / "static").rglob("*")
                       if path.is_file() and not path.name.startswith(".") and not path.name.endswith(".gz"))
        for path in files:
            for headers in ({}, GZIP):
                get(connection, "/" + path.relative_to(ROOT).as_posix(), headers)
    finally:
        connection.close()
    after = rss_kb(server.pid)
    return {"rss_start_kb": before, "rss_after_all_files_kb": after, "held_kb": after - before, "files": len(files),
            "held_kb_per_file": round((after - before) / len(files), 1), "first_big_gzip_ms": round(first_big * 1000, 1)}


def report(names, medians, memories, args):
    mine = names[0]
    lines = ["# File serving: cost per request and memory", "",
             "%d requests per kind and round, %d rounds, medians over rounds; server pinned to CPU 0." % (
                 args.requests, args.rounds), "",
             "| request | " + " | ".join("%s wall ms | %s CPU ms" % (name, name) for name in names)
             + "".join(" | CPU %s/%s" % (mine, name) for name in names[1:]) + " |",
             "|---" * (1 + 2 * len(names) + len(names) - 1) + "|"]
    for kind, *_ in KINDS:
        row = [kind]
        for name in names:
            wall, cpu = medians[name][kind]
            row += ["%.3f" % wall, "%.3f" % cpu]
        for name in names[1:]:
            theirs = medians[name][kind][1]
            row.append("%.2fx" % (medians[mine][kind][1] / theirs) if theirs else "n/a")
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "| server | RSS at start | after every static file, plain and gzip | held | per file | "
              "first gzip of pyodide.asm.wasm |", "|---|---|---|---|---|---|"]
    for name in names:
        m = memories[name]
        lines.append("| %s | %d KB | %d KB | %d KB | %.1f KB (%d files) | %.0f ms |" % (
            name, m["rss_start_kb"], m["rss_after_all_files_kb"], m["held_kb"], m["held_kb_per_file"], m["files"],
            m["first_big_gzip_ms"]))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per kind and round (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--against", action="append", default=[], metavar="NAME=DIR",
                        help="also measure the server of the checkout in DIR, as NAME (repeatable)")
    args = parser.parse_args(argv)
    prefix = ("taskset", "-c", "0") if shutil.which("taskset") and os.cpu_count() > 1 else ()
    if prefix:
        os.sched_setaffinity(0, set(range(1, os.cpu_count())))
    servers = {"this": ServerProcess(agent_key=AGENT_KEY, prefix=prefix)}
    try:
        for spec in args.against:
            name, folder = spec.split("=", 1)
            servers[name] = ServerProcess(agent_key=AGENT_KEY, prefix=prefix, cwd=Path(folder).resolve())
        time.sleep(2)  # The core's bytecode is compiled in the background at start.
        memories = {name: memory(server) for name, server in servers.items()}
        samples = {name: {kind: [] for kind, *_ in KINDS} for name in servers}
        for number in range(args.rounds):
            for kind, path, headers, revalidate in KINDS:
                for name, server in servers.items():
                    samples[name][kind].append(measure(server, path, headers, revalidate, args.requests))
            print("round %d of %d done" % (number + 1, args.rounds), flush=True)
    finally:
        for server in servers.values():
            server.stop()
    medians = {name: {kind: (statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs))
                      for kind, runs in kinds.items()} for name, kinds in samples.items()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "files.json").write_text(json.dumps(
        {"args": vars(args), "samples": samples, "medians": medians, "memory": memories}, indent=2))
    text = report(list(servers), medians, memories, args)
    (RESULTS / "files.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
