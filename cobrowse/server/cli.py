"""Command line: ``python -m cobrowse serve [--host H] [--port P] [--agent-key K] [options]``, and
``python -m cobrowse audit PATH... [--code CODE] [--agent ID]`` (``audit.report``).

Agents sign in with the shared ``--agent-key`` (a random one when absent), or with tokens signed
by the customer's backend: ``--agent-jwt-secret SECRET`` (HS256) or ``--agent-jwt-public-key
FILE`` (PEM: RS256 or ES256 by the key's type), with ``--agent-jwt-audience`` and
``--agent-jwt-issuer`` then required in every token. With a token key and no ``--agent-key``, the
shared key is off.

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
- ``network(text)``: a ``--trusted-proxy`` address or CIDR network (argparse type).
- ``size(text)``: a number of bytes, or of KiB, MiB, GiB (argparse type).
- ``minutes(text)``: a ``--session-limit`` of 1 to 720 minutes (argparse type).
- ``positive(text)``: a whole number above 0 (argparse type).
- ``token_verifier(args)``: the ``tokens.TokenVerifier`` the options ask for, or None.
"""

import argparse
import ipaddress
import os
import secrets
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from cobrowse.server.tokens import TokenVerifier


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


def network(text: str) -> str:
    """An address or a network (``10.0.0.0/8``, ``::1``), as uvicorn's proxy check takes it."""
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not an address or a network like 10.0.0.0/8" % text)


UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}


def size(text: str) -> int:
    """``536870912``, ``512MiB``, ``512 MiB``: a positive number of bytes."""
    number = text.strip().lower().rstrip("bikmg ")
    unit = text.strip().lower()[len(number):].strip()
    try:
        value = int(float(number) * UNITS[unit])
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError("%r is not a size like 512MiB" % text)
    if value <= 0:
        raise argparse.ArgumentTypeError("%r is not a positive size" % text)
    return value


def minutes(text: str) -> float:
    """A session limit, 1 to 720 minutes (whole or not), in seconds."""
    value = seconds(text)
    if not 1 <= value <= 720:
        raise argparse.ArgumentTypeError("%r is not between 1 and 720 minutes" % text)
    return value * 60


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not a whole number" % text)
    if value < 1:
        raise argparse.ArgumentTypeError("%r is not above 0" % text)
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_verifier(args: argparse.Namespace) -> "TokenVerifier | None":
    """The verifier of agent tokens the options ask for, or None; SystemExit for a bad key."""
    from cobrowse.server.tokens import TokenVerifier

    if args.agent_jwt_secret and args.agent_jwt_public_key:
        sys.exit("cobrowse: give --agent-jwt-secret or --agent-jwt-public-key, not both")
    if args.agent_jwt_secret:
        return TokenVerifier.from_secret(args.agent_jwt_secret, args.agent_jwt_audience, args.agent_jwt_issuer)
    if not args.agent_jwt_public_key:
        if args.agent_jwt_audience or args.agent_jwt_issuer:
            sys.exit("cobrowse: --agent-jwt-audience and --agent-jwt-issuer need a token key")
        return None
    try:
        with open(args.agent_jwt_public_key, "rb") as pem:
            return TokenVerifier.from_public_key(pem.read(), args.agent_jwt_audience, args.agent_jwt_issuer)
    except (OSError, ValueError) as error:
        sys.exit("cobrowse: --agent-jwt-public-key %s: %s" % (args.agent_jwt_public_key, error))


