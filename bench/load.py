"""Load benchmark: how many concurrent sessions one server process relays with p99 under 50 ms.

Run it with ``.venv/bin/python bench/load.py [--sessions N ...] [--rate HZ] [--duration S]``. It
starts one cobrowse server (``python -m cobrowse serve``) pinned to CPU 0 with ``taskset -c 0``
when that is available, and load generator processes pinned to the other CPUs. Each session is
what a real one is on the wire: a visitor connection on ``/ws/visitor`` that sends ``start`` and
gets ``started``, and an agent connection on ``/ws/agent?key=K`` that sends ``join`` with the
access code and a name and gets ``joined``. Both connections offer permessage-deflate, as browsers
do (``--compression none`` turns that off), and both send a ``ping`` every 5 s, as the widget and
the console do (the server closes a connection it has not heard from for 20 s).

Every visitor then sends ``{"v": 1, "type": "view", "events": [{"t": T, "seq": N, "pad": "..."}]}``
at a steady rate (``--rate``, 2 per second by default; about ``--size`` 200 bytes of JSON, the pad
being random base64 so that compression does not shrink it to nothing), each session at its own
random phase. The server relays each one to the session's agent as a ``view`` message. ``T`` is
``time.monotonic_ns()`` just before the send; the agent side takes ``time.monotonic_ns()`` as soon
as the message is handed to it, and the relay latency is the difference. CLOCK_MONOTONIC is one
clock for the whole system on Linux, so the two readings compare across processes. The latency
therefore includes the generator's own framing and compression, loopback TCP twice, and the
server; the generator's CPU and event-loop lag are reported next to it, so that a level where the
generator rather than the server was the limit can be told apart.

The number of sessions ramps up through levels (``--sessions``, by default 250, 500, 1000, 2000,
3000); the sessions of one level stay open into the next. At each level the script waits
``--warmup`` seconds, then measures for ``--duration`` seconds: the relay latency p50, p99 and
max, messages relayed per second, lost or reordered ``seq`` numbers, the server's CPU (the
delta of utime + stime from ``/proc/PID/stat`` over the window, as % of one core), its resident
memory (``VmRSS`` from ``/proc/PID/status``) and the memory per session, that is (RSS at the
level - RSS with 0 sessions) / sessions, and every connection error. The ramp stops at the first
level with p99 >= ``--max-p99`` (50 ms) or any error; one more level halfway between the last
good level and that one then narrows down the most sessions held (``--no-refine`` skips it). The
memory per session of that extra level is not given: the server keeps the memory of the sessions
closed to get there, so it would be too high.

Other processes on the machine disturb the figures, so the script also reads the CPU used by
everything else (``/proc/stat`` minus the server, the generators and itself) in half-second
slices. Messages in flight during a slice in which it was at least ``--quiet-percent`` (20 % of
one core), or in the half second after one, are left out of the latency figures; the table gives
the quiet seconds that remain of each window, and the JSON the figures over all messages too.
Before each window the script waits up to ``--wait-quiet`` seconds (60) for a quiet second, and a
window that fails with less than half of it quiet is measured again, up to three times
(``--retries``).

``--redis`` serves from ``--processes N`` server processes (1 by default) sharing a redis-server
of the benchmark's own, pinned with them; each session's visitor and agent are then on different
processes, so every relayed view crosses Redis. The server figures (CPU, RSS) are then the sum of
those processes and Redis; ``Redis KB/session`` is Redis's ``used_memory`` per session and
``CPU ms/msg`` the server CPU per relayed message.

``--cpu-quota F`` gives each server process at most F of one CPU (Redis is not limited), with a
cgroup of its own (``cpu.cfs_quota_us`` over a 10 ms period, or ``cpu.max``; it needs root), as
a container's CPU limit does. On a machine with few cores this is how N processes get N
"server cores" of their own next to the generator, so that one process can be compared with
two: the sessions held divided by F are the sessions per server core. ``Server CPU %`` then
says how much of it was Redis, in brackets.

Figures go to ``bench/results/NAME.json`` and ``NAME.md`` (``--name``, ``load`` by default); the
table is printed.
"""

import argparse
import asyncio
import base64
import gc
import json
import math
import multiprocessing
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from array import array
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from cobrowse.core.constants import HEARTBEAT_MS

ROOT = Path(__file__).resolve().parent.parent
# The server process is started the way the tests start it (tests/processes.py).
sys.path.insert(0, str(ROOT / "tests"))
from support.processes import RedisProcess, ServerProcess  # noqa: E402 - needs the path above.
RESULTS = ROOT / "bench" / "results"
AGENT_KEY = "bench-agent-key"
SERVER_CPU = 0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The targets of the issue: 2,000 concurrent sessions on one core, p99 relay under 50 ms and
# under 30 KB of memory per session, with KB meaning 1,000 bytes as in bench/boot.py.
TARGET_SESSIONS = 2000
TARGET_P99_MS = 50.0
TARGET_KB_PER_SESSION = 30.0
# Other processes' CPU is read in slices of this many seconds during a window. A relayed message
# whose flight overlaps a slice in which they used at least --quiet-percent of one core, or the
# SPILL seconds after it (the backlog they left), is left out of the latency figures.
SLICE_SECONDS = 0.5
SPILL_SECONDS = 0.5
# A generator process busier than this (% of its core) may be what limits a level.
GENERATOR_BUSY_PERCENT = 85.0
CONNECT_TIMEOUT = 20.0
# The widget and the agent console send a ping every 5 s; the server closes a connection it has
# not heard from for its idle timeout (20 s by default), so the generator pings like they do.
HEARTBEAT_SECONDS = HEARTBEAT_MS / 1000
REPLY_TIMEOUT = 20.0
# How many sessions each generator process opens at the same time while ramping; more than a
# few hundred in flight would overflow the server's listen backlog and stall on SYN retries.
OPEN_CONCURRENCY = 64
PING = '{"v":1,"type":"ping"}'
# Random base64 from which each message's pad is sliced.
PAD_POOL = base64.b64encode(random.Random(7).randbytes(48_000)).decode()


