"""The values the core shares with JavaScript are defined once, in the core.

The ES modules that ``make setup`` writes from it (``tools/shared_values.py``) are up to date and
hold the core's values; the loader's sources and the console take each such value from them and
write no copy; the browser tests, their support and the benchmarks take theirs from the core;
docs/protocol.md states the same close codes and heartbeat. The core's own tests (tests/core/)
pin the public contract's values literally, once, on purpose: they are not scanned.
"""

import importlib.util
import json
import re

import pytest

from cobrowse.core import constants, control, protocol
from cobrowse.core.events import EVENT_NAMES, PROPERTIES
from cobrowse.core.session import RECONNECT_CAP_SECONDS, RECONNECT_FIRST_SECONDS, NETWORK_TIMEOUT_SECONDS, Reasons, States
from support.processes import ROOT

SPEC = importlib.util.spec_from_file_location("shared_values", ROOT / "tools" / "shared_values.py")
shared_values = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(shared_values)

LOADER = ROOT / "cobrowse" / "browser" / "loader"
GENERATED = [ROOT / target for target in shared_values.TARGETS]
CONSOLE = ROOT / "cobrowse" / "console"
JS_SOURCES = sorted({*LOADER.glob("*.js"), *CONSOLE.glob("*.js")} - set(GENERATED))
# Where tests and benchmarks use the values as fixtures (pages listening to every event...).
PYTHON_USERS = sorted([*(ROOT / "tests" / "browser").glob("*.py"), *(ROOT / "tests" / "support").glob("*.py"),
                       *(ROOT / "bench").glob("*.py")])

STATES = {name: value for name, value in vars(States).items() if name.isupper() and name != "ALL"}
REASONS = {name: value for name, value in vars(Reasons).items() if name.isupper()}
CLOSE_CODES = {name: value for name, value in vars(constants).items() if name.startswith("CLOSE_")}


def exported(path):
    """``{name: value}`` of a generated module's ``export const NAME = JSON;`` lines."""
    return {match[1]: json.loads(match[2]) for match in re.finditer(r"^export const (\w+) = (.*);$", path.read_text(), re.M)}


