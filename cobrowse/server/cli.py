"""Command line: ``python -m cobrowse serve [--host H] [--port P] [--agent-key K] [options]``.

``--redis redis://HOST:PORT/DB`` (or ``COBROWSE_REDIS_URL``) keeps every piece of shared state
in Redis, so that any number of such processes serve the same sessions; without it, one process
keeps them in memory. SIGTERM drains: the process stops taking connections, hands its sessions
on and closes its sockets with 1012, which makes clients reconnect at once (to another process).

Public names:

- ``main(argv=None)``: parse the command line and run the server.
- ``origin(text)``: an ``--allowed-origin`` value, checked and normalized (argparse type).
- ``is_loopback(host)``: whether a bind address only reaches this machine.
- ``seconds(text)``: a positive number of seconds (argparse type).
- ``redis_url(text)``: a ``redis://`` or ``rediss://`` URL (argparse type).
"""

import argparse
import ipaddress
import os
import secrets
import sys
from urllib.parse import urlsplit


def seconds(text: str) -> float:
    """A positive number of seconds (fractions allowed), for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a number of seconds" % text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("%r is not a positive number of seconds" % text)
    return value


def origin(text: str) -> str:
    """An origin as browsers send it, ``scheme://host[:port]``, normalized; else an error."""
    from cobrowse.server.gate import normalize_origin

    try:
        parts = urlsplit(text.strip())
        parts.port
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not an origin like https://shop.example" % text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise argparse.ArgumentTypeError("%r is not an origin like https://shop.example" % text)
    return normalize_origin(text)


def redis_url(text: str) -> str:
    """A Redis URL, for argparse: ``redis://HOST:PORT/DB`` (``rediss://`` for TLS)."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise argparse.ArgumentTypeError("%r is not a Redis URL like redis://127.0.0.1:6379/0" % text)
    return text.strip()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cobrowse", description="The cobrowse session server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the demo site, the widget, the agent console and sessions")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--agent-key", help="the key agents need; a random one when absent")
    serve.add_argument("--agent-wait-timeout", type=seconds, default=300.0, metavar="SECONDS",
                       help="end a session that has had no agent for this long as USER_TIMEOUT (default 300)")
    serve.add_argument("--network-timeout", type=seconds, default=30.0, metavar="SECONDS",
                       help="how long a dropped agent, or a visitor whose page set no data-network-timeout, "
                            "may take to reconnect (default 30)")
    serve.add_argument("--idle-timeout", type=seconds, default=20.0, metavar="SECONDS",
                       help="close a connection silent for this long (default 20; clients ping every 5 s)")
    serve.add_argument("--allowed-origin", type=origin, action="append", default=[], metavar="ORIGIN",
                       help="a site (https://shop.example) whose pages may use this server; repeatable. "
                            "Without any, every site may start visitor sessions")
    serve.add_argument("--redis", type=redis_url, default=os.environ.get("COBROWSE_REDIS_URL") or None, metavar="URL",
                       help="keep sessions in Redis at URL (redis://HOST:PORT/DB), shared by every process "
                            "started with it (default: $COBROWSE_REDIS_URL, else one process, in memory)")
    args = parser.parse_args(argv)

    from cobrowse.server.app import create_app
    from cobrowse.server.backends.engine import Engine
    from cobrowse.server.process import DrainingServer, uvicorn_config

    key = args.agent_key or secrets.token_urlsafe(18)
    engine: Engine | None = None
    if args.redis:
        from cobrowse.server.backends.redis.engine import RedisEngine

        engine = RedisEngine(args.redis)
    app = create_app(key, agent_wait_timeout=args.agent_wait_timeout, network_timeout=args.network_timeout,
                     idle_timeout=args.idle_timeout, allowed_origins=args.allowed_origin, engine=engine)
    if not args.allowed_origin and not is_loopback(args.host):
        print("cobrowse: warning: no --allowed-origin given, so a page of any site may start co-browse "
              "sessions on this server; list your sites with --allowed-origin", flush=True)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print("cobrowse: demo site   http://%s:%d/" % (shown, args.port), flush=True)
    print("cobrowse: agent console http://%s:%d/agent?key=%s" % (shown, args.port, key), flush=True)
    DrainingServer(uvicorn_config(app, args.host, args.port), app.state.relay).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