def raise_open_files():
    """Raise this process's soft limit on open files to its hard limit; return the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_seconds(pid):
    """User plus system CPU time of process ``pid`` so far, in seconds, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as file:
        # The command name (field 2) may contain spaces, so the fields are counted after its ")".
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid):
    """Resident memory of process ``pid`` in bytes, from VmRSS in /proc/PID/status."""
    with open("/proc/%d/status" % pid) as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS for process %d" % pid)


def machine_seconds():
    """CPU seconds all CPUs of this machine have been busy, and stolen by the hypervisor, so far."""
    with open("/proc/stat") as file:
        fields = [int(value) for value in file.readline().split()[1:]]
    # The fields: user nice system idle iowait irq softirq steal guest guest_nice; guest time is
    # already counted in user and nice.
    busy = sum(fields[:8]) - fields[3] - fields[4] - fields[7]
    return busy / CLOCK_TICKS, fields[7] / CLOCK_TICKS


def percentile(ordered, fraction):
    """The nearest-rank percentile of an ascending list, or None if it is empty."""
    if not ordered:
        return None
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


class Server(ServerProcess):
    """A cobrowse server process on 127.0.0.1, pinned to CPU 0 when ``taskset`` is available."""

    def __init__(self, pin=True, *args, program=None):
        taskset = shutil.which("taskset") if pin else None
        # taskset execs the server, so the process id stays the server's own.
        prefix = [taskset, "-c", str(SERVER_CPU)] if taskset else []
        more = {"program": program} if program else {}
        super().__init__(*args, agent_key=AGENT_KEY, prefix=prefix, preexec_fn=raise_open_files, **more)
        self.cpus = sorted(os.sched_getaffinity(self.pid))
        self.pinned = self.cpus == [SERVER_CPU] and len(os.sched_getaffinity(0)) > 1
        with open("/proc/%d/limits" % self.pid) as file:
            self.open_files = next((line.split()[3] for line in file if line.startswith("Max open files")), None)

    def alive(self):
        return self.process.poll() is None


class CpuQuota:
    """A cgroup that holds processes to ``share`` of one CPU; ``close`` removes it once they
    have exited."""

    PERIOD_US = 10_000  # A short period: a process over its quota waits at most this long.

    def __init__(self, share, name):
        quota = max(int(share * self.PERIOD_US), 1000)
        v1 = Path("/sys/fs/cgroup/cpu")
        if (v1 / "cpu.cfs_quota_us").exists():
            self.path = v1 / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
        elif "cpu" in Path("/sys/fs/cgroup/cgroup.controllers").read_text().split():
            self.path = Path("/sys/fs/cgroup") / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.max").write_text("%d %d" % (quota, self.PERIOD_US))
        else:
            raise SystemExit("--cpu-quota needs the cgroup cpu controller")

    def add(self, pid):
        (self.path / "cgroup.procs").write_text(str(pid))

    def close(self):
        try:
            self.path.rmdir()
        except OSError:
            pass


class Servers:
    """What serves the sessions: ``processes`` server processes, sharing a redis-server of
    their own with ``--redis`` (one process without it, in memory). Its CPU and memory are the
    sum of all of them, Redis included; ``ports`` are the servers'. ``program`` runs another
    server than ``python -m cobrowse`` (bench/stacks.py's)."""

    def __init__(self, pin, processes=1, redis=False, cpu_quota=None, program=None):
        # The quotas first: without a cgroup controller the run stops before any process starts.
        self.quotas = [CpuQuota(cpu_quota, "cobrowse-bench-%d-%d" % (os.getpid(), number))
                       for number in range(processes if cpu_quota else 0)]
        self.redis = RedisProcess() if redis else None
        if self.redis is not None:
            # Redis is pinned with the servers: it is part of what serves the sessions.
            taskset = shutil.which("taskset") if pin else None
            if taskset:
                subprocess.run([taskset, "-p", "-c", str(SERVER_CPU), str(self.redis.process.pid)],
                               check=True, stdout=subprocess.DEVNULL)
        options = ("--redis", self.redis.url) if self.redis else ()
        self.servers = [Server(pin, *options, program=program) for _ in range(processes)]
        for quota, server in zip(self.quotas, self.servers):
            quota.add(server.pid)
        first = self.servers[0]
        self.pid, self.cpus, self.pinned, self.open_files = first.pid, first.cpus, first.pinned, first.open_files
        self.ports = [server.port for server in self.servers]
        self.pids = [server.pid for server in self.servers] + ([self.redis.process.pid] if self.redis else [])

    @property
    def output(self):
        return [line for server in self.servers for line in server.output]

    def alive(self):
        return all(server.alive() for server in self.servers)

    def redis_bytes(self):
        """Redis's used_memory (INFO memory), or None without Redis."""
        if self.redis is None:
            return None
        reply = subprocess.run(["redis-cli", "-p", str(self.redis.port), "info", "memory"], capture_output=True,
                               text=True, check=True).stdout
        return int(re.search(r"^used_memory:(\d+)", reply, re.M).group(1))

    def stop(self):
        for server in self.servers:
            server.stop()
        for quota in self.quotas:
            quota.close()
        if self.redis is not None:
            self.redis.stop()


