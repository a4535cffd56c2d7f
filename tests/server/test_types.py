"""The typed server code type-checks: mypy runs with the ``[tool.mypy]`` config of
pyproject.toml (its ``files`` are the typed packages), and every backend is checked against
the interfaces it implements, so that ``make test`` fails on a type error."""

import subprocess
import sys

from support.processes import ROOT

# Each implementation handed where its interface is expected: mypy checks every method's
# signature (structural typing: the implementations do not inherit from the Protocols).
CONFORMANCE = """
from cobrowse.server.backends.broker import Broker
from cobrowse.server.backends.engine import Engine
from cobrowse.server.backends.limiter import JoinLimiter
from cobrowse.server.backends.memory.engine import MemoryEngine
from cobrowse.server.backends.memory.limiter import MemoryJoinLimiter
from cobrowse.server.backends.memory.store import MemoryStore
from cobrowse.server.backends.memory.timers import MemoryTimers
from cobrowse.server.backends.memory.views import MemoryViewLog
from cobrowse.server.backends.presence import Presence
from cobrowse.server.backends.redis.broker import RedisBroker
from cobrowse.server.backends.redis.engine import RedisEngine
from cobrowse.server.backends.redis.limiter import RedisJoinLimiter
from cobrowse.server.backends.redis.presence import RedisPresence
from cobrowse.server.backends.redis.store import RedisStore
from cobrowse.server.backends.redis.timers import RedisTimers
from cobrowse.server.backends.redis.views import RedisViewLog
from cobrowse.server.backends.store import SessionStore
from cobrowse.server.backends.timers import Timers
from cobrowse.server.backends.views import ViewLog


def engines(memory: MemoryEngine, redis: RedisEngine) -> list[Engine]:
    return [memory, redis]


def stores(memory: MemoryStore, redis: RedisStore) -> list[SessionStore]:
    return [memory, redis]


def limiters(memory: MemoryJoinLimiter, redis: RedisJoinLimiter) -> list[JoinLimiter]:
    return [memory, redis]


def view_logs(memory: MemoryViewLog, redis: RedisViewLog) -> list[ViewLog]:
    return [memory, redis]


def parts(memory: MemoryTimers, timers: RedisTimers, broker: RedisBroker, presence: RedisPresence
          ) -> tuple[list[Timers], Broker, Presence]:
    return [memory, timers], broker, presence
"""


def mypy(*args):
    done = subprocess.run([sys.executable, "-m", "mypy", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    return done.returncode, done.stdout + done.stderr


def test_the_typed_server_code_type_checks():
    code, output = mypy()
    assert code == 0, output


def test_every_backend_satisfies_the_interfaces_it_implements(tmp_path):
    (tmp_path / "conformance.py").write_text(CONFORMANCE)
    code, output = mypy(tmp_path / "conformance.py")
    assert code == 0, output


def test_a_backend_that_breaks_its_interface_is_caught(tmp_path):
    (tmp_path / "broken.py").write_text(
        "from cobrowse.server.backends.memory.views import MemoryViewLog\n"
        "from cobrowse.server.backends.views import ViewLog\n\n\n"
        "class Broken(MemoryViewLog):\n"
        "    async def record(self, code: str, text: str, full: bool) -> str:  # type: ignore[override]\n"
        "        return text\n\n\n"
        "def logs(broken: Broken) -> ViewLog:\n"
        "    return broken\n")
    code, output = mypy(tmp_path / "broken.py")
    assert code == 1 and 'Incompatible return value type (got "Broken", expected "ViewLog")' in output, output
