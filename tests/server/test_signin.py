"""Signing in, over HTTP in process (Starlette's TestClient): a signed token traded for the
cookie, the cookie's attributes, every bad token's cause (and its one log line, never the
token), the shared key traded and switched off, the sockets' sign-in and the supervisors'
``/api/sessions``."""

import contextlib
import json
import logging
import re
import time

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from cobrowse.core import protocol
from cobrowse.server.app import create_app
from cobrowse.server.bytecode import Compiler
from cobrowse.server.tokens import TokenVerifier
from support.tokens import SECRET, agent_token, claims, mint

KEY = "the-shared-agent-key"


class NoCompiler(Compiler):
    def compile(self, path):
        return None


@contextlib.contextmanager
def serving(agent_key=None, secret=SECRET, base_url="http://testserver", **options):
    tokens = TokenVerifier.from_secret(secret, **options) if secret else None
    app = create_app(agent_key, compiler=NoCompiler(), tokens=tokens)
    with TestClient(app, base_url=base_url) as client:
        yield client


def sign_in(client, token, **headers):
    return client.post("/api/sign-in", json={"token": token}, headers=headers)


def message(kind, **fields):
    return protocol.encode(kind, **fields)


def received(socket):
    return json.loads(socket.receive_text())


def start_session(client, site="shop", sid=None):
    """A visitor's socket with a session started: ``(socket context, started message)``."""
    visitor = client.websocket_connect("/ws/visitor")
    socket = visitor.__enter__()
    socket.send_text(message("start", siteCode=site, SID=sid))
    started = received(socket)
    assert started["type"] == "started", started
    return visitor, socket, started


def refused_socket(client, path="/ws/agent", **options):
    with client.websocket_connect(path, **options) as socket:
        error = received(socket)
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    return error, closed.value.code


# -- the trade ------------------------------------------------------------------------------------


def test_a_good_token_is_traded_for_an_httponly_strict_cookie_expiring_with_it():
    with serving() as client:
        token = agent_token("alice", "Alice Agent", exp_in=600)
        answer = sign_in(client, token)
        assert answer.status_code == 200
        body = answer.json()
        assert (body["id"], body["name"], body["role"]) == ("alice", "Alice Agent", "agent")
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("cobrowse_agent=")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # Plain HTTP: a Secure cookie would never come back.
        max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
        assert 590 <= max_age <= 600
        assert answer.headers["cache-control"] == "no-store"
        # The cookie signs the console in; a reload asks who it is.
        me = client.get("/api/me")
        assert me.status_code == 200 and me.json()["name"] == "Alice Agent"
        assert client.get("/agent").status_code == 200


def test_over_https_the_cookie_is_secure():
    with serving(base_url="https://testserver") as client:
        cookie = sign_in(client, agent_token()).headers["set-cookie"]
        assert "Secure" in cookie


@pytest.mark.parametrize("token, cause", [
    (lambda: agent_token(exp_in=-60), "Your agent token has expired"),
    # Within the leeway for the server, yet already past its expiry: no cookie could outlive it.
    (lambda: agent_token(exp_in=-5), "Your agent token has expired"),
    (lambda: mint(claims(nbf=int(time.time()) + 300)), "Your agent token is not valid yet"),
    (lambda: mint(claims(), "x" * 64), "Your agent token's signature does not match"),
    (lambda: mint(claims(), SECRET, "HS384"), "Your agent token was signed with another algorithm"),
    (lambda: mint(claims(sub=None)), "Your agent token has no sub (agent id)"),
    (lambda: mint(claims(name=None)), "Your agent token has no name"),
    (lambda: mint(claims(exp_in=None)), "Your agent token has no expiry (exp)"),
    (lambda: "garbage-of-no-jwt-shape", "Your agent token is not a token"),
])
def test_a_bad_token_is_401_with_its_cause_no_cookie_and_one_log_line_without_it(caplog, token, cause):
    bad = token()
    with serving() as client, caplog.at_level(logging.WARNING, logger="cobrowse"):
        answer = sign_in(client, bad)
        assert answer.status_code == 401
        assert answer.json() == {"error": cause}
        assert "set-cookie" not in answer.headers
        assert client.get("/api/me").status_code == 401
    lines = [record.getMessage() for record in caplog.records if record.name == "cobrowse"]
    assert len(lines) == 1, lines
    assert cause in lines[0]
    sub = "alice" if "no sub" not in cause and bad != "garbage-of-no-jwt-shape" else "unreadable"
    assert "(sub %s)" % sub in lines[0]
    assert bad not in lines[0] and bad.split(".")[-1] not in lines[0]


def test_audience_and_issuer_are_checked_when_configured():
    with serving(audience="cobrowse", issuer="idp") as client:
        assert sign_in(client, agent_token(aud="cobrowse", iss="idp")).status_code == 200
        assert sign_in(client, agent_token(aud="other", iss="idp")).json() == {
            "error": "Your agent token is for another audience"}
        assert sign_in(client, agent_token(aud="cobrowse", iss="other")).json() == {
            "error": "Your agent token is from another issuer"}


