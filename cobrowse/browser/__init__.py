"""The visitor's browser: the adapters between the pure core and the page (MicroPython, main
thread), and the ``cobrowse`` package of the page's own Python under Pyodide (``worker``).

Public names:

- ``main()``: boot the widget; the loader (``static/cobrowse.js``) runs it.

Modules: ``ffi`` (the one way into JavaScript), ``dom`` (elements, style sheets, focus),
``widget`` (the ``Widget``: the session wired to its parts), its parts ``connection`` (the
WebSocket, heartbeat and reconnects), ``navigation`` (links leaving the site and the leave
dialog), ``ui`` (the default widget, its dialogs and live region) and ``storage`` (what the tab
keeps across page loads), ``control`` (remote control, imported the first time it is needed)
and ``worker`` (in a PyScript worker, the ``cobrowse`` package's ``__init__``).
"""


def main():
    from cobrowse.browser.widget import main as boot

    boot()
