"""All that the server processes of a deployment share, in one Redis (``serve --redis URL``):
``keys`` (the key layout), ``lua`` (the scripts of ``scripts/``), ``guard`` (Redis errors as
``Unavailable``), ``store``, ``limiter``, ``views``, ``broker`` (publications), ``presence``
(heartbeats), ``timers`` and ``engine`` (the bundle)."""