# The load generator: this part runs in the worker processes.


class Session:
    """One co-browse session of the generator: its visitor and agent connections and tasks."""

    __slots__ = ("visitor", "agent", "code", "tasks", "closing", "expected")

    def __init__(self):
        self.visitor = self.agent = self.code = None
        self.tasks = []
        self.closing = False
        self.expected = 1


class Generator:
    """Opens sessions against the server, sends views at a steady rate and times their relay."""

    def __init__(self, index, ports, options):
        self.index = index
        # With several server processes, each session's visitor and agent are on different ones.
        self.visitor_urls = ["ws://127.0.0.1:%d/ws/visitor" % port for port in ports]
        self.agent_urls = ["ws://127.0.0.1:%d/ws/agent?key=%s" % (port, AGENT_KEY) for port in ports]
        self.origins = ["http://127.0.0.1:%d" % port for port in ports]
        self.connect_options = {
            # Browsers compress what they send as they see fit; the generator compresses at
            # level 1, which costs it a fraction of level 6 and costs the server the same to inflate.
            "compression": None if options["compression"] == "none" else "deflate",
            "extensions": None if options["compression"] == "none" else [
                ClientPerMessageDeflateFactory(compress_settings={"level": 1, "memLevel": 5})],
            "proxy": None,
            # Browsers do not ping; the server's own pings are answered by the client library.
            "ping_interval": None,
            "open_timeout": CONNECT_TIMEOUT,
            "close_timeout": 2,
        }
        self.period = 1.0 / options["rate"]
        self.size = options["size"]
        self.opened = 0
        self.extensions = None
        self.sessions = []
        self.errors = Counter()
        self.error_samples = []
        self.reset()

    def reset(self):
        """Start a new measurement window."""
        self.measuring = False
        self.latencies = array("d")
        self.received_at = array("d")
        self.lags = array("d")
        self.sent = self.received = self.lost = self.reordered = 0
        self.late_sends = 0
        self.window_start = self.window_end = time.monotonic()

    def error(self, kind, detail):
        self.errors[kind] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append("%s: %s" % (kind, detail))

    async def expect(self, connection, kind):
        """The next message of type ``kind`` on ``connection``; an ``error`` reply raises."""
        while True:
            message = json.loads(await asyncio.wait_for(connection.recv(), REPLY_TIMEOUT))
            if message.get("type") == kind:
                return message
            if message.get("type") in ("error", "ended"):
                raise RuntimeError("%s instead of %s: %s" % (message.get("type"), kind, message))

    async def open_session(self):
        """Start a session as a visitor and join it as an agent; on failure count the error."""
        session = Session()
        self.opened += 1
        number = self.opened
        stage = "visitor connect"
        where = number % len(self.visitor_urls)
        elsewhere = (number + 1) % len(self.visitor_urls)
        try:
            session.visitor = await connect(self.visitor_urls[where], origin=self.origins[where], **self.connect_options)
            stage = "start"
            await session.visitor.send(json.dumps({"v": 1, "type": "start", "siteCode": "BENCH-LOAD",
                                                   "url": "http://127.0.0.1/load/%d/%d" % (self.index, number)}))
            session.code = (await self.expect(session.visitor, "started"))["accessCode"]
            stage = "agent connect"
            session.agent = await connect(self.agent_urls[elsewhere], origin=self.origins[elsewhere], **self.connect_options)
            stage = "join"
            await session.agent.send(json.dumps({"v": 1, "type": "join", "code": session.code,
                                                 "name": "Agent %d-%d" % (self.index, number)}))
            await self.expect(session.agent, "joined")
            # What the server accepted of the offer, e.g. ["permessage-deflate"] or [].
            self.extensions = [extension.name for extension in session.visitor.protocol.extensions]
        except Exception as error:  # noqa: BLE001 - every failure to open is one counted error.
            self.error(stage, "%s: %s" % (type(error).__name__, error))
            session.closing = True
            for connection in (session.agent, session.visitor):
                if connection is not None:
                    connection.transport.abort()
            return None
        session.tasks = [asyncio.create_task(self.send_views(session)),
                         asyncio.create_task(self.send_pings(session)),
                         asyncio.create_task(self.read_agent(session)),
                         asyncio.create_task(self.read_visitor(session))]
        return session

    async def close_session(self, session):
        """End a session the way a visitor leaving does: its connection closes."""
        session.closing = True
        session.tasks[0].cancel()
        session.tasks[1].cancel()
        for connection in (session.visitor, session.agent):
            try:
                await asyncio.wait_for(connection.close(), 5)
            except Exception:  # noqa: BLE001 - a connection that will not close is aborted.
                connection.transport.abort()
        for task in session.tasks:
            task.cancel()

    async def send_views(self, session):
        """Send a view every ``period`` seconds, on an absolute schedule with a random phase."""
        loop = asyncio.get_running_loop()
        head = '{"v":1,"type":"view","events":[{"t":'
        # The pad makes the JSON text about ``size`` characters long (the number is ~19 digits).
        pad_length = max(self.size - len(head) - 19 - len(',"seq":,"pad":""}]}') - 6, 0)
        scheduled = loop.time() + random.random() * self.period
        seq = 0
        try:
            while True:
                delay = scheduled - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif self.measuring and delay < -0.010:
                    self.late_sends += 1
                seq += 1
                start = random.randrange(len(PAD_POOL) - pad_length)
                text = '%s%d,"seq":%d,"pad":"%s"}]}' % (head, time.monotonic_ns(), seq, PAD_POOL[start:start + pad_length])
                await session.visitor.send(text)
                if self.measuring:
                    self.sent += 1
                scheduled += self.period
        except ConnectionClosed as error:
            if not session.closing:
                self.error("visitor closed while sending", error)

    async def send_pings(self, session):
        """Send ``ping`` on both connections every ``HEARTBEAT_SECONDS``, as the real clients do."""
        await asyncio.sleep(random.random() * HEARTBEAT_SECONDS)
        try:
            while True:
                await session.visitor.send(PING)
                await session.agent.send(PING)
                await asyncio.sleep(HEARTBEAT_SECONDS)
        except ConnectionClosed as error:
            if not session.closing:
                self.error("connection closed while pinging", error)

    async def read_agent(self, session):
        """Time every relayed view and check that its ``seq`` numbers arrive in order."""
        try:
            async for text in session.agent:
                now = time.monotonic_ns()
                message = json.loads(text)
                kind = message.get("type")
                if kind == "view":
                    for event in message["events"]:
                        if self.measuring:
                            self.latencies.append((now - event["t"]) / 1e6)
                            self.received_at.append(now / 1e9)
                            self.received += 1
                        seq = event["seq"]
                        if seq > session.expected:
                            self.lost += seq - session.expected
                        elif seq < session.expected:
                            self.reordered += 1
                        session.expected = seq + 1
                elif kind == "error":
                    self.error("error to agent", message)
                elif kind == "ended" and not session.closing:
                    self.error("session ended", message)
        except ConnectionClosed as error:
            if not session.closing:
                self.error("agent connection closed", error)
            return
        if not session.closing:
            self.error("agent connection closed", "by the server")

    async def read_visitor(self, session):
        """Drain what the visitor gets (agent_joined and the like); report errors and ends."""
        try:
            async for text in session.visitor:
                message = json.loads(text)
                if message.get("type") == "error":
                    self.error("error to visitor", message)
                elif message.get("type") == "ended" and not session.closing:
                    self.error("session ended", message)
        except ConnectionClosed as error:
            if not session.closing:
                self.error("visitor connection closed", error)
            return
        if not session.closing:
            self.error("visitor connection closed", "by the server")

    async def watch_lag(self):
        """How late this process's event loop wakes up from a 10 ms sleep: the generator's own lag.

        It uses time.monotonic(), because uvloop's loop.time() counts whole milliseconds.
        """
        while True:
            start = time.monotonic()
            await asyncio.sleep(0.010)
            if self.measuring:
                self.lags.append(max(time.monotonic() - start - 0.010, 0.0) * 1000)

    async def ramp(self, target):
        """Open or close sessions until ``target`` are open; return the errors it cost."""
        errors_before = sum(self.errors.values())
        started = time.monotonic()
        while len(self.sessions) > target:
            await self.close_session(self.sessions.pop())
        semaphore = asyncio.Semaphore(OPEN_CONCURRENCY)

        async def one():
            async with semaphore:
                session = await self.open_session()
            if session is not None:
                self.sessions.append(session)

        await asyncio.gather(*(one() for _ in range(target - len(self.sessions))))
        # The connections live until the end, so the collector need not scan them again: a full
        # collection over thousands of connections stalls this process for tens of milliseconds,
        # which would show up as relay latency that is the generator's, not the server's.
        gc.collect()
        gc.freeze()
        return {"sessions": len(self.sessions), "errors": sum(self.errors.values()) - errors_before,
                "seconds": time.monotonic() - started, "extensions": self.extensions}

    def window(self):
        """What the last measurement window saw."""
        return {
            "sessions": len(self.sessions),
            "seconds": self.window_end - self.window_start,
            "latencies": self.latencies.tobytes(),
            "received_at": self.received_at.tobytes(),
            "lags": self.lags.tobytes(),
            "sent": self.sent,
            "received": self.received,
            "lost": self.lost,
            "reordered": self.reordered,
            "late_sends": self.late_sends,
            "errors": dict(self.errors),
            "error_samples": list(self.error_samples),
        }

    async def serve(self, conn):
        """Carry out the main process's commands: ramp, start, stop and quit."""
        loop = asyncio.get_running_loop()
        watcher = asyncio.create_task(self.watch_lag())
        while True:
            command, argument = await loop.run_in_executor(None, conn.recv)
            if command == "ramp":
                conn.send(await self.ramp(argument))
            elif command == "start":
                self.reset()
                self.measuring = True
                conn.send(None)
            elif command == "stop":
                self.measuring = False
                self.window_end = time.monotonic()
                conn.send(self.window())
            elif command == "quit":
                watcher.cancel()
                for session in self.sessions:
                    session.closing = True
                    for connection in (session.visitor, session.agent):
                        connection.transport.abort()
                conn.send(None)
                return


