"""The audit trail and the hardening of a real ``serve`` process: ``--audit-log`` written and
scanned for secrets, a full disk (``/dev/full``) refusing sessions with ``/healthz`` at 503, and
``--trusted-proxy`` behind the real nginx of ``docs/deploy.md``.
"""

import json

import pytest

from support.loop import run_async as run
from support.processes import NginxProcess, ServerProcess
from support.wire import agent, deploy_config, health, join, next_view_text, start, until_state, view, visitor

CARD = "4111 1111 1111 1111"
MASKED = "*" * 8 + "masked-name"
TYPED = "\u00a7"

pytestmark = pytest.mark.process


def test_a_served_session_with_remote_control_leaves_no_secret_in_the_audit_log_or_the_server_log(tmp_path):
    path = tmp_path / "audit.jsonl"
    server = ServerProcess("--audit-log", str(path))
    secrets = []
    try:
        async def steps():
            async with visitor(server) as customer, agent(server) as alice:
                started = await start(customer, SID="case-3")
                joined = await join(alice, started["accessCode"])
                secrets.extend([started["token"], joined["token"]])
                await customer.expect("agent_joined")
                await customer.send_raw(view({"type": 2, "data": {"text": CARD, "masked": MASKED}}))
                await next_view_text(alice)
                await alice.send("request_control")
                await customer.expect("control_request")
                await customer.send("control_grant", id=joined["id"])
                await until_state(alice, "ACTIVE:ESCALATED")
                for action in ({"kind": "click", "id": 9, "x": 3, "y": 4, "path": "input#name"},
                               {"kind": "key", "key": TYPED}, {"kind": "key", "key": "Tab"}):
                    await alice.send("act", action=action)
                    await customer.expect("act")
                await customer.send("stop", reason="USER_INITIATED")
                await customer.expect("ended")

        run(steps())
    finally:
        server.stop()
    events = [json.loads(text)["event"] for text in path.read_text().splitlines()]
    assert events == ["session_started", "agent_connected", "control_requested", "control_granted",
                      "control_action", "control_action", "control_action", "session_ended"]
    for text in (path.read_text(), "".join(server.output)):
        for secret in secrets + [CARD, MASKED, TYPED]:
            assert secret not in text


def test_a_full_disk_refuses_new_sessions_and_healthz_names_the_audit_log():
    server = ServerProcess("--audit-log", "/dev/full")
    try:
        async def steps():
            for _ in range(2):
                async with visitor(server) as customer:
                    await customer.send("start", siteCode="ACME-1")
                    await customer.expect_error("unavailable")

        assert health(server)[0] == 200  # Nothing was written yet.
        run(steps())
        status, body = health(server)
        assert status == 503
        assert body["reason"] == "the audit log /dev/full cannot be written: No space left on device"
    finally:
        server.stop()
    assert sum("cannot be written" in line for line in server.output) == 1, server.output


def _limited_separately(trusted, tmp_path):
    """Behind nginx, agent A fails five joins, then agent B (another address) tries one: whether
    B was refused as rate limited, and the client addresses of the audit trail."""
    options = ("--trusted-proxy", "127.0.0.1") if trusted else ()
    path = tmp_path / ("trusted.jsonl" if trusted else "untrusted.jsonl")
    server = ServerProcess("--audit-log", str(path), *options)
    proxy = NginxProcess(deploy_config([server]), tmp_path / ("nginx-t" if trusted else "nginx-u"))
    try:
        async def steps():
            async with agent(proxy, address="127.220.0.1") as eve:
                for _ in range(5):
                    await eve.send("join", code="no-such-sid", name="Eve")
                    await eve.expect_error("no_session")
                await eve.send("join", code="no-such-sid", name="Eve")
                await eve.expect_error("rate_limited")
            async with agent(proxy, address="127.220.0.2") as alice:
                await alice.send("join", code="no-such-sid", name="Alice")
                return (await alice.expect("error"))["code"] == "rate_limited"

        refused = run(steps())
    finally:
        proxy.stop()
        server.stop()
    return refused, {json.loads(text).get("client") for text in path.read_text().splitlines()}


def test_behind_nginx_a_trusted_proxy_lets_the_limits_see_each_client(tmp_path):
    (tmp_path / "nginx-t").mkdir()
    (tmp_path / "nginx-u").mkdir()
    refused, clients = _limited_separately(True, tmp_path)
    assert not refused
    assert clients == {"127.220.0.1", "127.220.0.2"}
    # Without --trusted-proxy the forwarded header is not believed: both are nginx, one client.
    refused, clients = _limited_separately(False, tmp_path)
    assert refused
    assert clients == {"127.0.0.1"}
