"""The command line (``python -m cobrowse serve``): what it warns of, and the options it refuses
or normalizes before the server starts."""

import argparse

import pytest

from cobrowse.server.cli import main, origin
from cobrowse.server.process import DrainingServer


@pytest.mark.parametrize("options, warned", [
    (["--host", "0.0.0.0"], True),
    (["--host", "192.0.2.10"], True),
    (["--host", "0.0.0.0", "--allowed-origin", "https://shop.example"], False),
    (["--host", "127.0.0.1"], False),
    (["--host", "localhost"], False),
    (["--host", "::1"], False),
])
def test_a_public_bind_without_allowed_origins_warns(monkeypatch, capsys, options, warned):
    # The server is not started: only what main prints before it would run is looked at.
    ran = []
    monkeypatch.setattr(DrainingServer, "run", lambda self: ran.append(self.config))
    assert main(["serve", *options]) == 0
    printed = capsys.readouterr().out
    assert ("warning" in printed and "--allowed-origin" in printed) is warned, printed
    assert ran and ran[0].ws_per_message_deflate is False


@pytest.mark.parametrize("text, expected", [
    ("https://shop.example", "https://shop.example"),
    ("HTTPS://Shop.Example:443/", "https://shop.example"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://[::1]:80", "http://[::1]"),
])
def test_allowed_origins_are_normalized(text, expected):
    assert origin(text) == expected


@pytest.mark.parametrize("text", ["shop.example", "https://shop.example/path", "ftp://shop.example", "https://", "https://x:99999", "*"])
def test_a_bad_allowed_origin_is_refused_at_start(text):
    with pytest.raises(argparse.ArgumentTypeError):
        origin(text)
