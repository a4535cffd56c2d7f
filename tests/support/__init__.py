"""What the tests and the benchmarks share (``tests/`` is on the path of both).

Modules: ``processes`` (a cobrowse server, a customer's page server, redis-server and nginx as
child processes), ``site`` (a customer's site embedding the widget), ``proxy`` (a TCP proxy to
break the network with), ``browser`` (steps of the browser tests: boot, start, join), ``axe``
(axe-core's accessibility checks), ``apps`` (the React, Vue and Knockout apps built from npm),
``loop`` (``run_async``) and ``sessions`` (visitor sessions in every state, for the core's tests).
"""
