"""The visitor's browser: the adapters between the pure core and the page (MicroPython, main
thread), and the ``cobrowse`` package of the page's own Python under Pyodide (``worker``).

Public names:

- ``main()``: boot the widget; the loader (``static/cobrowse.js``) runs it.

Modules: ``widget`` (the widget: DOM, WebSocket, JavaScript bridge), ``control`` (remote
control, built the first time it is needed) and ``worker`` (in a PyScript worker, the
``cobrowse`` package's ``__init__``).
"""


def main():
    from cobrowse.browser.widget import main as boot

    boot()
