"""Unit tests for cobrowse.core.feed: the events feed's receiving end, as the page's workers run it."""

import json

import pytest

from cobrowse.core.events import payload, payload_json
from cobrowse.core.feed import EventFeed, decode

READY = payload("StateChanged", state="READY", previousState="INIT", siteCode="S-1")
STARTING = payload("SessionStarting", siteCode="S-1")


def welcome(to, *events):
    return json.dumps({"kind": "welcome", "to": to, "events": [[name, payload_json(name, data)] for name, data in events]})


def event(name, data):
    return json.dumps({"kind": "event", "name": name, "json": payload_json(name, data)})


def test_hello_names_the_end():
    assert json.loads(EventFeed("abc").hello()) == {"kind": "hello", "from": "abc"}


def test_the_welcome_brings_every_earlier_event_in_order():
    feed = EventFeed("abc")
    # An event broadcast before the page answered is in the welcome too: it is not taken twice.
    assert feed.receive(event("StateChanged", READY)) == []
    assert feed.receive(welcome("abc", ("StateChanged", READY), ("SessionStarting", STARTING))) == [
        ("StateChanged", READY), ("SessionStarting", STARTING)]
    assert feed.receive(event("SessionStarting", STARTING)) == [("SessionStarting", STARTING)]
    assert feed.errors == []


def test_welcomes_for_other_ends_and_second_welcomes_are_ignored():
    feed = EventFeed("abc")
    assert feed.receive(welcome("other", ("StateChanged", READY))) == []
    assert feed.receive(event("StateChanged", READY)) == []
    assert feed.receive(welcome("abc")) == []
    assert feed.receive(welcome("abc", ("StateChanged", READY))) == []
    # Hellos of other ends travel on the same channel.
    assert feed.receive(EventFeed("other").hello()) == []
    assert feed.errors == []


def test_payloads_keep_every_property():
    feed = EventFeed("abc")
    feed.receive(welcome("abc"))
    [(name, data)] = feed.receive(json.dumps({"kind": "event", "name": "SessionStarting", "json": '{"siteCode": "S-1"}'}))
    assert (name, data) == ("SessionStarting", {"SID": None, "siteCode": "S-1"})


@pytest.mark.parametrize("text", [
    "not json",
    "[1, 2]",
    json.dumps({"kind": "event", "name": "Nope", "json": "{}"}),
    json.dumps({"kind": "event", "name": "StateChanged", "json": "[]"}),
    json.dumps({"kind": "event", "name": "StateChanged", "json": '{"bogus": 1}'}),
    json.dumps({"kind": "event", "name": "StateChanged"}),
])
def test_malformed_messages_are_reported_and_skipped(text):
    feed = EventFeed("abc")
    feed.receive(welcome("abc"))
    assert feed.receive(text) == []
    assert len(feed.errors) == 1 and "malformed message" in feed.errors[0]
    # The feed goes on.
    assert feed.receive(event("StateChanged", READY)) == [("StateChanged", READY)]


def test_a_malformed_event_in_a_welcome_loses_only_itself():
    feed = EventFeed("abc")
    text = json.dumps({"kind": "welcome", "to": "abc", "events": [
        ["Nope", "{}"], ["StateChanged", payload_json("StateChanged", READY)], "junk"]})
    assert feed.receive(text) == [("StateChanged", READY)]
    assert len(feed.errors) == 2


def test_decode_rejects_what_is_not_a_payload():
    assert decode("SessionStarting", '{"SID": "x", "siteCode": "S"}') == {"SID": "x", "siteCode": "S"}
    for name, text in [("Nope", "{}"), ("SessionStarting", "3"), ("SessionStarting", '{"x": 1}')]:
        with pytest.raises(ValueError):
            decode(name, text)
