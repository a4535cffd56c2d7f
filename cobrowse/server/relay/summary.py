"""What agents see of a session: never its tokens or connections.

Public names:

- ``summary(session)``: the session as agents see it (the `session` message's ``session``).
- ``public_agents(session)``: its agents without their tokens.
- ``public_control(session)``: who asked for or holds control, or None.
- ``public_tools(session)``: what the page allows agents and whether the visitor's switch is on.
"""

from typing import Any

from cobrowse.core import tools
from cobrowse.core.session import States
from cobrowse.server.relay.shapes import Session


def summary(session: Session) -> dict[str, Any]:
    """``control`` is there while an agent asks for or holds control."""
    visitor_connected = session["visitor"] is not None
    record = public_control(session)
    if not visitor_connected:
        state = "RECONNECTING"
    elif record:
        state = States.ACTIVE_ESCALATED if record["state"] == "granted" else States.ACTIVE_ESCALATING
    else:
        state = "ACTIVE:ACTIVE" if session["agents"] else "ACTIVE:WAIT"
    shown = {
        "accessCode": session["accessCode"],
        "SID": session["SID"],
        "siteCode": session["siteCode"],
        "state": state,
        "visitorConnected": visitor_connected,
        "url": session["url"],
        "title": session["title"],
        "agents": public_agents(session),
        "tools": public_tools(session),
    }
    if record:
        shown["control"] = record
    return shown


def public_agents(session: Session) -> list[dict[str, str]]:
    """The session's agents as anybody may see them: ``[{"id", "name"}]``, no tokens."""
    return [{"id": agent["id"], "name": agent["name"]} for agent in session["agents"]]


def public_control(session: Session) -> dict[str, Any] | None:
    """``{"agent", "name", "state"}`` of whoever asked for or holds control, or None."""
    record = session.get("control")
    if not record:
        return None
    return {"agent": record["agent"], "name": record.get("name"), "state": record["state"]}


def public_tools(session: Session) -> dict[str, Any]:
    """``{"allowed": [...], "on": bool, "usable": [...]}``: what the page allows (everything until
    it says), the visitor's switch, and so what agents may use now."""
    record = session.get("tools") or {"allowed": tools.usable(None), "on": True}
    return {"allowed": list(record["allowed"]), "on": record["on"], "usable": tools.usable(record)}