def worker_main(conn, index, ports, options, cpus):
    """A generator process: pinned to ``cpus``, with as many open files as it may have."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    raise_open_files()
    generator = Generator(index, ports, options)
    try:
        import uvloop
    except ImportError:
        uvloop = None
    if uvloop is not None:
        uvloop.run(generator.serve(conn))
    else:
        asyncio.run(generator.serve(conn))


class Workers:
    """The generator processes, driven over one pipe each."""

    def __init__(self, count, ports, options, cpus):
        context = multiprocessing.get_context("spawn")
        self.conns = []
        self.processes = []
        for index in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=worker_main, args=(child, index, ports, options, cpus), daemon=True)
            process.start()
            self.conns.append(parent)
            self.processes.append(process)

    def ask(self, command, arguments, timeout):
        """Send one command to every worker (``arguments`` is one per worker) and gather the replies."""
        for conn, argument in zip(self.conns, arguments):
            conn.send((command, argument))
        replies = []
        for conn, process in zip(self.conns, self.processes):
            if not conn.poll(timeout):
                raise RuntimeError("generator process %d did not answer %r within %d s" % (process.pid, command, timeout))
            replies.append(conn.recv())
        return replies

    def cpu_seconds(self):
        return [cpu_seconds(process.pid) for process in self.processes]

    def stop(self):
        try:
            self.ask("quit", [None] * len(self.conns), 30)
        except (RuntimeError, OSError, EOFError):
            pass
        for process in self.processes:
            process.join(5)
            if process.is_alive():
                process.kill()


# The main process: levels, measurements and the report.


def split(total, parts):
    """``total`` sessions spread as evenly as possible over ``parts`` workers."""
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


class CpuMeter:
    """CPU use from one reading to the next, in % of one core: the server's, each generator's,
    and what else kept this machine busy (other processes, the kernel's interrupts)."""

    def __init__(self, server, workers):
        self.server = server
        self.workers = workers
        self.start = self._read()

    def _read(self):
        machine, steal = machine_seconds()
        return {"time": time.monotonic(), "server": sum(map(cpu_seconds, self.server.pids)),
                "redis": cpu_seconds(self.server.redis.process.pid) if self.server.redis else 0.0,
                "workers": self.workers.cpu_seconds(),
                "own": cpu_seconds(os.getpid()), "machine": machine, "steal": steal}

    def read(self):
        end = self._read()
        start = self.start
        wall = end["time"] - start["time"]
        server = (end["server"] - start["server"]) / wall * 100
        redis = (end["redis"] - start["redis"]) / wall * 100
        workers = [(after - before) / wall * 100 for after, before in zip(end["workers"], start["workers"])]
        own = (end["own"] - start["own"]) / wall * 100
        other = (end["machine"] - start["machine"]) / wall * 100 - server - sum(workers) - own
        return {"server": server, "redis": redis, "workers": workers, "other": max(other, 0.0),
                "steal": (end["steal"] - start["steal"]) / wall * 100}


def wait_for_quiet(server, workers, options):
    """Wait up to ``options.wait_quiet`` seconds for other processes to use less than
    ``options.quiet_percent`` of one core (1-second readings); return the seconds waited."""
    started = time.monotonic()
    while True:
        meter = CpuMeter(server, workers)
        time.sleep(1)
        other = meter.read()["other"]
        waited = time.monotonic() - started
        if other < options.quiet_percent or waited >= options.wait_quiet:
            if waited > 1.5:
                print("  (waited %.0f s for other processes to calm down; now %.0f %% of one core)" % (waited, other), flush=True)
            return round(waited, 1)


def run_level(server, workers, sessions, options, baseline_rss, peak):
    """Ramp to ``sessions``, wait, measure one window; return the level's figures.

    A window that fails while other processes were busy for more than half of it is measured
    again, up to ``options.retries`` times; the level keeps the last window, and the disturbed
    ones are listed in it. ``peak`` is the most sessions open before: below it, the
    memory per session is not given, because the server keeps the memory of closed sessions for
    reuse rather than returning it.
    """
    ramp = workers.ask("ramp", split(sessions, len(workers.conns)), 600)
    time.sleep(options.warmup)
    disturbed = []
    while True:
        waited = wait_for_quiet(server, workers, options)
        level = measure(server, workers, sessions, options, baseline_rss, peak, ramp)
        level["waited_for_quiet_s"] = waited
        if level["ok"] or not level["disturbed"] or len(disturbed) >= options.retries:
            level["disturbed_windows"] = disturbed
            return level
        print("  (%d sessions: other processes were busy for all but %.1f s of the window; measuring again)"
              % (level["sessions"], level["quiet_seconds"]), flush=True)
        disturbed.append({key: level[key] for key in ("latency_ms", "latency_ms_all", "quiet_seconds", "server_cpu_percent",
                                                      "other_cpu_percent", "generator_cpu_percent", "errors")})


def measure(server, workers, sessions, options, baseline_rss, peak, ramp):
    """One measurement window at the sessions open now."""
    held = sum(reply["sessions"] for reply in ramp)
    meter = CpuMeter(server, workers)
    workers.ask("start", [None] * len(workers.conns), 30)
    end = time.monotonic() + options.duration
    disturbed = []  # (start, end) of the slices in which other processes were busy
    while time.monotonic() < end:
        piece = CpuMeter(server, workers)
        time.sleep(max(min(SLICE_SECONDS, end - time.monotonic()), 0.05))
        if piece.read()["other"] >= options.quiet_percent:
            disturbed.append((piece.start["time"], time.monotonic()))
    windows = workers.ask("stop", [None] * len(workers.conns), 60)
    cpu = meter.read()
    server_cpu, workers_cpu, other_cpu = cpu["server"], cpu["workers"], cpu["other"]
    rss = sum(map(rss_bytes, server.pids))
    redis_bytes = server.redis_bytes()

    everything = []
    kept = []
    for window in windows:
        for latency, received in zip(array("d", window["latencies"]), array("d", window["received_at"])):
            everything.append(latency)
            sent = received - latency / 1000
            if not any(sent < stop + SPILL_SECONDS and received > start for start, stop in disturbed):
                kept.append(latency)
    everything.sort()
    latencies = sorted(kept)
    quiet_seconds = options.duration - sum(stop - start for start, stop in disturbed)
    lags = sorted(value for window in windows for value in array("d", window["lags"]))
    seconds = max(window["seconds"] for window in windows)
    errors = Counter()
    for window in windows:
        errors.update(window["errors"])
    samples = [sample for window in windows for sample in window["error_samples"]]
    level = {
        "sessions": held,
        "sessions_asked": sessions,
        "ramp_seconds": round(max(reply["seconds"] for reply in ramp), 1),
        "ramp_errors": sum(reply["errors"] for reply in ramp),
        "window_seconds": round(seconds, 2),
        "offered_per_s": round(held * options.rate, 1),
        "sent_per_s": round(sum(window["sent"] for window in windows) / seconds, 1),
        "relayed_per_s": round(len(everything) / seconds, 1),
        "lost": sum(window["lost"] for window in windows),
        "reordered": sum(window["reordered"] for window in windows),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 2) if latencies else None,
            "p90": round(percentile(latencies, 0.90), 2) if latencies else None,
            "p99": round(percentile(latencies, 0.99), 2) if latencies else None,
            "max": round(latencies[-1], 2) if latencies else None,
            "count": len(latencies),
        },
        "latency_ms_all": {
            "p50": round(percentile(everything, 0.50), 2) if everything else None,
            "p99": round(percentile(everything, 0.99), 2) if everything else None,
            "max": round(everything[-1], 2) if everything else None,
            "count": len(everything),
        },
        "quiet_seconds": round(quiet_seconds, 1),
        "server_cpu_percent": round(server_cpu, 1),
        "redis_cpu_percent": round(cpu["redis"], 1) if server.redis else None,
        "server_alive": server.alive(),
        "rss_bytes": rss,
        "kb_per_session": round((rss - baseline_rss) / held / 1000, 1) if held and held >= peak else None,
        "redis_kb_per_session": (round((redis_bytes - server.baseline_redis) / held / 1000, 1)
                                 if redis_bytes is not None and held and held >= peak else None),
        "cpu_ms_per_message": round(server_cpu * 10 / (len(everything) / seconds), 3) if everything else None,
        "generator_cpu_percent": [round(value, 1) for value in workers_cpu],
        "generator_lag_ms": {"p99": round(percentile(lags, 0.99), 2) if lags else None,
                             "max": round(lags[-1], 2) if lags else None},
        "generator_late_sends": sum(window["late_sends"] for window in windows),
        "other_cpu_percent": round(other_cpu, 1),
        "steal_cpu_percent": round(cpu["steal"], 1),
        # Errors are counted from the generator's start, so a level shows all errors so far.
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "error_samples": samples[:10],
    }
    level["generator_busy"] = max(workers_cpu) >= GENERATOR_BUSY_PERCENT
    # Less than half of the window without other processes busy is too little to judge by.
    level["disturbed"] = quiet_seconds < options.duration / 2
    p99 = level["latency_ms"]["p99"]
    level["ok"] = (held == sessions and level["errors"] == 0 and level["server_alive"] and p99 is not None
                   and p99 < options.max_p99 and level["lost"] == 0)
    return level


