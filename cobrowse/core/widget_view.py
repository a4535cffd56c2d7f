"""What the default widget shows, derived from the session: a pure view model.

Public names:

- ``view(session, popups, tools)``: a dict describing the widget for the session's current state
  (``tools``: the page's ``visitor_tools.VisitorTools``, whose switch the panel shows while
  agents are there).
- ``ended_text(reason)``: the sentence that tells the visitor why a session ended.
- ``announcement(shown)``: what screen readers should be told about a view (its live region).
- ``spelled(code)``: an access code spelt out digit by digit, as a screen reader should say it.
- ``LEAVE_PROMPT``: the question asked before a link takes the visitor off the site.
- ``RECONNECTING``: the notice shown while a lost connection is being recovered.
- ``STARTING``, ``ENDING``: what the widget says while a session starts or ends.

The browser adapter renders this dict; keeping the wording and the choices here lets them be
tested without a browser.
"""

from cobrowse.core.states import States, in_session

LEAVE_PROMPT = "This link will take you outside of the co-browsing session"

RECONNECTING = "Connection lost: reconnecting…"

STARTING = "Starting co-browse…"

ENDING = "Ending the co-browse session…"

_ENDED = {
    "USER_INITIATED": "You ended the co-browse session.",
    "AGENT_INITIATED": "The agent ended the co-browse session.",
    "NAVIGATED_AWAY": "The co-browse session ended because you left the site.",
    "USER_TIMEOUT": "The co-browse session ended because no agent joined in time.",
    "NETWORK_TIMEOUT": "The co-browse session ended because the connection was lost.",
    "SESSION_LIMIT": "The co-browse session ended: it reached its time limit.",
}


def ended_text(reason):
    return _ENDED.get(reason) or "The co-browse session ended (%s)." % reason


def view(session, ended_popup=True, tools=None):
    """Describe the widget: ``mode`` is one of idle, starting, active, ending.

    ``notice`` is a sentence to show (why the last session ended, why starting failed, or
    that the session ends soon), or None. Agent names are plain strings: the renderer inserts
    them as text. ``tools`` is ``{"on", "clear"}`` (the "Agent tools" switch, and whether there
    are drawings to clear) while agents are there and the page lets them point or draw, else
    None (no such key without ``tools``).
    """
    state = session.state
    notice = None
    if state == States.ERROR:
        # ERROR follows a failed start (``error`` says why) or a session lost in progress.
        if session.error:
            notice = session.error
        elif session.ended_reason:
            notice = ended_text(session.ended_reason)
        else:
            notice = "Could not start co-browse. Please try again."
    elif state == States.READY and session.ended_reason and ended_popup:
        notice = ended_text(session.ended_reason)
    elif in_session(state) and session.reconnecting:
        notice = RECONNECTING
    elif in_session(state) and session.warning:
        notice = session.warning
    if state == States.STARTING:
        mode = "starting"
    elif in_session(state):
        mode = "active"
    elif state == States.DISCONNECTING:
        mode = "ending"
    else:
        mode = "idle"
    shown = {
        "mode": mode,
        "code": session.access_code if mode == "active" else None,
        "agents": [name for _, name in session.agents] if mode == "active" else [],
        "notice": notice,
    }
    if tools is not None:
        shown["tools"] = tools.shown() if mode == "active" and session.agents else None
    return shown


def spelled(code):
    """Spell a code out digit by digit ("004213" -> "0 0 4 2 1 3"); screen readers would
    otherwise read it as a number."""
    return " ".join(code)


def announcement(shown):
    """The sentence a screen reader announces for the view ``shown`` (from ``view``), or "".

    The widget puts it in a live region whenever it changes: the access code when a session
    starts, each change of the connected agents, why a session ended or is reconnecting.
    """
    if shown["notice"]:
        return shown["notice"]
    mode = shown["mode"]
    if mode == "starting":
        return STARTING
    if mode == "ending":
        return ENDING
    if mode != "active":
        return ""
    if shown["agents"]:
        return "Connected agents: %s." % ", ".join(shown["agents"])
    return "Your co-browse access code is %s. Read it to the agent. Waiting for an agent to join." % spelled(shown["code"])
