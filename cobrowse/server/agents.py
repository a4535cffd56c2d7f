"""The agents' HTTP side: the console's page, signing in and out, and the supervisors' list.

Public names:

- ``AgentRoutes(sign_in, store, console_page)``: ``routes()`` gives ``/agent`` (the console; a
  ``?key=KEY`` load trades the shared key for the sign-in cookie and redirects to ``/agent``),
  ``POST /api/sign-in`` (JSON ``{"token"}``: the cookie, and ``{id, name, role, expires}``; 401
  and ``{"error": cause}`` for a bad token), ``GET /api/me`` (who the cookie is, or 401 with the
  cause), ``POST /api/sign-out`` and ``GET /api/sessions`` (the live sessions a supervisor may
  see, 403 for anybody else).
- ``live_sessions(sessions, identity)``: what the supervisors' list shows of ``sessions``.
- ``UNAUTHORIZED_PAGE``: the page of a wrong key.
"""

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cobrowse.server.backends.records import Session
from cobrowse.server.backends.store import SessionStore
from cobrowse.server.gate import same_origin
from cobrowse.server.relay.summary import public_agents, summary
from cobrowse.server.signin import SignIn
from cobrowse.server.tokens import SUPERVISOR, BadToken, Identity

UNAUTHORIZED_PAGE: Final = ("<!doctype html><title>Unauthorized</title><h1>401 Unauthorized</h1>"
                            "<p>The agent console needs the agent key: use the URL the server printed at start.</p>")
NOT_SUPERVISOR: Final = "Only supervisors may list the sessions"


def live_sessions(sessions: list[Session], identity: Identity) -> list[dict[str, Any]]:
    """The sessions of ``identity``'s sites, oldest first, as the supervisors' list shows them."""
    shown = []
    for session in sorted(sessions, key=lambda session: session["created"]):
        if identity.may_see(session["siteCode"]):
            view = summary(session)
            shown.append({"accessCode": view["accessCode"], "SID": view["SID"], "siteCode": view["siteCode"],
                          "state": view["state"], "startedAt": _rfc3339(session["created"]),
                          "agents": public_agents(session)})
    return shown


def _rfc3339(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%03dZ" % (seconds % 1 * 1000)


def _shown(identity: Identity) -> dict[str, Any]:
    return {"id": identity.id, "name": identity.name, "role": identity.role, "expires": identity.expires}


class AgentRoutes:
    """The agents' HTTP routes (see the module's docstring)."""

    def __init__(self, sign_in: SignIn, store: SessionStore,
                 console_page: Callable[[Request], Awaitable[Response]]) -> None:
        self.sign_in = sign_in
        self.store = store
        self.console_page = console_page

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/agent", self.console),
            Route("/api/sign-in", self.trade, methods=["POST"]),
            Route("/api/sign-out", self.sign_out, methods=["POST"]),
            Route("/api/me", self.me),
            Route("/api/sessions", self.sessions),
        ]

    async def console(self, request: Request) -> Response:
        """The console; the shared key in the URL is traded for the cookie and leaves it."""
        key = request.query_params.get("key")
        if key is not None:
            try:
                identity, value = self.sign_in.trade_key(key)
            except BadToken:
                return HTMLResponse(UNAUTHORIZED_PAGE, status_code=401)
            response: Response = RedirectResponse("/agent", status_code=303)
            self.sign_in.set_cookie(response, value, identity, request.url.scheme == "https")
            response.headers["Cache-Control"] = "no-store"
            return response
        if self.sign_in.tokens is None:
            # With the shared key only, the console is for those who gave it.
            try:
                self.sign_in.who(request)
            except BadToken:
                return HTMLResponse(UNAUTHORIZED_PAGE, status_code=401)
        return await self.console_page(request)

    async def trade(self, request: Request) -> Response:
        """``POST {"token"}``: the cookie for a good token. Only the console's own page may
        ask (a JSON body and the server's Origin), so no other site can sign an agent in."""
        origin = request.headers.get("origin")
        if origin is not None and not same_origin(origin, request.headers.get("host")):
            return JSONResponse({"error": "Sign in from the agent console only"}, status_code=403)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return JSONResponse({"error": "Send the token as JSON"}, status_code=415)
        try:
            body = json.loads(await request.body())
            token = body.get("token") if isinstance(body, dict) else None
        except ValueError:
            token = None
        if not isinstance(token, str) or not token:
            return JSONResponse({"error": "Your agent token is not a token"}, status_code=400)
        try:
            identity, value = self.sign_in.trade(token)
        except BadToken as error:
            return JSONResponse({"error": error.cause}, status_code=401)
        response = JSONResponse(_shown(identity), headers={"Cache-Control": "no-store"})
        self.sign_in.set_cookie(response, value, identity, request.url.scheme == "https")
        return response

    async def sign_out(self, request: Request) -> Response:
        response = Response(status_code=204)
        self.sign_in.clear_cookie(response)
        return response

    async def me(self, request: Request) -> Response:
        try:
            identity = self.sign_in.who(request)
        except BadToken as error:
            return JSONResponse({"error": error.cause, "keyOnly": self.sign_in.tokens is None}, status_code=401)
        return JSONResponse(_shown(identity), headers={"Cache-Control": "no-store"})

    async def sessions(self, request: Request) -> Response:
        try:
            identity = self.sign_in.who(request)
        except BadToken as error:
            return JSONResponse({"error": error.cause}, status_code=403)
        if identity.role != SUPERVISOR:
            return JSONResponse({"error": NOT_SUPERVISOR}, status_code=403)
        return JSONResponse(live_sessions(await self.store.sessions(), identity), headers={"Cache-Control": "no-store"})
