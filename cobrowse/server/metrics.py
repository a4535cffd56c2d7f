"""What operators watch: ``GET /metrics``, this process's figures in Prometheus' text format
(``prometheus-client``), read from the relay's counters when a scrape asks.

Public names:

- ``metrics_endpoint(relay)``: the Starlette endpoint. Its figures (each named ``cobrowse_*``):
  live sessions and connected visitors and agents on this process; frames and characters in and
  out; views relayed, with the time from a view's arrival to its publication as a histogram;
  agents resynced and visitors closed for being too slow; with Redis, the calls made to it and
  the errors. Counters count from the process's start.

The counting is plain integer additions on the hot path (``relay.stats``); the work of a scrape
is done by the scrape.
"""

from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from cobrowse.server.backends.records import VISITOR
from cobrowse.server.relay import Relay
from cobrowse.server.relay.stats import LATENCY_BUCKETS


class RelayCollector(Collector):
    """The relay's figures, made into metric families at each scrape."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def collect(self) -> Iterator[Metric]:
        stats, here = self.relay.stats, self.relay.here
        codes = here.codes()
        members = [who for code in codes for who in here.members(code)]
        visitors = sum(1 for who in members if who == VISITOR)
        yield GaugeMetricFamily("cobrowse_sessions", "Sessions with a connection on this process", len(codes))
        yield GaugeMetricFamily("cobrowse_visitors", "Visitors connected to this process", visitors)
        yield GaugeMetricFamily("cobrowse_agents", "Agents connected to this process", len(members) - visitors)
        yield GaugeMetricFamily("cobrowse_connections", "Open WebSocket connections", len(here.connections))
        yield CounterMetricFamily("cobrowse_frames_received", "Frames received from clients", stats.frames_in)
        yield CounterMetricFamily("cobrowse_chars_received", "Characters received from clients", stats.chars_in)
        yield CounterMetricFamily("cobrowse_messages_sent", "Messages queued to clients", stats.messages_out)
        yield CounterMetricFamily("cobrowse_chars_sent", "Characters queued to clients", stats.chars_out)
        yield CounterMetricFamily("cobrowse_views", "Views received from visitors and relayed", stats.views)
        yield CounterMetricFamily("cobrowse_resyncs", "Agents too slow for the views, sent the view afresh",
                                  stats.resyncs)
        yield CounterMetricFamily("cobrowse_slow_visitors_closed", "Visitors closed for not reading", stats.too_slow)
        yield self._latency()
        yield from self._redis()

    def _latency(self) -> Metric:
        stats = self.relay.stats
        buckets, running = [], 0
        for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), stats.latency_counts):
            running += count
            buckets.append((bound, running))
        return HistogramMetricFamily("cobrowse_view_relay_seconds", "From a view's arrival to its publication",
                                     buckets=buckets, sum_value=stats.latency_sum)

    def _redis(self) -> Iterator[Metric]:
        from cobrowse.server.backends.redis.engine import RedisEngine

        engine = self.relay.engine
        if isinstance(engine, RedisEngine):
            yield CounterMetricFamily("cobrowse_redis_calls", "Calls made to Redis", engine.guard.calls)
            yield CounterMetricFamily("cobrowse_redis_errors", "Calls to Redis that failed", engine.guard.errors)


def metrics_endpoint(relay: Relay) -> Callable[[Request], Awaitable[Response]]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RelayCollector(relay))

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
