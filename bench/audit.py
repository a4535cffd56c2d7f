"""Audit trail benchmark: what an audit line costs per agent join and per control action.

Run it with ``.venv/bin/python bench/audit.py [--rounds N] [--joins N] [--actions N]`` (a few
seconds). It drives the real relay in process (``support.relay``: the memory engine, fake
sockets, a manual clock, so that only the server's own work is timed) through the same moves
with no audit trail (``serve`` without ``--audit-log``) and with a JSON Lines file
(``--audit-log PATH``, in a temporary folder on this machine's disk), interleaved round by
round, and reports the median time per move of each and their difference, the cost of one
line, with the ratio measured side by side in the same run (the median of the rounds' own
ratios too: on a machine shared with other work the medians alone wander):

- ``join``: an agent joins a session (the visitor hears ``agent_joined``) and leaves it again
  (two lines: ``agent_connected`` and ``agent_disconnected``).
- ``action``: the agent in control clicks (one ``control_action`` line) and the visitor gets
  the ``act``.

- ``line``: what the relay's moves add, on their own: ``Auditor.must`` of a ``control_action``
  line, ``--lines`` (20,000) times, on the file and on no trail, interleaved too.

Figures go to ``bench/results/audit.json`` and ``bench/results/audit.md`` and are printed.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from cobrowse.server.audit import Auditor, FileTrail, NullTrail  # noqa: E402
from support.relay import run_relay  # noqa: E402
from support.wire import agent, join, start, until_state, visitor  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CLICK = {"kind": "click", "id": 12, "x": 10, "y": 20, "path": "form#checkout > button.pay"}


def measure(joins, actions, trail):
    """Seconds per join-and-leave and per action, over one relay, with ``trail`` (or none)."""
    timings = {}

    async def steps(server):
        async with visitor(server) as customer:
            started = await start(customer)
            begun = time.perf_counter()
            for _ in range(joins):
                async with agent(server) as alice:
                    await join(alice, started["accessCode"])
                    await customer.expect("agent_joined")
                    await alice.send("leave")
                    await customer.expect("agent_left")
            timings["join"] = (time.perf_counter() - begun) / joins
            async with agent(server) as alice:
                joined = await join(alice, started["accessCode"])
                await customer.expect("agent_joined")
                await alice.send("request_control")
                await customer.expect("control_request")
                await customer.send("control_grant", id=joined["id"])
                await until_state(alice, "ACTIVE:ESCALATED")
                begun = time.perf_counter()
                for _ in range(actions):
                    await alice.send("act", action=CLICK)
                    await customer.expect("act")
                timings["action"] = (time.perf_counter() - begun) / actions

    run_relay(steps, **({"audit": trail} if trail is not None else {}))
    return timings


def line_cost(trail, count):
    """Seconds per ``control_action`` line written on ``trail``."""
    auditor = Auditor(trail, "bench")
    session = {"accessCode": "004213", "SID": "case-7", "siteCode": "ACME-1"}
    details = {"agent": {"id": "0f" * 16, "name": "Alice", "role": "agent"}, "client": "203.0.113.7",
               "action": {"kind": "click", "node": 12, "target": CLICK["path"]}}
    begun = time.perf_counter()
    for _ in range(count):
        auditor.must("control_action", session, **details)
    return (time.perf_counter() - begun) / count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--joins", type=int, default=200)
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=20000)
    args = parser.parse_args(argv)
    samples = {"none": [], "file": []}
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as folder:
        path = os.path.join(folder, "audit.jsonl")
        for round_ in range(args.rounds):
            order = ("none", "file") if round_ % 2 == 0 else ("file", "none")
            for variant in order:
                timings = measure(args.joins, args.actions, FileTrail(path) if variant == "file" else None)
                timings["line"] = line_cost(FileTrail(path) if variant == "file" else NullTrail(), args.lines)
                samples[variant].append(timings)
        lines = sum(1 for _ in open(path))
    moves = ("join", "action", "line")
    medians = {variant: {move: statistics.median(sample[move] for sample in runs) for move in moves}
               for variant, runs in samples.items()}
    ratios = {move: statistics.median(file[move] / none[move] for none, file in zip(samples["none"], samples["file"]))
              for move in moves}
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": platform.node(),
        "cpus": os.cpu_count(), "load": os.getloadavg(), "rounds": args.rounds, "joins": args.joins,
        "actions": args.actions, "lines": args.lines, "lines_written": lines, "samples": samples,
        "medians": medians, "round_ratios": ratios,
    }
    rows = []
    for move, lines_per in (("join", 2), ("action", 1), ("line", 1)):
        none, file = medians["none"][move] * 1e6, medians["file"][move] * 1e6
        rows.append("| %s | %.1f µs | %.1f µs | %.2fx | %.2fx | %.1f µs |" % (
            move, none, file, file / none, ratios[move], (file - none) / lines_per))
    table = "\n".join(["| move | no audit log | --audit-log FILE | ratio of medians | median of round ratios | per line |",
                       "| --- | --: | --: | --: | --: | --: |"] + rows)
    text = ("# Audit trail cost (bench/audit.py)\n\n%s UTC, %d rounds interleaved, %d joins and %d actions a round, "
            "load %.2f. In process: the relay's own work per move (memory engine, fake sockets); a join is a join "
            "and a leave (two lines), an action one line.\n\n%s\n" % (
                report["when"], args.rounds, args.joins, args.actions, report["load"][0], table))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "audit.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
