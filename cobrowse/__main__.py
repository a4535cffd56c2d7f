"""Command line: ``python -m cobrowse serve [--host H] [--port P] [--agent-key K]``."""

import argparse
import secrets
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cobrowse", description="The cobrowse session server.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the demo site, the widget, the agent console and sessions")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--agent-key", help="the key agents need; a random one when absent")
    serve.add_argument("--agent-wait-timeout", type=float, default=300.0, help="seconds a session may wait for its first agent")
    args = parser.parse_args(argv)

    import uvicorn

    from cobrowse.server import create_app

    key = args.agent_key or secrets.token_urlsafe(18)
    app = create_app(key)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print("cobrowse: demo site   http://%s:%d/" % (shown, args.port), flush=True)
    print("cobrowse: agent console http://%s:%d/agent?key=%s" % (shown, args.port, key), flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws_max_size=1 << 20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
