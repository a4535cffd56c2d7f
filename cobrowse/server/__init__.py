"""The session server (CPython only): serves the widget, the agent console and the demo site,
and relays sessions between visitors and agents.

Modules: ``cli`` (``python -m cobrowse serve``), ``process`` (uvicorn, and the drain on SIGTERM),
``app`` (the Starlette application: routes, lifespan, sockets), ``files`` (the files served, through
Starlette's StaticFiles), ``compression`` (gzip, and the copies ``make setup`` writes), ``gate``
(the agent key and Origin checks, as middleware), ``manifest`` (the browser's Python files),
``bytecode`` (the core compiled for MicroPython), ``relay`` (every protocol move: a package by
concern), ``audit`` (the audit trail the relay writes, and ``python -m cobrowse audit``), ``clock`` (the time the relay and the engines go by) and ``backends`` (what the processes of a deployment
share: in memory, or in Redis).
"""
