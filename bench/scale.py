"""Scale-out benchmark: the in-memory server next to the Redis engine with 1 and 2 processes.

Run it with ``.venv/bin/python bench/scale.py [load.py options]``. It runs ``bench/load.py``
three times, one after the other with the same options: one process in memory, one process on
Redis, two processes on Redis (each session's visitor on one, its agent on the other; every
server process and Redis pinned to the same core, so the figures compare one core's worth), then
``bench/failover.py``. With ``--cpu-quota F`` each server process has F of a CPU (a cgroup), so
that two processes have twice the CPU of one on a machine of two cores, and the summary gives the
sessions held per server core. The side-by-side summary goes to ``bench/results/scale.md``: at each level,
the relay latency (p50/p99), server CPU per relayed message, server and Redis memory per session,
and the sessions each setup held with p99 < 50 ms. ``--summary`` rebuilds it from the last runs.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
RUNS = [("load-memory", "memory, 1 process", []),
        ("load-redis-1", "Redis, 1 process", ["--redis"]),
        ("load-redis-2", "Redis, 2 processes", ["--redis", "--processes", "2"])]


def summary(options):
    """The side-by-side table of the three runs' JSON reports and the failover's."""
    reports = [(title, json.loads((RESULTS / (name + ".json")).read_text())) for name, title, _ in RUNS]
    lines = ["# Scale-out", "", "`bench/scale.py %s`, %s; the three runs one after the other. At each level: relay "
             "latency p50/p99 in ms, server CPU per relayed message in ms (the server processes and Redis together), "
             "and memory per session in KB (server processes and Redis; Redis's own used_memory after the slash). "
             "Held: most sessions with p99 < %g ms and no errors." % (
                 " ".join(options), reports[0][1]["date"], reports[0][1]["options"]["max_p99"]), ""]
    lines.append("| sessions | " + " | ".join("%s: p50 / p99 | CPU ms/msg | KB/session" % title for title, _ in reports) + " |")
    lines.append("|--:|" + "--:|--:|--:|" * len(reports))
    levels = sorted({level["sessions_asked"] for _, report in reports for level in report["levels"]})
    for asked in levels:
        cells = []
        for title, report in reports:
            level = next((level for level in report["levels"] if level["sessions_asked"] == asked), None)
            if level is None:
                cells += ["-", "-", "-"]
                continue
            latency = level["latency_ms_all"]
            memory = "%s / %s" % (level["kb_per_session"], level["redis_kb_per_session"]) \
                if level["redis_kb_per_session"] is not None else str(level["kb_per_session"])
            cells += ["%s / %s%s" % (latency["p50"], latency["p99"], "" if level["errors"] + level["lost"] == 0 else
                                      " (%d errors)" % (level["errors"] + level["lost"])),
                      str(level["cpu_ms_per_message"]), memory]
        lines.append("| %d | %s |" % (asked, " | ".join(cells)))
    lines += [""] + ["- %s: held %d sessions%s; other processes used %s %% of one core on average during its windows."
                     % (title, report["most_sessions_held"], per_core(report),
                        round(sum(level["other_cpu_percent"] for level in report["levels"]) / max(len(report["levels"]), 1)))
                     for title, report in reports]
    memory, *redis = [per_core_sessions(report) for _, report in reports]
    if memory is not None and all(redis):
        lines += ["- Sessions per server core on Redis against in memory: %s." % ", ".join(
            "%s %.0f %%" % (title, share * 100 / memory) for (title, _), share in zip(reports[1:], redis))]
    failover = json.loads((RESULTS / "failover.json").read_text())
    lines += ["", "Failover (bench/failover.py, %d rounds): SIGKILL to the agent seeing the visitor's next change, "
              "median %.2f s, max %.2f s." % (len(failover["rounds"]), failover["median_s"], failover["max_s"]), ""]
    return lines


def per_core_sessions(report):
    """Sessions held per server core: with ``--cpu-quota``, each process had that share of one."""
    quota = report["options"].get("cpu_quota")
    return report["most_sessions_held"] / (report["options"]["processes"] * quota) if quota else None


def per_core(report):
    sessions = per_core_sessions(report)
    return "" if sessions is None else " (%d processes held to %g of a CPU each: %.0f per server core)" % (
        report["options"]["processes"], report["options"]["cpu_quota"], sessions)


def main(argv=None):
    options = list(sys.argv[1:] if argv is None else argv)
    if options[:1] == ["--summary"]:
        options = options[1:]
    else:
        for name, title, extra in RUNS:
            print("## %s" % title, flush=True)
            subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--name", name, *extra, *options], check=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "failover.py")], check=True)
    lines = summary(options)
    (RESULTS / "scale.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
