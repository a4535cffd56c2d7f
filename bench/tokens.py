"""Token bench: what checking an agent's sign-in costs per join, beside what the join costs.

Run it with ``.venv/bin/python bench/tokens.py [--rounds N] [--calls N]``. In one process, one
run (the checks interleaved round by round, then the joins):

- ``check``: ``SignIn.who`` on a socket's scope, as the server runs it before every agent socket
  it accepts (so once per join and per reconnect): the cookie holding an HS256, an RS256 (2048-bit)
  or an ES256 token (the token's ``iss`` read, then PyJWT's verification), the shared key's cookie
  (HS256, signed by the server), and ``?key=`` (one constant-time comparison).
- ``join``: a join through the relay in process (``support.relay``: memory engine, fake sockets),
  from the ``join`` message to ``joined``, then a ``leave``: the same for every kind of sign-in.

Each figure is the median over the rounds of the mean time per call within a round (``--calls``
calls). Figures go to ``bench/results/tokens.json`` and ``bench/results/tokens.md``; the table
is printed.
"""

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from starlette.requests import HTTPConnection  # noqa: E402

from cobrowse.server.signin import COOKIE, SignIn  # noqa: E402
from cobrowse.server.tokens import TokenVerifier  # noqa: E402
from support.relay import run_relay  # noqa: E402 - needs the path above.
from support.tokens import SECRET, claims, ec_keys, mint, rsa_keys  # noqa: E402
from support.wire import agent, join, start, visitor  # noqa: E402

RESULTS = ROOT / "bench" / "results"
KEY = "bench-agent-key"


def scope(cookie=None, query=b""):
    headers = [(b"cookie", ("%s=%s" % (COOKIE, cookie)).encode())] if cookie else []
    return {"type": "websocket", "path": "/ws/agent", "headers": headers, "query_string": query}


def kinds():
    """Each kind of sign-in: ``(name, SignIn, scope)``."""
    rsa_private, rsa_public = rsa_keys()
    ec_private, ec_public = ec_keys()
    made = [
        ("HS256 token", SignIn(TokenVerifier.from_secret(SECRET), None), scope(mint(claims()))),
        ("RS256 token", SignIn(TokenVerifier.from_public_key(rsa_public), None),
         scope(mint(claims(), rsa_private, "RS256"))),
        ("ES256 token", SignIn(TokenVerifier.from_public_key(ec_public), None),
         scope(mint(claims(), ec_private, "ES256"))),
    ]
    shared = SignIn(None, KEY)
    made.append(("shared key's cookie", shared, scope(shared.trade_key(KEY)[1])))
    made.append(("?key= (no cookie)", shared, scope(query=("key=" + KEY).encode())))
    return made


def check_round(sign_in, socket_scope, calls):
    """Mean seconds per ``who`` over ``calls`` calls."""
    begun = time.perf_counter()
    for _ in range(calls):
        sign_in.who(HTTPConnection(socket_scope))
    return (time.perf_counter() - begun) / calls


def join_rounds(rounds, calls):
    """Mean seconds per join (``join`` to ``joined``) for each round, in process."""
    means = []

    async def steps(server):
        async with visitor(server) as customer:
            code = (await start(customer))["accessCode"]
            for _ in range(rounds):
                spent = 0.0
                for _ in range(calls):
                    async with agent(server) as alice:
                        begun = time.perf_counter()
                        await join(alice, code)
                        spent += time.perf_counter() - begun
                        await alice.send("leave")
                    # The visitor hears each agent come and go.
                    await customer.expect("agent_joined")
                    await customer.expect("agent_left")
                means.append(spent / calls)

    run_relay(steps, "memory")
    return means


def report(figures, args):
    join_us = figures["join through the relay"]
    lines = ["# Token checks per join", "",
             "`bench/tokens.py --rounds %d --calls %d`, %s, Python %s, one process; median over the rounds of the mean "
             "per call. The check runs once per agent socket (a join, a rejoin, a reconnect)."
             % (args.rounds, args.calls, datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                platform.python_version()), "",
             "| | µs per call | of a join in process |", "| --- | ---: | ---: |"]
    for name, value in figures.items():
        share = "" if name == "join through the relay" else "%.2fx" % (value / join_us)
        lines.append("| %s | %.1f | %s |" % (name, value, share))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    made = kinds()
    samples = {name: [] for name, _, _ in made}
    for _ in range(args.rounds):
        for name, sign_in, socket_scope in made:
            samples[name].append(check_round(sign_in, socket_scope, args.calls))
    samples["join through the relay"] = join_rounds(args.rounds, args.calls // 3 or 1)
    figures = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
    text = report(figures, args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tokens.md").write_text(text)
    (RESULTS / "tokens.json").write_text(json.dumps(
        {"args": vars(args), "median_us": figures, "samples_s": samples}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
