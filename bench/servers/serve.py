"""The cobrowse server on another WebSocket stack, for bench/stacks.py to compare side by side.

``python bench/servers/serve.py STACK serve --port P --agent-key K [--redis URL]`` serves the
relay as ``python -m cobrowse serve`` does, on one of:

- ``uvicorn-asyncio``: uvicorn with asyncio's own event loop and the h11 HTTP parser (what a
  plain ``pip install uvicorn`` gives).
- ``uvicorn-uvloop``: uvicorn with uvloop and httptools (``uvicorn[standard]``): the product's
  stack today (``cobrowse/server/process.py``).
- ``granian``: Granian (Rust) serving the same Starlette application (ASGI), on uvloop.
- ``picows``: picows (Cython) serving ``/ws/visitor`` and ``/ws/agent`` only, straight into the
  relay without ASGI or Starlette, on uvloop. It checks the agent key and nothing else (no
  Origin check, no HTTP routes): a measure of what the relay costs on the leanest socket layer,
  not a server to deploy.

Every stack runs the same relay, engine (memory, or Redis with ``--redis``) and timeouts, and
sends no compression, as the product does.

With ``COBROWSE_TRACE_MEMORY=FILE`` in the environment, the process traces its allocations
(``tracemalloc``) and, on SIGUSR1, writes to FILE what holds its memory, by line of code.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cobrowse.server.backends.memory.engine import MemoryEngine  # noqa: E402 - needs the path above.

STACKS = ("uvicorn-asyncio", "uvicorn-uvloop", "granian", "picows")


def engine_of(redis_url):
    if not redis_url:
        return MemoryEngine()
    from cobrowse.server.backends.redis.engine import RedisEngine

    return RedisEngine(redis_url)


def serve_uvicorn(args, loop, http):
    from cobrowse.server.app import create_app
    from cobrowse.server.process import DrainingServer, uvicorn_config

    app = create_app(args.agent_key, engine=engine_of(args.redis))
    config = uvicorn_config(app, "127.0.0.1", args.port)
    config.loop, config.http = loop, http
    DrainingServer(config, app.state.relay).run()


def serve_granian(args):
    import uvloop
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    from cobrowse.server.app import create_app

    app = create_app(args.agent_key, engine=engine_of(args.redis))
    server = Server(app, address="127.0.0.1", port=args.port, interface=Interfaces.ASGI, websockets=True,
                    log_level=LogLevels.warning)
    uvloop.run(server.serve())


def serve_picows(args):
    import uvloop

    from bench.servers.picows_relay import serve

    uvloop.run(serve(args.port, args.agent_key, engine_of(args.redis)))


def trace_memory(path):
    """Trace allocations; on SIGUSR1 write the 40 lines of code holding the most memory."""
    import signal
    import tracemalloc

    tracemalloc.start(1)

    def dump(signum, frame):
        snapshot = tracemalloc.take_snapshot()
        stats = snapshot.statistics("lineno")
        total = sum(stat.size for stat in stats)
        lines = ["total %d bytes in %d blocks" % (total, sum(stat.count for stat in stats))]
        lines += ["%9d B %7d blocks  %s" % (stat.size, stat.count, stat.traceback[0]) for stat in stats[:40]]
        Path(path).write_text("\n".join(lines) + "\n")

    signal.signal(signal.SIGUSR1, dump)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", choices=STACKS)
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--agent-key", required=True)
    parser.add_argument("--redis", default=None)
    args = parser.parse_args()
    if os.environ.get("COBROWSE_TRACE_MEMORY"):
        trace_memory(os.environ["COBROWSE_TRACE_MEMORY"])
    # What support.processes.ServerProcess waits for before it connects.
    print("cobrowse: agent console http://127.0.0.1:%d/agent?key=%s (%s)" % (args.port, args.agent_key, args.stack),
          flush=True)
    if args.stack == "uvicorn-asyncio":
        serve_uvicorn(args, "asyncio", "h11")
    elif args.stack == "uvicorn-uvloop":
        serve_uvicorn(args, "uvloop", "httptools")
    elif args.stack == "granian":
        serve_granian(args)
    else:
        serve_picows(args)


if __name__ == "__main__":
    main()
