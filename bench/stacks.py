"""The WebSocket stack, chosen by figures: the same relay on uvicorn (asyncio + h11, and uvloop +
httptools), Granian and picows (bench/servers/serve.py), side by side in one run.

``.venv/bin/python bench/stacks.py [--sessions N] [--rounds R] [--stacks A B ...] [--redis]``
runs bench/load.py's generator against each stack in turn, round after round (A B C D, A B C D,
...), so that a machine that gets busier or quieter during the run weighs on every stack alike.
Each turn starts a fresh server pinned to CPU 0, opens ``--sessions`` sessions (a visitor and an
agent each, the visitor sending a 200-character view twice a second, pings every 5 s), waits,
measures one window and stops. ``uvicorn-uvloop+scrape`` is the product's stack with
``GET /metrics`` fetched every second throughout, to show what the scrape costs.
``--against NAME=DIR`` adds ``uvicorn-uvloop@NAME``: the product's stack served from the checkout
in DIR (its bench/servers/serve.py and its cobrowse package), to compare a change of the relay
with what it replaces, in the same run.

Reported per stack, as the median over the rounds: relay latency p50 / p99, the server's CPU in
% of its core and per relayed view, its memory per session, and the CPU per view as a ratio to
``uvicorn-uvloop`` in the same round (the median of the per-round ratios). Figures go to
``bench/results/stacks.json`` and ``stacks.md`` (``--name``).
"""

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = importlib.util.spec_from_file_location("load", HERE / "load.py")
load = importlib.util.module_from_spec(SPEC)
# Registered, so that the generator processes (spawned) find their function by its module's name.
sys.modules["load"] = load
SPEC.loader.exec_module(load)

STACKS = ("uvicorn-asyncio", "uvicorn-uvloop", "uvicorn-uvloop+scrape", "granian", "picows")
BASELINE = "uvicorn-uvloop"


class Scraper:
    """Fetches ``/metrics`` from ``port`` every second until ``stop()``."""

    def __init__(self, port):
        self.url = "http://127.0.0.1:%d/metrics" % port
        self.scrapes = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.wait(1.0):
            with urllib.request.urlopen(self.url, timeout=5) as response:
                response.read()
            self.scrapes += 1

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.scrapes


def turn(stack, args, generator_cpus, pin):
    """One stack's turn: a fresh server and generator, one measured level."""
    name, _, elsewhere = stack.partition("@")
    folder = Path(dict(args.against)[elsewhere]) / "bench" if elsewhere else HERE
    program = (sys.executable, str(folder / "servers" / "serve.py"), name.split("+")[0])
    servers = load.Servers(pin, 1, args.redis, None, program=program)
    workers = None
    scraper = None
    try:
        workers = load.Workers(len(generator_cpus or [0]), servers.ports,
                               {"rate": args.rate, "size": args.size, "compression": "none"}, generator_cpus)
        workers.ask("ramp", [2] * len(workers.conns), 60)
        workers.ask("ramp", [0] * len(workers.conns), 60)
        time.sleep(1)
        baseline_rss = sum(map(load.rss_bytes, servers.pids))
        servers.baseline_redis = servers.redis_bytes()
        if stack.endswith("+scrape"):
            scraper = Scraper(servers.ports[0])
        level = load.run_level(servers, workers, args.sessions, args, baseline_rss, 0)
        level["scrapes"] = scraper.stop() if scraper else None
        level["baseline_rss_bytes"] = baseline_rss
        return level
    finally:
        if scraper and not scraper.done.is_set():
            scraper.stop()
        if workers:
            workers.stop()
        servers.stop()


def median(values):
    values = [value for value in values if value is not None]
    return round(statistics.median(values), 3) if values else None


