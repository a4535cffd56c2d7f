"""Unit tests for cobrowse.core.events: signals, the seven events and their payloads."""

import json
import re
from pathlib import Path

import pytest

import cobrowse
from cobrowse.core.events import EVENT_NAMES, PROPERTIES, Events, Signal, payload, payload_json

# The seed describing the events lives next to the repository, not in it; a clean checkout
# without it still checks the copy of its table below.
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_7c18d17d674fe6de.txt"

# The seed's table, copied by hand: the events in order, each with its properties in order.
SEED_PROPERTIES = {
    "SessionStarting": ["SID", "siteCode"],
    "SessionStarted": ["accessCode", "SID", "mode", "siteCode"],
    "SessionEnded": ["reason", "accessCode", "SID", "siteCode", "agentCount"],
    "AgentConnected": ["name", "id", "accessCode", "SID", "siteCode"],
    "AgentDisconnected": ["name", "id", "accessCode", "SID", "siteCode"],
    "StateChanged": ["state", "previousState", "accessCode", "SID", "siteCode"],
    "NavigatingAway": ["url", "accessCode", "SID", "siteCode"],
}


def parse_seed(text):
    """Read the seed's table: a row "N |" then "Name |" opens an event, "event.x |" adds a property."""
    table = {}
    current = None
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if re.fullmatch(r"\d+ \|", line) and index + 1 < len(lines):
            name = re.fullmatch(r"(\w+) \|", lines[index + 1])
            if name:
                current = name.group(1)
                table[current] = []
        match = re.match(r"event\.(\w+) \|", line)
        if match and current:
            table[current].append(match.group(1))
    return table


class Recorder:
    """A listener that remembers what it was called with, under a label."""

    def __init__(self, calls, label):
        self.calls = calls
        self.label = label

    def __call__(self, data):
        self.calls.append((self.label, data))


# -- the events and their properties ---------------------------------------------------------


@pytest.mark.skipif(not SEED.exists(), reason="the seed file %s is not on this machine" % SEED)
def test_the_seed_parses_to_the_table_the_tests_hold():
    assert parse_seed(SEED.read_text()) == SEED_PROPERTIES


def test_event_names_follow_the_seed_in_order():
    assert list(EVENT_NAMES) == list(SEED_PROPERTIES)
    assert cobrowse.EVENT_NAMES is EVENT_NAMES


def test_properties_are_the_seed_properties_in_order():
    assert {name: list(properties) for name, properties in PROPERTIES.items()} == SEED_PROPERTIES


def test_events_namespace_has_one_signal_per_event():
    assert cobrowse.Events is Events
    signals = Events.signals()
    assert [signal.name for signal in signals] == list(EVENT_NAMES)
    assert len({id(signal) for signal in signals}) == len(EVENT_NAMES)
    for name in EVENT_NAMES:
        assert isinstance(getattr(Events, name), Signal)
        assert Events[name] is getattr(Events, name)


def test_events_namespace_refuses_unknown_names():
    with pytest.raises(KeyError):
        Events["SessionPaused"]
    with pytest.raises(KeyError):
        Events["signals"]


# -- payloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_payload_has_every_property_none_by_default(name):
    data = payload(name)
    assert list(data) == SEED_PROPERTIES[name]
    assert all(value is None for value in data.values())


def test_payload_keeps_given_values_and_fills_the_rest():
    data = payload("SessionEnded", reason="USER_INITIATED", agentCount=0, siteCode="ACME")
    assert data == {"reason": "USER_INITIATED", "accessCode": None, "SID": None, "siteCode": "ACME", "agentCount": 0}


def test_payload_refuses_an_unknown_event():
    with pytest.raises(ValueError, match="unknown co-browse event: 'SessionPaused'"):
        payload("SessionPaused")


def test_payload_refuses_an_unknown_property():
    with pytest.raises(ValueError, match="event SessionStarting has no property 'accessCode'"):
        payload("SessionStarting", accessCode="123456")


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_payload_json_keeps_the_seed_order(name):
    # Values that differ per property, so a swapped key and value would show.
    data = {key: "value of %s" % key for key in PROPERTIES[name]}
    text = payload_json(name, data)
    pairs = json.loads(text, object_pairs_hook=list)
    assert [key for key, _ in pairs] == SEED_PROPERTIES[name]
    assert dict(pairs) == data


def test_payload_json_keeps_order_even_from_a_reordered_dict():
    data = dict(reversed(list(payload("StateChanged", state="READY", previousState="INIT", siteCode="S").items())))
    text = payload_json("StateChanged", data)
    assert text == '{"state":"READY","previousState":"INIT","accessCode":null,"SID":null,"siteCode":"S"}'