def without_comments(source):
    """JavaScript ``source`` less its comments (a ``//`` after a non-space, as in URLs, is kept)."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r"(^|\s)//.*$", r"\1", source, flags=re.M)


def test_the_generated_modules_are_those_of_the_core(tmp_path):
    written = shared_values.write(tmp_path)
    assert [path.relative_to(tmp_path) for path in written] == [path.relative_to(ROOT) for path in GENERATED]
    for fresh, generated in zip(written, GENERATED):
        assert generated.read_text() == fresh.read_text(), "%s is stale: run `make setup`" % generated.relative_to(ROOT)


def test_the_generated_module_holds_the_core_s_values():
    values = exported(GENERATED[0])
    assert values.pop("EVENT_NAMES") == list(EVENT_NAMES)
    assert values.pop("PROPERTIES") == {name: list(PROPERTIES[name]) for name in EVENT_NAMES}
    states = values.pop("STATES")
    assert states == STATES and list(states.values()) == list(States.ALL)
    assert values.pop("REASONS") == REASONS
    assert (values.pop("NETWORK_TIMEOUT_SECONDS"), values.pop("RECONNECT_FIRST_SECONDS"), values.pop("RECONNECT_CAP_SECONDS")) == (
        NETWORK_TIMEOUT_SECONDS, RECONNECT_FIRST_SECONDS, RECONNECT_CAP_SECONDS)
    assert (values.pop("ASKING"), values.pop("GRANTED")) == (control.ASKING, control.GRANTED)
    assert values.pop("NAMED_KEYS") == list(control.NAMED_KEYS)
    for name in ("VERSION", "MAX_MESSAGE_CHARS", "MAX_VIEW_CHARS", "VIEW_PART_CHARS", "FULL_SNAPSHOT", "REFUSED_VIEW_TAG",
                 "CANVAS_FRAME_TAG"):
        assert values.pop(name) == getattr(protocol, name), name
    # What is left is core/constants.py, all of it.
    assert values == {name: value for name, value in vars(constants).items() if name.isupper()}


def copies_in_javascript(source):
    """The shared values ``source`` writes out instead of importing them: [(value, what)]."""
    code = without_comments(source)
    found = []

    def look(value, pattern, what):
        if re.search(pattern, code):
            found.append((value, what))

    words = [*STATES.values(), *REASONS.values(), constants.MODE_ICB, constants.MODE_ACB, constants.WIDGET_ID]
    for word in words:
        look(word, r"(?<![\w.:-])%s(?![\w:-])" % re.escape(word), "a state, reason, mode or id")
    for word in (control.ASKING, control.GRANTED):
        look(word, r"[\"'`]%s[\"'`]" % word, "a state of remote control")
    numbers = {**CLOSE_CODES, "HEARTBEAT_MS": constants.HEARTBEAT_MS, "SILENCE_MS": constants.SILENCE_MS,
               "NETWORK_TIMEOUT_SECONDS": NETWORK_TIMEOUT_SECONDS * 1000,
               "RECONNECT_FIRST_SECONDS": int(RECONNECT_FIRST_SECONDS * 1000),
               "RECONNECT_CAP_SECONDS": int(RECONNECT_CAP_SECONDS * 1000),
               "MAX_MESSAGE_CHARS": protocol.MAX_MESSAGE_CHARS, "MAX_VIEW_CHARS": protocol.MAX_VIEW_CHARS,
               "VIEW_PART_CHARS": protocol.VIEW_PART_CHARS}
    names = {}  # In milliseconds, the heartbeat and the reconnect cap are the same number.
    for name, number in numbers.items():
        names[number] = names[number] + " or " + name if number in names else name
    for number, name in names.items():
        look(number, r"(?<![\w.])%d(?![\w.])" % number, name)
    look(protocol.VERSION, r"\bv[\"']?\s*:\s*%d\b" % protocol.VERSION, "VERSION")
    look(protocol.FULL_SNAPSHOT, r"\btype\s*[!=]==?\s*%d\b" % protocol.FULL_SNAPSHOT, "FULL_SNAPSHOT")
    named = {name for name in EVENT_NAMES if re.search(r"[\"'`]%s[\"'`]" % name, code)}
    if len(named) > 1:
        found.append((sorted(named), "event names listed"))
    return found


@pytest.mark.parametrize("path", JS_SOURCES, ids=lambda path: path.name)
def test_the_javascript_takes_the_shared_values_from_the_generated_module(path):
    assert copies_in_javascript(path.read_text()) == [], "%s: import these from shared.js" % path.relative_to(ROOT)


def test_the_scan_finds_copies():
    """The scan itself: copies of each kind are found, imports and comments are not."""
    copies = 'var s = "ACTIVE:ESCALATING"; close(1012); setInterval(f, 5000); send({ v: 1 }); ' \
             'if (e.type === 2) {}; var n = ["SessionStarted", "SessionEnded"]; q("#cobrowse-widget");'
    assert [value for value, _ in copies_in_javascript(copies)] == [
        "ACTIVE:ESCALATING", "cobrowse-widget", 1012, 5000, 1, 2, ["SessionEnded", "SessionStarted"]]
    clean = '// 1012 and "ERROR" in a comment\nimport { STATES } from "./shared.js"; x(STATES.ERROR, "https://a");'
    assert copies_in_javascript(clean) == []


def copies_in_python(source):
    """Copies of the shared values in a test or benchmark: [(value, what)]."""
    found = []
    listed = r",\s*".join(r"[\"']%s[\"']" % name for name in EVENT_NAMES)
    if re.search(listed, source):
        found.append((list(EVENT_NAMES), "the event names listed (cobrowse.core.events.EVENT_NAMES)"))
    if re.search(r"[\"']%s[\"']\s*:\s*[\[(]" % EVENT_NAMES[0], source):
        found.append((PROPERTIES[EVENT_NAMES[0]], "the properties listed (cobrowse.core.events.PROPERTIES)"))
    for name, value in STATES.items():
        if name != value and re.search(r"[\"']?%s[\"']?\s*:\s*[\"']%s[\"']" % (name, re.escape(value)), source):
            found.append((value, "a table of the states (cobrowse.core.session.States)"))
    for name, code in CLOSE_CODES.items():
        if re.search(r"(?<![\w.])%d(?![\w.])" % code, source):
            found.append((code, "cobrowse.core.constants." + name))
    if re.search(r"(HEARTBEAT|SILENCE)\w*\s*=\s*\d", source):
        found.append(("heartbeat", "cobrowse.core.constants.HEARTBEAT_MS / SILENCE_MS"))
    if re.search(r"[\"'](%s|%s)[\"']\s*:" % (constants.MODE_ICB, constants.MODE_ACB), source):
        found.append(("modes", "cobrowse.core.constants.MODE_ICB / MODE_ACB"))
    return found


@pytest.mark.parametrize("path", PYTHON_USERS, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_tests_and_benchmarks_take_the_shared_values_from_the_core(path):
    assert copies_in_python(path.read_text()) == [], "%s: import these from cobrowse.core" % path.relative_to(ROOT)


def test_the_protocol_document_states_the_same_close_codes_and_heartbeat():
    text = (ROOT / "docs" / "protocol.md").read_text()
    documented = {int(code) for code in re.findall(r"^\| (\d{4}) \|", text, re.M)}
    ours = set(CLOSE_CODES.values())
    # Besides ours the table lists WebSocket's own 1000 (a normal close) and 1009 (too big).
    assert documented - ours == {1000, 1009} and ours <= documented
    assert "send `ping` every %d s" % (constants.HEARTBEAT_MS // 1000) in text
    assert "(it uses %d s)" % (constants.SILENCE_MS // 1000) in text
