"""Fixtures only the browser tests use.

- ``runtime``: every browser test that asks for it runs on MicroPython and on Pyodide.
- ``proxy``: a TCP proxy of the test's own in front of the shared ``server``, to break the
  network with; pages use it with ``data_server=proxy.base``.
"""

import pytest

from support.proxy import Proxy


@pytest.fixture(params=["micropython", "pyodide"])
def runtime(request):
    return request.param


@pytest.fixture
def proxy(server):
    """A proxy in front of the shared server; pages use it with ``data_server=proxy.base``."""
    running = Proxy(server.port)
    yield running
    running.close()