def fmt(value, pattern="%.1f"):
    return "n/a" if value is None else pattern % value


def verdict(level):
    """Whether the level held, and whether other processes disturbed its window."""
    if level["ok"]:
        return "yes"
    return "no (disturbed)" if level["disturbed"] else "no"


def row(level):
    latency = level["latency_ms"]
    sessions = "%d" % level["sessions"]
    if level["sessions"] != level["sessions_asked"]:
        sessions += " of %d" % level["sessions_asked"]
    return "| %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %d | %s | %s | %.0f | %.1f | %s |" % (
        sessions, fmt(level["offered_per_s"], "%.0f"), fmt(level["relayed_per_s"], "%.0f"),
        fmt(latency["p50"]), fmt(latency["p99"]), fmt(latency["max"]), fmt(level["server_cpu_percent"], "%.0f") + (
            "" if level.get("redis_cpu_percent") is None else " (%.0f)" % level["redis_cpu_percent"]),
        fmt(level["cpu_ms_per_message"], "%.3f"), level["rss_bytes"] / 1e6, fmt(level["kb_per_session"]),
        fmt(level["redis_kb_per_session"]), level["errors"] + level["lost"],
        " / ".join("%.0f" % value for value in level["generator_cpu_percent"]),
        fmt(level["generator_lag_ms"]["p99"]), level["other_cpu_percent"], level["quiet_seconds"], verdict(level))


