"""The ``cobrowse`` package as the page's own Python sees it under ``data-runtime="pyodide"``.

Public names, as in the package everywhere else:

- ``Events``: the seven co-browse events, e.g. ``Events.SessionStarted.listen(fn)``.
- ``EVENT_NAMES``: their names.

The co-browse core always runs on MicroPython on the main thread (``browser.widget``). With
``data-runtime="pyodide"`` the loader gives the page's own ``<script type="py" worker>`` tags
CPython from the cobrowse server, with ``cobrowse/core/`` and this file as the ``cobrowse``
package: here this file *is* ``cobrowse/__init__.py`` (``server.manifest.worker_files()``).
Importing it joins the page's events feed (``core.feed``), so the ``Events``
below hear every co-browse event with the payloads main-thread listeners get, asynchronously:
listeners attached while the script first runs also hear the events that happened while
CPython was starting, in order. It is the one module of that package that touches JavaScript.
"""

import json
import random

import js
from pyodide.ffi import create_proxy

from cobrowse.core.events import EVENT_NAMES, Events
from cobrowse.core.feed import EventFeed

__all__ = ["EVENT_NAMES", "Events"]


def _report(message):
    js.console.error("Cobrowse: " + message)


def _report_listener_error(signal, listener, exc):
    _report("a %s listener failed: %r" % (signal.name, exc))


def _channel_name():
    """The page's events channel, from the config the loader gave this script."""
    import polyscript

    config = json.loads(js.JSON.stringify(polyscript.config))
    if isinstance(config, str):  # A worker gets the config attribute's text as it was.
        config = json.loads(config)
    return config["cobrowse"]["channel"]


def _join_feed():
    feed = EventFeed("%016x" % random.getrandbits(64))
    channel = js.BroadcastChannel.new(_channel_name())

    def on_message(event):
        for name, data in feed.receive(str(event.data)):
            Events[name].send(data)
        while feed.errors:
            _report(feed.errors.pop(0))

    channel.onmessage = create_proxy(on_message)
    channel.postMessage(feed.hello())
    return channel


for _signal in Events.signals():
    _signal.on_error = _report_listener_error
# The channel lives as long as this interpreter: the page's events keep coming.
_channel = _join_feed()
