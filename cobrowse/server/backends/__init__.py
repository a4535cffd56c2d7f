"""What the server processes of a deployment share, behind narrow interfaces, one small file
each: ``store`` (sessions), ``records`` (a session's record and its helpers), ``views`` (view
logs), ``limiter`` (failed joins), ``broker`` (publications between processes), ``timers``,
``presence`` (which processes run), ``engine`` (what an engine bundles) and ``outage`` (shared
state out of reach). ``memory/`` implements them for one process, ``redis/`` for any number
sharing one Redis."""