TABLE_HEAD = [
    "| Sessions | Offered msg/s | Relayed msg/s | p50 ms | p99 ms | max ms | Server CPU % | CPU ms/msg | Server RSS MB "
    "| KB/session | Redis KB/session | Errors | Generator CPU % | Gen. lag p99 ms | Other CPU % | Quiet s "
    "| p99 < %g ms, no errors |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
]


def targets(levels, held):
    """The issue's targets, each PASS or FAIL."""
    at_target = min((level for level in levels if level["sessions"] >= TARGET_SESSIONS), key=lambda level: level["sessions"],
                    default=None)
    p99 = at_target["latency_ms"]["p99"] if at_target else None
    per_session = at_target["kb_per_session"] if at_target else None
    where = "at %d sessions" % at_target["sessions"] if at_target else "no level of %d sessions was reached" % TARGET_SESSIONS
    return [
        {"target": "%s concurrent sessions on one core with p99 < %g ms and no errors" % (format(TARGET_SESSIONS, ","), TARGET_P99_MS),
         "value": "%d sessions held" % held, "pass": held >= TARGET_SESSIONS},
        {"target": "p99 relay latency < %g ms" % TARGET_P99_MS,
         "value": "%s ms (%s)" % (fmt(p99), where), "pass": p99 is not None and p99 < TARGET_P99_MS},
        {"target": "< %g KB of server memory per session" % TARGET_KB_PER_SESSION,
         "value": "%s KB (%s)" % (fmt(per_session), where), "pass": per_session is not None and per_session < TARGET_KB_PER_SESSION},
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[250, 500, 1000, 2000, 3000],
                        help="the levels of concurrent sessions, in order (default 250 500 1000 2000 3000)")
    parser.add_argument("--rate", type=float, default=2.0, help="view messages per second per session (default 2)")
    parser.add_argument("--size", type=int, default=200, help="characters of JSON per view message (default 200)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured at each level (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds waited after a ramp before measuring (default 3)")
    parser.add_argument("--workers", type=int, default=None,
                        help="generator processes (default: one per CPU not running the server)")
    parser.add_argument("--compression", choices=("deflate", "none"), default="deflate",
                        help="whether the clients offer permessage-deflate, as browsers do (default deflate)")
    parser.add_argument("--max-p99", type=float, default=TARGET_P99_MS, help="p99 in ms that ends the ramp (default 50)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to CPU 0")
    parser.add_argument("--quiet-percent", type=float, default=20.0,
                        help="other processes' CPU (%% of one core) from which a slice of a window counts as disturbed (default 20)")
    parser.add_argument("--wait-quiet", type=float, default=60.0,
                        help="seconds to wait at most for a quiet second before each window (default 60)")
    parser.add_argument("--retries", type=int, default=3,
                        help="how often a failed window that was mostly disturbed is measured again (default 3)")
    parser.add_argument("--no-refine", action="store_true", help="no extra level after the first failing one")
    parser.add_argument("--redis", action="store_true",
                        help="serve with --redis, from a redis-server of the benchmark's own (pinned with the servers)")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes sharing that Redis; each session's visitor and agent are on different ones")
    parser.add_argument("--cpu-quota", type=float, default=None,
                        help="hold each server process to this share of one CPU with a cgroup (needs root)")
    parser.add_argument("--name", default="load", help="the results' file name in bench/results (default load)")
    args = parser.parse_args(argv)
    if args.processes > 1 and not args.redis:
        parser.error("several processes share sessions only with --redis")

    started = time.monotonic()
    open_files = raise_open_files()
    cpus = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(cpus) > 1 and SERVER_CPU in cpus
    generator_cpus = [cpu for cpu in cpus if cpu != SERVER_CPU] if pin else None
    worker_count = args.workers or (len(generator_cpus) if generator_cpus else 1)
    options = {"rate": args.rate, "size": args.size, "compression": args.compression}
    needed = max(args.sessions) * 2 // worker_count + 100
    if needed > open_files:
        print("warning: %d connections per generator process but only %d open files allowed" % (needed, open_files))

    # Other processes on this machine disturb the figures; the table shows how busy it was.
    machine_before, _ = machine_seconds()
    time.sleep(1)
    machine_busy = (machine_seconds()[0] - machine_before) * 100
    print("machine: %d CPUs, busy %.0f %% of one core before the start" % (os.cpu_count(), machine_busy))

    server = workers = None
    extensions = None
    levels = []
    try:
        server = Servers(pin, args.processes, args.redis, args.cpu_quota)
        print("server: %d process(es)%s, pid %s on CPU %s, %s; open files %s" % (
            args.processes, " sharing a redis-server" if args.redis else " (memory)",
            ",".join(map(str, server.pids)), ",".join(map(str, server.cpus)),
            "pinned with taskset -c %d" % SERVER_CPU if server.pinned else "NOT pinned (taskset missing or one CPU)",
            server.open_files))
        workers = Workers(worker_count, server.ports, options, generator_cpus)
        print("generator: %d process(es) on CPU %s, compression offered: %s, %g msg/s per session, %d chars each" % (
            worker_count, ",".join(map(str, generator_cpus or cpus)), args.compression, args.rate, args.size))
        # A few sessions opened and closed first load whatever the server imports or builds on
        # its first connections, so that the baseline is the memory of a server with 0 sessions.
        first = workers.ask("ramp", [2] * worker_count, 60)
        extensions = first[0]["extensions"]
        print("compression: %s offered, %s negotiated" % (
            "permessage-deflate" if args.compression == "deflate" else "nothing",
            ", ".join(extensions) if extensions else "nothing" if extensions is not None else "unknown (no session opened)"))
        workers.ask("ramp", [0] * worker_count, 60)
        time.sleep(1)
        baseline_rss = sum(map(rss_bytes, server.pids))
        server.baseline_redis = server.redis_bytes()
        print("server RSS with 0 sessions: %.1f MB" % (baseline_rss / 1e6))
        print()
        print("\n".join(TABLE_HEAD).replace("%g", "%g" % args.max_p99))

        good = None
        failed = None
        peak = 0
        for sessions in args.sessions:
            level = run_level(server, workers, sessions, args, baseline_rss, peak)
            peak = max(peak, level["sessions"])
            levels.append(level)
            print(row(level), flush=True)
            if level["ok"]:
                good = level
            else:
                failed = level
                break
        if failed is not None and not args.no_refine and server.alive():
            low = good["sessions"] if good else 0
            middle = int(round((low + failed["sessions_asked"]) / 2 / 50) * 50)
            if low < middle < failed["sessions_asked"] and failed["errors"] == 0:
                level = run_level(server, workers, middle, args, baseline_rss, peak)
                level["refinement"] = True
                levels.append(level)
                print(row(level) + " (refinement)", flush=True)
    finally:
        if workers:
            workers.stop()
        if server:
            server.stop()

    held = max((level["sessions"] for level in levels if level["ok"]), default=0)
    checks = targets(levels, held)
    elapsed = time.monotonic() - started
    first_failed = next((level for level in levels if not level["ok"]), None)
    if first_failed is None:
        ramp_ended = "all levels passed, so the limit is higher: add levels with --sessions"
    else:
        ramp_ended = "first level over the limit: %d sessions%s" % (
            first_failed["sessions_asked"],
            ", disturbed by other processes" if first_failed["disturbed"] else "")

    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": vars(args),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "busy_percent_before_start": round(machine_busy, 1)},
        "server": {"pid": server.pid, "cpus": server.cpus, "pinned": server.pinned, "open_files": server.open_files,
                   "baseline_rss_bytes": baseline_rss, "output": "".join(server.output)[-4000:]},
        "generator": {"processes": worker_count, "cpus": generator_cpus or cpus, "open_files": open_files},
        "extensions_negotiated": extensions,
        "definitions": {
            "latency_ms": "time.monotonic_ns() when the agent connection hands over the relayed view, minus the "
                          "one the visitor put in the message just before sending it; messages in flight while "
                          "other processes were busy (see quiet_seconds) are left out",
            "latency_ms_all": "the same over every message of the window",
            "quiet_seconds": "seconds of the window without a %g s slice in which other processes used at least "
                             "quiet_percent of one core" % SLICE_SECONDS,
            "relayed_per_s": "view messages the agents received during the window, per second",
            "server_cpu_percent": "delta of utime + stime in /proc/PID/stat over the window / wall time, % of one core",
            "kb_per_session": "(server VmRSS at the level - VmRSS with 0 sessions) / sessions, KB = 1,000 bytes",
            "errors": "failed connects, error replies, unexpected ends or closes, counted since the start of the run",
            "lost": "seq numbers an agent never saw (gaps) during the window",
            "generator_cpu_percent": "CPU of each generator process over the window, % of one core",
            "generator_lag_ms": "how late a generator's event loop woke from a 10 ms sleep",
            "ok": "all sessions opened, no errors, nothing lost, p99 < max_p99",
            "other_cpu_percent": "CPU busy on this machine (/proc/stat) beyond the server, the generators and this "
                                 "script, % of one core: other processes disturbing the measurement",
        },
        "levels": levels,
        "most_sessions_held": held,
        "ramp_ended": ramp_ended,
        "targets": checks,
        "elapsed_s": round(elapsed, 1),
    }
    (RESULTS / (args.name + ".json")).write_text(json.dumps(report, indent=2) + "\n")

    markdown = [
        "# Load benchmark",
        "",
        "%s, %d CPUs, Python %s. %s %s; %d generator process(es) on CPU %s. "
        "Each session: a visitor and an agent WebSocket over loopback (compression offered: %s, negotiated: %s); the visitor sends "
        "a %d-character `view` %g times a second, the server relays it to the agent. Each level is measured "
        "for %g s after %g s of warm-up. Latency = agent receive - visitor send (CLOCK_MONOTONIC). "
        "KB/session = (server RSS - %.1f MB with 0 sessions) / sessions, KB = 1,000 bytes. Errors include lost messages. "
        "Other CPU = what else kept this machine's CPUs busy during the window, in %% of one core; "
        "messages in flight while that was at least %g %% (in %g s slices) are left out of the latencies, and "
        "Quiet s is what remains of the window."
        % (report["date"], os.cpu_count(), platform.python_version(),
           "%d server process(es)%s%s" % (args.processes, " sharing a redis-server" if args.redis else " (in memory)",
                                          ", each held to %g of one CPU (cgroup)" % args.cpu_quota if args.cpu_quota else ""),
           "pinned to CPU %d (taskset)" % SERVER_CPU if server.pinned else "NOT pinned",
           worker_count, ",".join(map(str, generator_cpus or cpus)), args.compression,
           ", ".join(extensions) if extensions else "none", args.size, args.rate,
           args.duration, args.warmup, baseline_rss / 1e6, args.quiet_percent, SLICE_SECONDS),
        "",
    ]
    markdown += [line.replace("%g", "%g" % args.max_p99) for line in TABLE_HEAD]
    markdown += [row(level) + (" (refinement)" if level.get("refinement") else "") for level in levels]
    markdown += ["", "Most sessions held with p99 < %g ms and no errors: **%d** (%s)." % (args.max_p99, held, ramp_ended)]
    busy = [level["sessions"] for level in levels if level["generator_busy"]]
    if busy:
        markdown += ["", "The generator was at or above %.0f %% of its core at %s sessions: there the generator may be "
                     "part of the latency." % (GENERATOR_BUSY_PERCENT, ", ".join(map(str, busy)))]
    noisy = ["%d sessions" % level["sessions"] for level in levels if level["disturbed"]]
    if noisy:
        markdown += ["", "Other processes were busy for more than half of the window at %s: those figures are "
                     "disturbed; run again on a quiet machine." % ", ".join(noisy)]
    failures = [sample for level in levels for sample in level["error_samples"]]
    if failures:
        markdown += ["", "First errors:", ""] + ["- `%s`" % sample.replace("`", "'") for sample in dict.fromkeys(failures)][:10]
    markdown += ["", "Targets:", ""]
    markdown += ["- %s: %s, %s" % (check["target"], check["value"], "PASS" if check["pass"] else "FAIL") for check in checks]
    markdown.append("")
    (RESULTS / (args.name + ".md")).write_text("\n".join(markdown))
    print()
    print("\n".join(markdown))
    print("(%.0f s; figures in %s)" % (elapsed, RESULTS.relative_to(ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
