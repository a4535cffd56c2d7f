"""Everything one server process shares with itself, in its memory (the default backend):
``store`` (sessions), ``limiter`` (failed joins), ``views`` (view logs), ``timers`` and
``engine`` (the bundle, with publications as function calls)."""
