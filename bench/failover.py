"""Failover benchmark: from SIGKILL of a server process to the agent seeing the visitor's next change.

Run it with ``.venv/bin/python bench/failover.py [--rounds N]``. It starts a redis-server of its
own and two ``serve --redis`` processes. Each round: a visitor on process A and an agent on
process B share a session, the visitor sends a snapshot; A is killed with SIGKILL; the visitor
does what the widget does (reconnect after ``session.reconnect_delay``, which grows 0.25 s,
0.5 s, 1 s ... with jitter, and ``resume`` with its token; an ``in_use`` answer, given until the
other processes notice that A died, is retried the same way) on the surviving process, then
sends a change. The figure is the time from the kill to the agent receiving that change, with the
parts: until the resume was taken, and how many attempts it took. A is then started again for
the next round.

Figures go to ``bench/results/failover.json`` and ``failover.md``; the table is printed.
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from cobrowse.core.session import reconnect_delay  # noqa: E402 - needs the path above.
from support.processes import RedisProcess, ServerProcess  # noqa: E402

RESULTS = ROOT / "bench" / "results"
AGENT_KEY = "bench-agent-key"
TARGET_SECONDS = 5.0


def message(kind, **fields):
    return json.dumps({"v": 1, "type": kind, **fields}, separators=(",", ":"))


async def expect(socket, kind):
    while True:
        reply = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if reply["type"] == kind:
            return reply
        if reply["type"] in ("ended", "error"):
            return reply


async def one_round(doomed, survivor):
    visitor = await connect(doomed.ws + "/ws/visitor")
    agent = await connect(survivor.ws + "/ws/agent?key=" + AGENT_KEY, max_size=None)
    await visitor.send(message("start", siteCode="BENCH-FAILOVER"))
    started = await expect(visitor, "started")
    await agent.send(message("join", code=started["accessCode"], name="Agent"))
    await expect(agent, "joined")
    await visitor.send(message("view", events=[{"type": 2, "data": {"node": {"id": 1}}}]))
    await expect(agent, "view")

    doomed.kill()
    killed = time.monotonic()
    visitor.transport.abort()
    token, attempt = started["token"], 0
    while True:
        # The widget notices a killed server's socket at once (the TCP connection resets).
        await asyncio.sleep(reconnect_delay(attempt, random.random()))
        attempt += 1
        try:
            visitor = await connect(survivor.ws + "/ws/visitor")
        except OSError:
            continue
        await visitor.send(message("resume", token=token))
        reply = await expect(visitor, "resumed")
        if reply["type"] == "resumed":
            break
        assert reply.get("code") == "in_use", reply
        await visitor.close()
    resumed = time.monotonic() - killed
    await visitor.send(message("view", events=[{"type": 3, "data": {"after": "failover"}}]))
    while True:
        seen = await expect(agent, "view")
        if seen["events"][0]["type"] == 3:
            break
    total = time.monotonic() - killed
    assert seen["type"] == "view", seen
    await visitor.close()
    await agent.close()
    return {"seconds": round(total, 3), "resumed_after_s": round(resumed, 3), "attempts": attempt}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    redis = RedisProcess()
    servers = [ServerProcess("--redis", redis.url, agent_key=AGENT_KEY) for _ in range(2)]
    rounds = []
    try:
        for number in range(args.rounds):
            doomed, survivor = servers
            result = asyncio.run(one_round(doomed, survivor))
            rounds.append(result)
            print("round %d: %.2f s (resume taken after %.2f s, %d attempts)"
                  % (number + 1, result["seconds"], result["resumed_after_s"], result["attempts"]), flush=True)
            servers = [survivor, ServerProcess("--redis", redis.url, agent_key=AGENT_KEY)]
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.stop()
        redis.stop()
    seconds = [result["seconds"] for result in rounds]
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "rounds": rounds,
              "median_s": round(statistics.median(seconds), 2), "max_s": round(max(seconds), 2),
              "target_s": TARGET_SECONDS}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "failover.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["# Failover", "", "%s. SIGKILL of the visitor's server process to the agent (on another process) "
             "receiving the visitor's next change, the visitor reconnecting as the widget does." % report["date"], "",
             "| round | kill to change seen | resume taken after | attempts |", "|--:|--:|--:|--:|"]
    lines += ["| %d | %.2f s | %.2f s | %d |" % (number + 1, result["seconds"], result["resumed_after_s"], result["attempts"])
              for number, result in enumerate(rounds)]
    lines += ["", "Median %.2f s, max %.2f s (target < %g s): %s." % (
        report["median_s"], report["max_s"], TARGET_SECONDS, "PASS" if report["max_s"] < TARGET_SECONDS else "FAIL"), ""]
    (RESULTS / "failover.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
