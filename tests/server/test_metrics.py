"""``GET /metrics``: the process's figures in Prometheus' text format, counted by the relay."""

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from cobrowse.server.metrics import RelayCollector
from support.loop import run_async
from support.relay import run_relay
from support.wire import agent, join, session_with_agent, view


def figures(families):
    """``{sample name: value}`` of metric families (labels left out: ours have none but ``le``)."""
    found = {}
    for family in families:
        for sample in family.samples:
            name = sample.name + ("{le=%s}" % sample.labels["le"] if "le" in sample.labels else "")
            found[name] = sample.value
    return found


def test_the_relay_counts_sessions_people_frames_and_views():
    async def steps(server):
        before = figures(RelayCollector(server.relay).collect())
        assert before["cobrowse_sessions"] == 0 and before["cobrowse_views_total"] == 0
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack, agent(server) as bob:
            await join(bob, started["accessCode"], "Bob")
            await customer.expect("agent_joined")
            text = view({"type": 3, "data": {"source": 2}})
            await customer.send_raw(text)
            await alice.expect("view")
            await bob.expect("view")
            now = figures(RelayCollector(server.relay).collect())
        assert now["cobrowse_sessions"] == 1
        assert now["cobrowse_visitors"] == 1 and now["cobrowse_agents"] == 2
        assert now["cobrowse_views_total"] == 1
        # start, two joins and the view came in; the view went out twice, among the replies.
        assert now["cobrowse_frames_received_total"] >= 4
        assert now["cobrowse_chars_received_total"] >= len(text)
        assert now["cobrowse_chars_sent_total"] >= 2 * len(text)
        assert now["cobrowse_view_relay_seconds_count"] == 1
        assert now["cobrowse_view_relay_seconds_bucket{le=+Inf}"] == 1
        assert now["cobrowse_resyncs_total"] == 0 and now["cobrowse_slow_visitors_closed_total"] == 0
        assert "cobrowse_redis_calls_total" not in now

    run_relay(steps, engine="memory")


def test_metrics_are_served_in_prometheus_text_format(server):
    async def steps():
        stack, customer, started, alice, joined = await session_with_agent(server)
        async with stack:
            await customer.send_raw(view({"type": 3}))
            await alice.expect("view")
            with urllib.request.urlopen(server.base + "/metrics", timeout=5) as response:
                kind = response.headers["Content-Type"]
                return kind, figures(text_string_to_metric_families(response.read().decode()))

    kind, found = run_async(steps())
    assert kind.startswith("text/plain; version=")
    assert found["cobrowse_sessions"] >= 1 and found["cobrowse_views_total"] >= 1
    # A server on Redis says how its calls to Redis went.
    assert ("cobrowse_redis_calls_total" in found) == ("--redis" in server.args)
