"""``python -m cobrowse audit``: one session's or one agent's timeline from the audit logs of
every process, as a table; and the lines themselves (their time, their writer)."""

import json

from cobrowse.server.audit import FileTrail, NullTrail, rfc3339
from cobrowse.server.cli import main

ALICE = {"id": "alice-1", "name": "Alice", "role": "agent"}
BOB = {"id": "bob-2", "name": "Bob", "role": "supervisor"}


def line(time, event, code="004213", **details):
    return {"time": time, "event": event, "accessCode": code, "SID": "case-7" if code == "004213" else None,
            "siteCode": "ACME-1" if code else None, "process": "p1", **details}


def write(path, *lines, junk=""):
    path.write_text("".join(json.dumps(one) + "\n" for one in lines) + junk)


def test_a_session_s_timeline_merges_the_processes_logs_in_time_order(tmp_path, capsys):
    write(tmp_path / "one.jsonl",
          line("2026-12-02T16:05:01.123Z", "session_started", client="203.0.113.7", url="https://shop.example/"),
          line("2026-12-02T16:05:09.000Z", "control_granted", agent=ALICE, client="203.0.113.7"),
          line("2026-12-02T16:06:00.000Z", "session_started", code="777777"))
    write(tmp_path / "two.jsonl",
          line("2026-12-02T16:05:04.500Z", "agent_connected", agent=ALICE, agentCount=1),
          line("2026-12-02T16:05:10.000Z", "control_action", agent=ALICE, action={"kind": "click", "target": "a#next"}),
          line("2026-12-02T16:05:20.000Z", "agent_connected", agent=BOB, agentCount=2),
          junk='{"time": "2026-12-02T16:05:2')  # A line cut short by a full disk.
    assert main(["audit", str(tmp_path / "one.jsonl"), str(tmp_path / "two.jsonl"), "--code", "case-7"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["time", "event", "agent", "details"]
    assert [row.split()[1] for row in out[1:6]] == ["session_started", "agent_connected", "control_granted",
                                                     "control_action", "agent_connected"]
    assert "Alice (alice-1)" in out[2] and "agentCount 1" in out[2]
    assert "action click a#next" in out[4]
    assert "Bob (bob-2, supervisor)" in out[5]
    assert "777777" not in "\n".join(out)
    assert out[-1] == "(1 unreadable lines skipped)"


def test_an_agent_s_timeline_and_nothing_found(tmp_path, capsys):
    write(tmp_path / "a.jsonl", line("2026-12-02T16:05:04.500Z", "agent_connected", agent=ALICE),
          line("2026-12-02T16:05:05.500Z", "agent_connected", agent=BOB),
          line("2026-12-02T16:05:06.000Z", "agent_refused", code=None, reason="wrong_code", client="127.0.0.9"))
    assert main(["audit", str(tmp_path / "a.jsonl"), "--agent", "bob-2"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 1 and "Bob" in rows[0]
    assert main(["audit", str(tmp_path / "a.jsonl"), "--code", "000000"]) == 1
    assert capsys.readouterr().out == "cobrowse audit: no line matches\n"
    assert main(["audit", str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot read" in capsys.readouterr().out


def test_lines_are_compact_json_on_one_line_each_with_a_millisecond_utc_time(tmp_path):
    assert rfc3339(1796227501.1239) == "2026-12-02T16:05:01.123Z"
    trail = FileTrail(str(tmp_path / "a.jsonl"))
    trail.write({"event": "x", "name": "Zoë\nnext"})
    trail.write({"event": "y"})
    text = (tmp_path / "a.jsonl").read_text(encoding="utf-8")
    assert text == '{"event":"x","name":"Zoë\\nnext"}\n{"event":"y"}\n'
    assert oct((tmp_path / "a.jsonl").stat().st_mode & 0o777) == "0o600"
    assert NullTrail().health() is None and trail.health() is None
