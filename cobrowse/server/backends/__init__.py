"""What the server processes of a deployment share: ``engine`` (the interface, and one process
in memory), ``store`` (sessions, failed joins and view logs, in memory) and ``redis_engine``
(all of it in Redis, for any number of processes)."""
