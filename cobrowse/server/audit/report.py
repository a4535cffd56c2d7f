"""``python -m cobrowse audit PATH... [--code CODE] [--agent SUB]``: a readable timeline of the
audit trail, for the person answering a complaint.

Public names:

- ``read(paths)``: the lines of one or more audit logs (each process of a deployment writes
  its own), in time order; ``(lines, skipped)``, ``skipped`` counting what was not a line (the
  last line of a log that filled its disk may be cut short).
- ``select(lines, code, agent)``: one session's lines (by access code or SID), one agent's
  (by id), or both.
- ``table(lines)``: the timeline as text: time, event, agent, details.
- ``run(paths, code, agent, out)``: print the table of what was selected; the exit status.
"""

import json
from collections.abc import Iterable
from typing import Any, TextIO

Line = dict[str, Any]

COLUMNS = ("time", "event", "agent", "details")
DETAILS = ("accessCode", "SID", "siteCode", "client", "reason", "url", "agentCount", "action", "process")


def read(paths: Iterable[str]) -> tuple[list[Line], int]:
    lines: list[Line] = []
    skipped = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as file:
            for text in file:
                try:
                    line = json.loads(text)
                except ValueError:
                    skipped += 1
                    continue
                if isinstance(line, dict) and isinstance(line.get("time"), str):
                    lines.append(line)
                else:
                    skipped += 1
    lines.sort(key=lambda line: line["time"])
    return lines, skipped


def select(lines: list[Line], code: str | None = None, agent: str | None = None) -> list[Line]:
    def wanted(line: Line) -> bool:
        if code is not None and code not in (line.get("accessCode"), line.get("SID")):
            return False
        return agent is None or (line.get("agent") or {}).get("id") == agent
    return [line for line in lines if wanted(line)]


def _agent(line: Line) -> str:
    agent = line.get("agent")
    if not isinstance(agent, dict):
        return ""
    role = agent.get("role")
    return "%s (%s%s)" % (agent.get("name"), agent.get("id"), "" if role in (None, "agent") else ", %s" % role)


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(str(part) for part in value.values())
    return str(value)


def _details(line: Line) -> str:
    return ", ".join("%s %s" % (name, _value(line[name])) for name in DETAILS if line.get(name) is not None)


def table(lines: list[Line]) -> str:
    rows = [COLUMNS] + [(line["time"], str(line.get("event")), _agent(line), _details(line)) for line in lines]
    widths = [max(len(row[column]) for row in rows) for column in range(len(COLUMNS) - 1)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1]
                     for row in rows).rstrip() + "\n"


def run(paths: list[str], code: str | None, agent: str | None, out: TextIO) -> int:
    try:
        lines, skipped = read(paths)
    except OSError as error:
        out.write("cobrowse audit: cannot read %s: %s\n" % (error.filename, error.strerror))
        return 1
    chosen = select(lines, code, agent)
    if not chosen:
        out.write("cobrowse audit: no line matches%s\n" % (" (%d unreadable lines skipped)" % skipped if skipped else ""))
        return 1
    out.write(table(chosen))
    if skipped:
        out.write("(%d unreadable lines skipped)\n" % skipped)
    return 0