def summary(stack, levels, ratios):
    return {
        "stack": stack,
        "rounds": len(levels),
        "sessions": min(level["sessions"] for level in levels),
        "p50_ms": median(level["latency_ms"]["p50"] for level in levels),
        "p99_ms": median(level["latency_ms"]["p99"] for level in levels),
        "server_cpu_percent": median(level["server_cpu_percent"] for level in levels),
        "cpu_ms_per_message": median(level["cpu_ms_per_message"] for level in levels),
        "kb_per_session": median(level["kb_per_session"] for level in levels),
        "cpu_ratio_to_baseline": median(ratios),
        "errors": max(level["errors"] for level in levels),
        "other_cpu_percent": median(level["other_cpu_percent"] for level in levels),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", nargs="+", choices=STACKS, default=list(STACKS))
    parser.add_argument("--sessions", type=int, default=1500, help="sessions open in each turn (default 1500)")
    parser.add_argument("--rounds", type=int, default=3, help="turns of every stack (default 3)")
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured in each turn (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--max-p99", type=float, default=load.TARGET_P99_MS)
    parser.add_argument("--quiet-percent", type=float, default=20.0)
    parser.add_argument("--wait-quiet", type=float, default=20.0)
    parser.add_argument("--retries", type=int, default=0)
    parser.add_argument("--redis", action="store_true", help="every stack on a redis-server of its own")
    parser.add_argument("--against", action="append", default=[], type=lambda text: tuple(text.split("=", 1)),
                        metavar="NAME=DIR", help="also the product's stack served from the checkout in DIR")
    parser.add_argument("--name", default="stacks")
    args = parser.parse_args()
    args.stacks += ["%s@%s" % (BASELINE, name) for name, _ in args.against]

    started = time.monotonic()
    load.raise_open_files()
    cpus = sorted(os.sched_getaffinity(0))
    pin = len(cpus) > 1 and load.SERVER_CPU in cpus
    generator_cpus = [cpu for cpu in cpus if cpu != load.SERVER_CPU] if pin else None
    load_before = os.getloadavg()[0]
    turns = {stack: [] for stack in args.stacks}
    ratios = {stack: [] for stack in args.stacks}
    for number in range(args.rounds):
        this_round = {}
        for stack in args.stacks:
            level = turn(stack, args, generator_cpus, pin)
            turns[stack].append(level)
            this_round[stack] = level
            print("round %d %-22s p50 %s p99 %s ms, CPU %s %%, %s ms/view, %s KB/session, other CPU %s %%" % (
                number + 1, stack, level["latency_ms"]["p50"], level["latency_ms"]["p99"], level["server_cpu_percent"],
                level["cpu_ms_per_message"], level["kb_per_session"], level["other_cpu_percent"]), flush=True)
        base = this_round.get(BASELINE)
        for stack, level in this_round.items():
            if base and base["cpu_ms_per_message"] and level["cpu_ms_per_message"]:
                ratios[stack].append(level["cpu_ms_per_message"] / base["cpu_ms_per_message"])
    results = [summary(stack, turns[stack], ratios[stack]) for stack in args.stacks]
    load_after = os.getloadavg()[0]

    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": vars(args),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average": [round(load_before, 2), round(load_after, 2)]},
        "results": results,
        "turns": turns,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    load.RESULTS.mkdir(parents=True, exist_ok=True)
    (load.RESULTS / (args.name + ".json")).write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# WebSocket stacks, side by side",
        "",
        "%s, %d CPUs, Python %s, load average %.1f before and %.1f after. %d round(s) of each stack in turn, %d "
        "sessions (%s), a %d-character view %g times a second per session, %g s measured per turn; medians over the "
        "rounds. CPU ratio: CPU per relayed view against %s in the same round." % (
            report["date"], os.cpu_count(), platform.python_version(), load_before, load_after, args.rounds,
            args.sessions, "Redis" if args.redis else "in memory", args.size, args.rate, args.duration, BASELINE),
        "",
        "| stack | sessions | p50 ms | p99 ms | server CPU % | CPU ms/view | CPU ratio | KB/session | errors | other CPU % |",
        "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for result in results:
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %d | %s |" % (
            result["stack"], result["sessions"], load.fmt(result["p50_ms"]), load.fmt(result["p99_ms"]),
            load.fmt(result["server_cpu_percent"], "%.0f"), load.fmt(result["cpu_ms_per_message"], "%.3f"),
            load.fmt(result["cpu_ratio_to_baseline"], "%.2f"), load.fmt(result["kb_per_session"]),
            result["errors"], load.fmt(result["other_cpu_percent"], "%.0f")))
    lines.append("")
    (load.RESULTS / (args.name + ".md")).write_text("\n".join(lines))
    print("\n".join(lines))
    print("(%.0f s; figures in bench/results/%s.md)" % (report["elapsed_s"], args.name))


if __name__ == "__main__":
    main()
