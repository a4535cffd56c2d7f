"""What the relay counts, for ``GET /metrics`` (``server.metrics``): plain integers bumped on the
hot path, read only when a scrape asks, so that counting costs a few additions per message.

Public names:

- ``RelayStats``: ``received(text)`` and ``sent(text)`` count frames and characters in and out;
  ``relayed(seconds)`` counts a view and files the time its move took (from the frame's arrival
  to its publication: the Redis round trip included) into ``LATENCY_BUCKETS``; ``resyncs`` and
  ``too_slow`` count agents sent the view afresh and visitors closed for not reading.
- ``LATENCY_BUCKETS``: the histogram's upper bounds, in seconds.
"""

import bisect
from typing import Final

LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class RelayStats:
    """This process's relay counters (see the module's docstring)."""

    def __init__(self) -> None:
        self.frames_in = 0
        self.chars_in = 0
        self.messages_out = 0
        self.chars_out = 0
        self.views = 0
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)  # The last one: over every bound.
        self.latency_sum = 0.0
        self.resyncs = 0
        self.too_slow = 0

    def received(self, text: str | bytes) -> None:
        self.frames_in += 1
        self.chars_in += len(text)

    def sent(self, text: str) -> None:
        self.messages_out += 1
        self.chars_out += len(text)

    def relayed(self, seconds: float) -> None:
        self.views += 1
        self.latency_sum += seconds
        self.latency_counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
