"""cobrowse: a co-browse widget, its session server and the agent console.

Public names (importable on CPython and, in the visitor's browser, on MicroPython or Pyodide):

- ``Events``: the seven co-browse events, e.g. ``Events.SessionStarted.listen(fn)``.
- ``EVENT_NAMES``: their names.

Subpackages, by where their code runs: ``core`` is the pure core, shared by the visitor's
browser (MicroPython) and the server (CPython); ``browser`` the adapters that touch the page
(and, in a Pyodide worker, this package's ``__init__``); ``server`` the session server;
``console`` the agent console's files.
"""

from cobrowse.core.events import EVENT_NAMES, Events

__all__ = ["EVENT_NAMES", "Events"]
