"""Debian's Chromium as the tests and the benchmarks launch it.

Public names:

- ``CHROMIUM``: its path; Playwright cannot download a browser here.
- ``CHROMIUM_ARGS``: the flags it needs on this machine (as root, headless, no network of its
  own: without the background-networking flags it keeps calling hosts it cannot reach).
- ``DEAD_PROXY``: a flag sending every request not to a loopback address to a closed port, so
  that nothing leaves the machine (loopback bypasses proxies implicitly).
- ``LOOPBACK``: the hosts that count as this machine.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEAD_PROXY = "--proxy-server=http://127.0.0.1:9"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")
