"""The pure core, shared by the visitor's browser (MicroPython) and the server (CPython).

Modules: ``events`` (the seven events and their signals), ``protocol`` (the wire messages),
``states`` (the session's states and reasons), ``session`` (the visitor's session as a state
machine), with ``resume`` (how it outlives lost connections and page loads) and ``consent``
(remote control's consent) mixed into it, ``links`` (which links leave the site), ``control``
(remote control's decisions), ``widget_view`` (what the default widget shows), ``feed`` (the
events feed to the page's own Python under Pyodide) and ``constants`` (close codes, timings and
other values shared with the JavaScript, which ``make setup`` writes for it). None of them does
any I/O, and every one runs on MicroPython 1.27 as on CPython.
"""
