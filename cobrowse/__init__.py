"""cobrowse: a co-browse widget, its session server and the agent console.

Public names (importable on CPython and, in the visitor's browser, on MicroPython or Pyodide):

- ``Events``: the seven co-browse events, e.g. ``Events.SessionStarted.listen(fn)``.
- ``EVENT_NAMES``: their names.

Modules: ``events``, ``session``, ``protocol``, ``links`` and ``widget`` are the pure core
shared by browser and server; ``browser`` is the one module that touches the page (MicroPython,
main thread); ``feed`` and ``worker`` carry the events to the page's own CPython under
``data-runtime="pyodide"`` (in a PyScript worker, ``worker`` is this package's ``__init__``);
``server``, ``store`` and ``__main__`` run the session server.
"""

from cobrowse.events import EVENT_NAMES, Events

__all__ = ["EVENT_NAMES", "Events"]
