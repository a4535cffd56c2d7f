"""Unit tests for cobrowse.core.control: the consent record, agents' actions and what the page refuses."""

import pytest

from cobrowse.core import control
from cobrowse.core.links import site_hosts

HOSTS = site_hosts(None, "shop.example")
IDLE = {"found": True, "tag": "button", "visitorIdleMs": 5000}


def test_the_consent_record_allows_one_agent_at_a_time():
    record = control.ask(None, "a1", "Alice")
    assert record == {"agent": "a1", "name": "Alice", "state": "asking"}
    assert control.controller(record) is None
    with pytest.raises(control.ControlRefused, match="Alice has already asked") as refused:
        control.ask(record, "b2", "Bob")
    assert refused.value.code == "control_busy"
    granted = control.grant(record, "a1")
    assert control.controller(granted) == "a1" and record["state"] == "asking"
    with pytest.raises(control.ControlRefused, match="Alice controls the page"):
        control.ask(granted, "b2", "Bob")
    with pytest.raises(control.ControlRefused):
        control.grant(granted, "a1")
    with pytest.raises(control.ControlRefused):
        control.release(granted, "b2")
    assert control.release(granted, "a1") is None
    with pytest.raises(control.ControlRefused):
        control.release(None)


@pytest.mark.parametrize("action", [
    None, [], {"kind": "eval"}, {"kind": "click", "x": 1}, {"kind": "click", "id": 1.5, "x": 1, "y": 1},
    {"kind": "click", "id": -2, "x": 1, "y": 1}, {"kind": "click", "x": "1", "y": 1}, {"kind": "click", "x": True, "y": 1},
    {"kind": "wheel", "x": 1, "y": 1, "dy": "9"}, {"kind": "key", "key": "ab"}, {"kind": "key", "key": "F5"},
    {"kind": "choose", "id": 3}, {"kind": "choose", "id": 3, "index": -1},
])
def test_bad_actions_are_refused(action):
    with pytest.raises(control.ControlRefused) as refused:
        control.parse_action(action)
    assert refused.value.code == "bad_action"


def test_actions_keep_only_their_fields():
    assert control.parse_action({"kind": "wheel", "id": 3, "x": 1, "y": 2, "dy": 120, "html": "<b>"}) == \
        {"kind": "wheel", "id": 3, "x": 1, "y": 2, "dx": 0, "dy": 120}
    assert control.parse_action({"kind": "key", "key": "Enter", "shiftKey": 1}) == \
        {"kind": "key", "key": "Enter", "shiftKey": False, "ctrlKey": False, "altKey": False, "metaKey": False}
    assert control.parse_action({"kind": "choose", "id": 9, "index": 2}) == {"kind": "choose", "id": 9, "index": 2}


CLICK = {"kind": "click", "id": 4, "x": 1, "y": 1}
KEY = {"kind": "key", "key": "q", "shiftKey": False, "ctrlKey": False, "altKey": False, "metaKey": False}


@pytest.mark.parametrize("action,extra,reason", [
    (CLICK, {"visitorIdleMs": 100}, "Held off"),
    (CLICK, {"found": False}, "no longer on the visitor's page"),
    (KEY, {"found": False}, "click a field first"),
    (CLICK, {"noControl": True}, "does not allow agents"),
    (CLICK, {"private": True}, "private fields"),
    (CLICK, {"tag": "input", "type": "password"}, "private fields"),
    (CLICK, {"tag": "input", "type": "hidden"}, "private fields"),
    (CLICK, {"tag": "input", "type": "file"}, "private fields"),
    (KEY, {"tag": "input", "type": "password"}, "private fields"),
    (dict(KEY, key="Enter"), {"tag": "a", "link": "https://elsewhere.example/"}, "leaves the site"),
    ({"kind": "choose", "id": 4, "index": 1}, {}, "list of options"),
    (CLICK, {"link": "https://elsewhere.example/"}, "leaves the site"),
])
def test_the_page_refuses_what_agents_must_not_do(action, extra, reason):
    facts = dict(IDLE, **extra)
    assert reason in control.refusal(action, facts, HOSTS)


@pytest.mark.parametrize("action,extra", [
    (CLICK, {}),
    (CLICK, {"link": "https://shop.example/basket"}),
    (CLICK, {"tag": "input", "type": "checkbox"}),
    (KEY, {"tag": "textarea"}),
    # A character on a button, a checkbox or the page is a key the page hears (Space clicks).
    (KEY, {}),
    (dict(KEY, key=" "), {"tag": "input", "type": "checkbox"}),
    (dict(KEY, key="PageDown"), {"tag": "body"}),
    (dict(KEY, key="Enter"), {"tag": "a", "link": "https://shop.example/basket"}),
    (dict(KEY, key="Enter"), {"tag": "button"}),
    ({"kind": "choose", "id": 4, "index": 1}, {"tag": "select"}),
    ({"kind": "move", "id": -1, "x": 1, "y": 1}, {"visitorIdleMs": 0, "private": True}),
])
def test_the_page_does_what_agents_may_do(action, extra):
    assert control.refusal(action, dict(IDLE, **extra), HOSTS) is None