def _serve_options(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--agent-key", help="the shared key agents may sign in with; a random one when absent, "
                                            "none when a token key is given")
    serve.add_argument("--agent-jwt-secret", default=os.environ.get("COBROWSE_AGENT_JWT_SECRET") or None,
                       metavar="SECRET", help="verify agents' HS256 tokens with SECRET "
                                              "(default: $COBROWSE_AGENT_JWT_SECRET)")
    serve.add_argument("--agent-jwt-public-key", default=os.environ.get("COBROWSE_AGENT_JWT_PUBLIC_KEY") or None,
                       metavar="FILE", help="verify agents' RS256 or ES256 tokens with the PEM public key in FILE "
                                            "(default: $COBROWSE_AGENT_JWT_PUBLIC_KEY)")
    serve.add_argument("--agent-jwt-audience", metavar="AUD", help="the aud every agent token must name")
    serve.add_argument("--agent-jwt-issuer", metavar="ISS", help="the iss every agent token must name")
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
    serve.add_argument("--audit-log", metavar="PATH",
                       help="append the audit trail to PATH as JSON Lines (- for standard output); while it "
                            "cannot be written, new sessions, joins and remote control are refused")
    serve.add_argument("--trusted-proxy", type=network, action="append", default=[], metavar="CIDR",
                       help="believe X-Forwarded-For from this address or network (your load balancer); "
                            "repeatable. Without any, the peer's address is the client's")
    serve.add_argument("--start-limit", type=positive, default=20, metavar="N",
                       help="session starts allowed per client address a minute (default 20)")
    serve.add_argument("--view-log-budget", type=size, default=512 << 20, metavar="SIZE",
                       help="what this process's view logs may hold in all, e.g. 512MiB (the default); past it "
                            "the largest are dropped until their next snapshot (in memory; Redis caps each log)")
    serve.add_argument("--session-limit", type=minutes, metavar="MINUTES",
                       help="end every session this long after it started (1 to 720), with a warning a minute "
                            "before (default: no limit)")


def _audit_options(audit: argparse.ArgumentParser) -> None:
    audit.add_argument("paths", nargs="+", metavar="PATH", help="audit logs (every process's, to see them all)")
    audit.add_argument("--code", help="only this session (its access code or SID)")
    audit.add_argument("--agent", metavar="SUB", help="only this agent (its id)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cobrowse", description="The cobrowse session server.")
    commands = parser.add_subparsers(dest="command", required=True)
    _serve_options(commands.add_parser("serve", help="serve the demo site, the widget, the agent console and sessions"))
    _audit_options(commands.add_parser("audit", help="print a session's or an agent's timeline from audit logs"))
    args = parser.parse_args(argv)
    if args.command == "audit":
        from cobrowse.server.audit import report

        return report.run(args.paths, args.code, args.agent, sys.stdout)
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    from cobrowse.server.app import create_app
    from cobrowse.server.audit import open_trail
    from cobrowse.server.backends.engine import Engine
    from cobrowse.server.backends.memory.views import MemoryViewLog
    from cobrowse.server.process import DrainingServer, uvicorn_config

    tokens = token_verifier(args)
    key = args.agent_key or (None if tokens else secrets.token_urlsafe(18))
    engine: Engine | None = None
    if args.redis:
        from cobrowse.server.backends.redis.engine import RedisEngine

        engine = RedisEngine(args.redis, start_limit=args.start_limit)
    app = create_app(key, agent_wait_timeout=args.agent_wait_timeout, network_timeout=args.network_timeout,
                     idle_timeout=args.idle_timeout, allowed_origins=args.allowed_origin, engine=engine,
                     view_log=MemoryViewLog(budget=args.view_log_budget), audit=open_trail(args.audit_log),
                     session_limit=args.session_limit, start_limit=args.start_limit, tokens=tokens)
    # With --audit-log -, standard output carries the audit trail: these lines go to stderr.
    out = sys.stderr if args.audit_log == "-" else sys.stdout
    if not args.allowed_origin and not is_loopback(args.host):
        print("cobrowse: warning: no --allowed-origin given, so a page of any site may start co-browse "
              "sessions on this server; list your sites with --allowed-origin", file=out, flush=True)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print("cobrowse: demo site   http://%s:%d/" % (shown, args.port), file=out, flush=True)
    if key:
        print("cobrowse: agent console http://%s:%d/agent?key=%s" % (shown, args.port, key), file=out, flush=True)
    else:
        print("cobrowse: agent console http://%s:%d/agent#token=JWT (agents sign in with a signed token: "
              "docs/security.md)" % (shown, args.port), file=out, flush=True)
    DrainingServer(uvicorn_config(app, args.host, args.port, args.trusted_proxy), app.state.relay).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
