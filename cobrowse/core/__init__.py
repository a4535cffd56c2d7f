"""The pure core, shared by the visitor's browser (MicroPython) and the server (CPython).

Modules: ``events`` (the seven events and their signals), ``protocol`` (the wire messages),
``session`` (the visitor's session as a state machine), ``links`` (which links leave the site),
``control`` (remote control's decisions), ``widget_view`` (what the default widget shows),
``feed`` (the events feed to the page's own Python under Pyodide) and ``constants`` (close codes,
timings and other values shared with the JavaScript, which ``make setup`` writes for it). None
of them does any I/O, and every one runs on MicroPython 1.27 as on CPython.
"""