def test_only_the_consoles_own_page_may_sign_in():
    with serving() as client:
        # Another site's page cannot sign the agent in as somebody else (login CSRF).
        assert sign_in(client, agent_token(), origin="https://evil.example").status_code == 403
        assert client.post("/api/sign-in", data={"token": agent_token()}).status_code == 415
        assert client.post("/api/sign-in", content="{", headers={"content-type": "application/json"}).status_code == 400
        assert sign_in(client, agent_token(), origin="http://testserver").status_code == 200


def test_signing_out_clears_the_cookie():
    with serving() as client:
        sign_in(client, agent_token())
        assert client.post("/api/sign-out").status_code == 204
        assert client.get("/api/me").status_code == 401


# -- the shared key ---------------------------------------------------------------------------


def test_with_a_token_key_and_no_agent_key_the_shared_key_is_off():
    with serving() as client:
        assert client.get("/agent?key=" + KEY, follow_redirects=False).status_code == 401
        assert client.get("/agent?key=", follow_redirects=False).status_code == 401
        error, code = refused_socket(client, "/ws/agent?key=" + KEY)
        assert (error["code"], code) == ("unauthorized", 4401)
        # The console itself is served, to sign in with a token.
        assert client.get("/agent").status_code == 200


def test_the_shared_key_is_traded_for_the_cookie_and_leaves_the_url():
    with serving(agent_key=KEY, secret=None) as client:
        assert client.get("/agent").status_code == 401
        answer = client.get("/agent?key=" + KEY, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/agent"
        assert KEY not in answer.headers["set-cookie"]
        assert client.get("/agent").status_code == 200
        me = client.get("/api/me").json()
        assert (me["id"], me["name"], me["role"]) == (None, None, "agent")
        # A token cookie means nothing to a server without a token key.
        assert sign_in(client, agent_token()).json() == {"error": "This server takes no agent tokens: use the agent key"}


def test_another_keys_cookie_is_refused():
    with serving(agent_key=KEY, secret=None) as client:
        client.get("/agent?key=" + KEY, follow_redirects=False)
        cookie = client.cookies["cobrowse_agent"]
    with serving(agent_key="another-key", secret=None) as client:
        client.cookies["cobrowse_agent"] = cookie
        assert client.get("/agent").status_code == 401


# -- the sockets ------------------------------------------------------------------------------


def test_the_cookie_signs_the_socket_in_as_the_tokens_agent():
    with serving() as client:
        visitor, customer, started = start_session(client)
        sign_in(client, agent_token("alice-7", "Alice Agent"))
        with client.websocket_connect("/ws/agent") as alice:
            # The name typed is not the agent's: the token's is.
            alice.send_text(message("join", code=started["accessCode"], name="Mallory"))
            joined = received(alice)
            assert (joined["type"], joined["id"], joined["name"]) == ("joined", "alice-7", "Alice Agent")
            heard = received(customer)
            assert heard == {"v": 1, "type": "agent_joined", "id": "alice-7", "name": "Alice Agent"}
        visitor.__exit__(None, None, None)


def test_a_bearer_token_signs_a_non_browser_client_in():
    with serving() as client:
        visitor, customer, started = start_session(client)
        headers = {"Authorization": "Bearer " + agent_token("bot", "Bot")}
        with client.websocket_connect("/ws/agent", headers=headers) as bot:
            bot.send_text(message("join", code=started["accessCode"], name=""))
            assert received(bot)["id"] == "bot"
        visitor.__exit__(None, None, None)


def test_a_socket_without_a_good_token_is_closed_4401_with_the_cause():
    with serving() as client:
        error, code = refused_socket(client)
        assert (error["code"], code) == ("unauthorized", 4401)
        client.cookies["cobrowse_agent"] = agent_token(exp_in=-120)
        error, code = refused_socket(client)
        assert (error["message"], code) == ("Your agent token has expired", 4401)


# -- supervisors ------------------------------------------------------------------------------


def test_api_sessions_lists_a_supervisors_sites_and_is_403_to_anyone_else():
    with serving() as client:
        shop, _, in_shop = start_session(client, "shop", sid="case-1")
        bank, _, in_bank = start_session(client, "bank")
        assert client.get("/api/sessions").status_code == 403
        sign_in(client, agent_token("alice", "Alice"))
        assert client.get("/api/sessions").status_code == 403
        sign_in(client, agent_token("sue", "Sue", role="supervisor", sites=["shop"]))
        listed = client.get("/api/sessions").json()
        assert [session["accessCode"] for session in listed] == [in_shop["accessCode"]]
        session = listed[0]
        assert (session["SID"], session["siteCode"], session["state"], session["agents"]) == (
            "case-1", "shop", "ACTIVE:WAIT", [])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", session["startedAt"])
        sign_in(client, agent_token("boss", "Boss", role="supervisor"))
        assert {session["siteCode"] for session in client.get("/api/sessions").json()} == {"shop", "bank"}
        shop.__exit__(None, None, None)
        bank.__exit__(None, None, None)