def test_payload_json_escapes_text_and_keeps_numbers():
    data = payload("AgentConnected", name='Al "the" <b>Agent</b>\n', id="a1")
    pairs = json.loads(payload_json("AgentConnected", data), object_pairs_hook=list)
    assert dict(pairs)["name"] == 'Al "the" <b>Agent</b>\n'
    ended = json.loads(payload_json("SessionEnded", payload("SessionEnded", agentCount=2)))
    assert ended["agentCount"] == 2 and ended["SID"] is None


# -- Signal -----------------------------------------------------------------------------------


def test_listeners_run_in_the_order_they_were_attached():
    calls = []
    signal = Signal("SessionStarted")
    for label in "abc":
        signal.listen(Recorder(calls, label))
    signal.send({"x": 1})
    assert calls == [("a", {"x": 1}), ("b", {"x": 1}), ("c", {"x": 1})]
    assert len(signal) == 3


def test_listening_twice_keeps_one_attachment():
    calls = []
    signal = Signal("SessionStarted")
    listener = Recorder(calls, "once")
    assert signal.listen(listener) is listener
    assert signal.listen(listener) is listener
    signal.send(1)
    assert calls == [("once", 1)]
    assert len(signal) == 1


def test_listen_works_as_a_decorator():
    calls = []
    signal = Signal("StateChanged")

    @signal.listen
    def heard(data):
        calls.append(data)

    assert callable(heard)
    signal.send("READY")
    assert calls == ["READY"]


@pytest.mark.parametrize("not_a_function", ["not a function", None, 42, {"a": 1}])
def test_a_non_callable_listener_is_refused_at_registration(not_a_function):
    signal = Signal("SessionStarting")
    with pytest.raises(TypeError, match=r"SessionStarting\.listen\(\) needs a function"):
        signal.listen(not_a_function)
    assert len(signal) == 0


def test_removing_a_listener_stops_it():
    calls = []
    signal = Signal("SessionEnded")
    kept, removed = Recorder(calls, "kept"), Recorder(calls, "removed")
    signal.listen(kept)
    signal.listen(removed)
    signal.remove_listener(removed)
    signal.send(1)
    assert calls == [("kept", 1)]


def test_removing_an_unknown_listener_does_nothing():
    calls = []
    signal = Signal("SessionEnded")
    signal.listen(Recorder(calls, "kept"))
    signal.remove_listener(Recorder(calls, "never attached"))
    signal.remove_listener(key="no such key")
    signal.remove_listener()
    signal.send(1)
    assert calls == [("kept", 1)]
    assert len(signal) == 1


def test_a_raising_listener_is_reported_and_the_others_still_run():
    calls, reports = [], []
    signal = Signal("AgentConnected", on_error=lambda *args: reports.append(args))
    failure = RuntimeError("listener bug")

    def boom(data):
        calls.append(("boom", data))
        raise failure

    signal.listen(Recorder(calls, "before"))
    signal.listen(boom)
    signal.listen(Recorder(calls, "after"))
    signal.send("payload")
    assert calls == [("before", "payload"), ("boom", "payload"), ("after", "payload")]
    assert reports == [(signal, boom, failure)]


def test_the_default_error_report_names_the_event(capsys):
    signal = Signal("NavigatingAway")
    calls = []
    signal.listen(lambda data: 1 / 0)
    signal.listen(Recorder(calls, "after"))
    signal.send(None)
    assert calls == [("after", None)]
    assert "cobrowse: a NavigatingAway listener failed: ZeroDivisionError" in capsys.readouterr().out


def test_keyed_listeners_are_identified_by_key_not_identity():
    calls = []
    signal = Signal("StateChanged")
    # The browser adapter wraps each JavaScript function anew: the key says it is the same one.
    signal.listen(Recorder(calls, "first wrapper"), key=("js", 7))
    signal.listen(Recorder(calls, "second wrapper"), key=("js", 7))
    signal.listen(Recorder(calls, "other"), key=("js", 8))
    signal.send(1)
    assert calls == [("first wrapper", 1), ("other", 1)]
    signal.remove_listener(key=("js", 7))
    signal.send(2)
    assert calls[2:] == [("other", 2)]
    assert len(signal) == 1


def test_a_listener_may_change_the_listeners_while_the_signal_sends():
    calls = []
    signal = Signal("SessionStarted")
    late = Recorder(calls, "late")

    def remove_self_add_late(data):
        calls.append(("first", data))
        signal.remove_listener(remove_self_add_late)
        signal.listen(late)

    signal.listen(remove_self_add_late)
    signal.listen(Recorder(calls, "second"))
    signal.send(1)
    # The listeners of this dispatch were fixed when it began: "second" still runs, "late" waits.
    assert calls == [("first", 1), ("second", 1)]
    signal.send(2)
    assert calls[2:] == [("second", 2), ("late", 2)]

