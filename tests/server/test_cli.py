"""The command line (``python -m cobrowse serve``): what it warns of, and the options it refuses
or normalizes before the server starts."""

import argparse

import pytest

from cobrowse.server.cli import main, minutes, network, origin, size
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


@pytest.mark.parametrize("text, expected", [("536870912", 536870912), ("512MiB", 512 << 20), ("512 MiB", 512 << 20),
                                            ("1.5GiB", 3 << 29), ("64KiB", 64 << 10), ("100b", 100)])
def test_sizes_take_bytes_or_binary_units(text, expected):
    assert size(text) == expected


@pytest.mark.parametrize("text", ["", "0", "-1MiB", "12MB", "lots", "5 TiB"])
def test_a_bad_size_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        size(text)


def test_a_session_limit_is_one_to_720_minutes():
    assert minutes("1") == 60 and minutes("720") == 720 * 60 and minutes("1.5") == 90
    for text in ("0.5", "721", "0", "soon"):
        with pytest.raises(argparse.ArgumentTypeError):
            minutes(text)


def test_trusted_proxies_are_addresses_or_networks():
    assert network("10.0.0.0/8") == "10.0.0.0/8"
    assert network("192.168.1.7") == "192.168.1.7/32"
    assert network("::1") == "::1/128"
    with pytest.raises(argparse.ArgumentTypeError):
        network("nginx.internal")


def test_the_hardening_options_reach_the_server(monkeypatch, tmp_path):
    ran = []
    monkeypatch.setattr(DrainingServer, "run", lambda self: ran.append(self))
    assert main(["serve", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1", "--start-limit", "3",
                 "--session-limit", "30", "--view-log-budget", "1MiB", "--audit-log", str(tmp_path / "a.jsonl")]) == 0
    config, relay = ran[0].config, ran[0].relay
    assert config.proxy_headers is True and config.forwarded_allow_ips == ["10.0.0.0/8", "127.0.0.1/32"]
    assert relay.timeouts.session_limit == 30 * 60
    assert relay.engine.starts.attempts == 3 and relay.views.budget == 1 << 20
    assert relay.audit.trail.path == str(tmp_path / "a.jsonl")


def test_without_a_trusted_proxy_no_forwarded_header_is_believed(monkeypatch):
    ran = []
    monkeypatch.setattr(DrainingServer, "run", lambda self: ran.append(self.config))
    assert main(["serve"]) == 0
    assert ran[0].proxy_headers is False


def test_with_the_audit_trail_on_standard_output_the_start_lines_go_to_stderr(monkeypatch, capsys):
    monkeypatch.setattr(DrainingServer, "run", lambda self: None)
    assert main(["serve", "--audit-log", "-"]) == 0
    printed = capsys.readouterr()
    assert printed.out == "" and "agent console" in printed.err
def serve_options(monkeypatch, *options):
    """Run ``main(["serve", *options])`` up to the server's start, which is not made."""
    monkeypatch.setattr(DrainingServer, "run", lambda self: None)
    assert main(["serve", *options]) == 0


def test_a_token_key_turns_the_shared_key_off_and_the_console_url_carries_no_key(monkeypatch, capsys):
    serve_options(monkeypatch, "--agent-jwt-secret", "s" * 32)
    printed = capsys.readouterr().out
    assert "agent console http://127.0.0.1:8000/agent#token=JWT" in printed and "key=" not in printed
    serve_options(monkeypatch, "--agent-jwt-secret", "s" * 32, "--agent-key", "shared")
    assert "/agent?key=shared" in capsys.readouterr().out


def test_the_token_key_may_come_from_the_environment(monkeypatch, capsys, tmp_path):
    from support.tokens import ec_keys

    pem = tmp_path / "agents.pem"
    pem.write_bytes(ec_keys()[1])
    monkeypatch.setenv("COBROWSE_AGENT_JWT_PUBLIC_KEY", str(pem))
    serve_options(monkeypatch)
    assert "#token=JWT" in capsys.readouterr().out


@pytest.mark.parametrize("options, said", [
    (["--agent-jwt-public-key", "/no/such/file.pem"], "No such file"),
    (["--agent-jwt-public-key", __file__], "--agent-jwt-public-key"),
    (["--agent-jwt-secret", "s", "--agent-jwt-public-key", __file__], "not both"),
    (["--agent-jwt-audience", "cobrowse"], "need a token key"),
])
def test_a_bad_token_key_is_refused_at_start(options, said):
    with pytest.raises(SystemExit) as exited:
        main(["serve", *options])
    assert said in str(exited.value.code)
