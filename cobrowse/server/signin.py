"""Who an agent's request or socket is: a signed token, the console's cookie, or the shared key.

Public names:

- ``SignIn(tokens, agent_key, wall=time.time)``: the server's ways in. ``tokens`` (a
  ``tokens.TokenVerifier``) verifies the customer's signed agent tokens; ``agent_key`` is the
  shared key (None: off). ``who(connection)`` is the ``tokens.Identity`` of a request or socket,
  or raises ``tokens.BadToken`` with the cause (logged once, with the ``sub`` if readable, never
  the token); ``trade(token)`` and ``trade_key(key)`` sign in with a token or the key and give
  ``(identity, cookie value)``, ``key_holder(key)`` checks the key alone; ``set_cookie(response, value, identity, https)`` and
  ``clear_cookie(response)``.
- ``COOKIE``: the cookie's name; ``KEY_SIGN_IN_SECONDS``: how long the shared key's sign-in lasts.

A connection shows who it is by ``Authorization: Bearer TOKEN`` (non-browser clients), the
cookie (the console: HttpOnly, SameSite=Strict, Secure over HTTPS, expiring with the token), or,
on sockets, ``?key=KEY`` while the shared key is on (scripts and tests; the console never puts
it in a URL). The cookie holds the customer's token as it was signed, or, for the shared key, a
token this server signs with a secret derived from the key (issuer ``KEY_ISSUER``, and
``KEY_ISSUER`` as the ``kid`` of its header, which tells the two apart without decoding the
claims), so that every process given the same key accepts it and nothing needs to be stored.
"""

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Final

import jwt
from starlette.requests import HTTPConnection
from starlette.responses import Response

from cobrowse.server.tokens import AGENT, BadToken, Identity, TokenVerifier, readable_sub

COOKIE: Final = "cobrowse_agent"
KEY_ISSUER: Final = "cobrowse:agent-key"
KEY_SIGN_IN_SECONDS: Final = 12 * 3600

WRONG_KEY: Final = "Wrong or missing agent key"
SIGN_IN: Final = "Please sign in: open the console from your organisation's agent portal"
KEY_OFF: Final = "The agent key is off on this server: sign in with your agent token"

log = logging.getLogger("cobrowse")


class SignIn:
    """The server's ways in for agents (see the module's docstring)."""

    def __init__(self, tokens: TokenVerifier | None, agent_key: str | None,
                 wall: Callable[[], float] = time.time) -> None:
        self.tokens = tokens
        self.agent_key = agent_key
        self.wall = wall
        # The shared key's cookies are signed with a secret only the key's holders can derive.
        secret = hmac.new((agent_key or "").encode(), b"cobrowse agent cookie", hashlib.sha256).hexdigest()
        self.key_cookies = TokenVerifier.from_secret(secret, issuer=KEY_ISSUER) if agent_key else None

    def who(self, connection: HTTPConnection) -> Identity:
        """Who ``connection`` is; ``BadToken`` (logged) if nobody it may be."""
        bearer = connection.headers.get("authorization", "")
        if bearer[:7].lower() == "bearer ":
            return self.verified(bearer[7:].strip())
        cookie = connection.cookies.get(COOKIE)
        if cookie:
            return self.verified(cookie)
        key = connection.query_params.get("key")
        if connection.scope["type"] == "websocket" and key is not None:
            return self.key_holder(key)
        raise BadToken(WRONG_KEY if self.tokens is None else SIGN_IN)

    def verified(self, token: str) -> Identity:
        """The identity of a customer's token or of this server's shared-key cookie."""
        try:
            if _key_id(token) == KEY_ISSUER:
                if self.key_cookies is None:
                    raise BadToken(KEY_OFF)
                claims = jwt.decode(token, self.key_cookies.key, algorithms=["HS256"], issuer=KEY_ISSUER)
                return Identity(None, None, AGENT, None, float(claims["exp"]))
            if self.tokens is None:
                raise BadToken("This server takes no agent tokens: use the agent key")
            return self.tokens.verify(token)
        except BadToken as error:
            log.warning("cobrowse: agent refused: %s (sub %s)", error.cause, readable_sub(token) or "unreadable")
            raise
        except jwt.InvalidTokenError:
            log.warning("cobrowse: agent refused: the agent key's sign-in is over or was not this server's")
            raise BadToken("Your sign-in with the agent key is over: open the console's URL again")

    def trade(self, token: str) -> tuple[Identity, str]:
        """Sign in with a customer's token: ``(identity, cookie value)``; ``BadToken`` if it
        does not sign anybody in, or expires before the cookie could be used."""
        identity = self.verified(token)
        if identity.expires is not None and identity.expires <= self.wall():
            log.warning("cobrowse: agent refused: Your agent token has expired (sub %s)", identity.id)
            raise BadToken("Your agent token has expired")
        return identity, token

    def key_holder(self, key: str) -> Identity:
        """The identity of whoever gives the shared key ``key``; ``BadToken`` if it is wrong or off."""
        if self.agent_key is None:
            raise BadToken(KEY_OFF)
        if not hmac.compare_digest(key.encode(), self.agent_key.encode()):
            raise BadToken(WRONG_KEY)
        return Identity(None, None)

    def trade_key(self, key: str) -> tuple[Identity, str]:
        """Sign in with the shared key: ``(identity, cookie value)``; ``BadToken`` if wrong."""
        self.key_holder(key)
        assert self.key_cookies is not None, "the key's cookies are signed while the key is on"
        expires = self.wall() + KEY_SIGN_IN_SECONDS
        value = jwt.encode({"iss": KEY_ISSUER, "exp": int(expires)}, self.key_cookies.key, algorithm="HS256",
                           headers={"kid": KEY_ISSUER})
        return Identity(None, None, AGENT, None, float(int(expires))), value

    def set_cookie(self, response: Response, value: str, identity: Identity, https: bool) -> None:
        """The sign-in cookie on ``response``: it expires no later than ``identity`` does."""
        expires = identity.expires if identity.expires is not None else self.wall() + KEY_SIGN_IN_SECONDS
        response.set_cookie(COOKIE, value, max_age=max(0, int(expires - self.wall())), path="/", secure=https,
                            httponly=True, samesite="strict")

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")


def _key_id(token: str) -> object:
    """The ``kid`` of a token's header, unverified (which key to check it with), or None."""
    try:
        return jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        return None
