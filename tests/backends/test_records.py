"""The session record's helpers (cobrowse.server.backends.records): access codes, secrets and
attachments, the same for every store."""

import re

import pytest

from cobrowse.server.backends import records
from cobrowse.server.backends.records import (GONE, VISITOR, CodesExhausted, agent_of, attach_to, attached, attachment,
                                              detach_from, new_access_code, new_session, new_token, silence)


class Draws:
    """Stands in for ``secrets.randbelow``: hands out the given numbers, in order."""

    def __init__(self, *numbers):
        self.numbers = list(numbers)
        self.calls = []

    def __call__(self, limit):
        self.calls.append(limit)
        return self.numbers.pop(0)


def draws(monkeypatch, *numbers):
    fake = Draws(*numbers)
    monkeypatch.setattr(records.secrets, "randbelow", fake)
    return fake


def test_access_codes_are_six_digits_with_leading_zeros(monkeypatch):
    fake = draws(monkeypatch, 42, 0, 999999)
    assert [new_access_code(set()) for _ in range(3)] == ["000042", "000000", "999999"]
    assert fake.calls == [1_000_000] * 3


def test_a_code_that_is_taken_is_drawn_again(monkeypatch):
    draws(monkeypatch, 42, 42, 7)
    assert new_access_code({"000042"}) == "000007"


def test_codes_run_out_rather_than_loop_forever():
    class Taken:
        def __len__(self):
            return 900_000

        def __contains__(self, code):
            return True

    with pytest.raises(CodesExhausted, match="access codes are exhausted"):
        new_access_code(Taken())
    assert issubclass(CodesExhausted, RuntimeError)


def test_tokens_are_192_bits_from_secrets(monkeypatch):
    calls = []
    monkeypatch.setattr(records.secrets, "token_urlsafe", lambda size: calls.append(size) or "t%d" % len(calls))
    assert new_token() == "t1"
    assert calls == [24]


def test_real_tokens_are_url_safe_and_distinct():
    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in tokens)


def test_a_new_record_has_nobody_attached():
    session = new_session("000042", "secret", "ACME-1", "chat-42", "https://shop.example/", 45)
    assert session == {"accessCode": "000042", "SID": "chat-42", "siteCode": "ACME-1", "url": "https://shop.example/",
                       "title": None, "agents": [], "created": session["created"], "token": "secret",
                       "networkTimeout": 45, "visitor": None}
    assert isinstance(session["created"], float)


def test_attachments_of_the_visitor_and_of_agents():
    session = new_session("000042", "secret", "S", None, None, None)
    session["agents"].append({"id": "a1", "name": "Alice", "token": "t", "conn": None})
    assert agent_of(session, "a1")["name"] == "Alice"
    assert agent_of(session, "zz") is None and agent_of(None, "a1") is None
    assert attachment(session, VISITOR) is None and attachment(session, "a1") is None
    assert attachment(session, "zz") == GONE
    assert attach_to(session, VISITOR, "p.1", None) is session
    assert attach_to(session, VISITOR, "q.1", None) is None
    assert attached(session, VISITOR, "p.1") and not attached(session, VISITOR, "q.1")
    assert attach_to(session, "a1", "p.2", None) is session
    assert silence(session, "a1", "p.2", True) is session and attachment(session, "a1") == {"conn": "p.2", "silent": True}
    assert silence(session, "a1", "p.9", False) is None
    assert detach_from(session, "a1", "p.9") is None
    assert detach_from(session, "a1", "p.2") is session and attachment(session, "a1") is None
    assert attach_to(session, "zz", "p.3", GONE) is None
    assert not attached(session, "zz", "p.3")
