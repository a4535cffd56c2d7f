"""Visitor sessions in every state, for the tests of the session machine (``cobrowse.core.session``
and the parts mixed into it, ``resume`` and ``consent``).

- ``SITE``, ``CODE``, ``AGENT``, ``OTHER``, ``THIRD``, ``TOKEN``, ``NEW_TOKEN``, ``URL``: sample values.
- ``server(kind, **fields)``, ``resumed(agents, ...)``: messages from the server, as text.
- ``take_events(session)``, ``take_sent(session)``: empty the session's queues and return what
  was in them (events checked against the seed's properties, messages decoded).
- ``changed(previous, state, ...)``: the StateChanged event expected for a move.
- ``ready()``, ``starting()``, ``waiting()``, ``active()``, ``disconnecting()``, ``errored()``,
  ``reconnecting()``, ``resuming()``: a session brought to that point, its queues emptied;
  ``BUILDERS`` maps the states to them, ``ALL_BUILT`` lists the states they reach in order.
- ``resume_message(...)``: the ``resume`` a session sends, decoded; ``snapshot(session)``: a
  deep copy of its attributes.
"""

import copy

from cobrowse.core import protocol
from cobrowse.core.events import PROPERTIES
from cobrowse.core.session import NETWORK_TIMEOUT_SECONDS, States, VisitorSession

SITE = "ACME-1"
CODE = "004213"
AGENT = ("a" * 32, "Alice <b>Agent</b>")
OTHER = ("b" * 32, "Bob")
THIRD = ("c" * 32, "Carol")
TOKEN = "t" * 32
NEW_TOKEN = "n" * 32
URL = "https://shop.example/"


def server(kind, **fields):
    """A message from the server, as the widget receives it (``started`` with a token)."""
    if kind == "started":
        fields.setdefault("token", TOKEN)
    return protocol.encode(kind, **fields)


def resumed(agents=(), token=NEW_TOKEN, code=CODE, sid=None):
    """The server's answer to ``resume``: the session as it is now."""
    return server("resumed", accessCode=code, SID=sid, token=token, agents=[{"id": i, "name": n} for i, n in agents])


def take_events(session):
    """The events queued since the last call, as (name, payload) pairs; the queue is emptied."""
    events, session.events = session.events, []
    for name, data in events:
        # Every payload carries exactly the seed's properties, in order.
        assert list(data) == list(PROPERTIES[name]), name
    return events


def take_sent(session):
    """The messages queued for the server since the last call, decoded; the queue is emptied."""
    outbox, session.outbox = session.outbox, []
    return [protocol.decode(text, protocol.VISITOR_TO_SERVER) for text in outbox]


def changed(previous, state, code=None, sid=None, site=SITE):
    return ("StateChanged", {"state": state, "previousState": previous, "accessCode": code, "SID": sid, "siteCode": site})


def ready(site=SITE):
    session = VisitorSession(site)
    session.boot()
    take_events(session)
    return session


def starting(sid=None):
    session = ready()
    assert session.start(sid=sid, url="https://shop.example/") == (True, "")
    take_events(session)
    take_sent(session)
    return session


def waiting(sid=None):
    session = starting(sid)
    session.receive(server("started", accessCode=CODE, SID=sid))
    take_events(session)
    return session


def active(sid=None, agents=(AGENT,)):
    session = waiting(sid)
    for agent_id, name in agents:
        session.receive(server("agent_joined", id=agent_id, name=name))
    take_events(session)
    return session


def disconnecting(reason=None):
    session = active()
    assert session.stop(reason) == (True, "")
    take_events(session)
    take_sent(session)
    return session


def errored():
    session = starting()
    session.connection_lost()
    take_events(session)
    return session


BUILDERS = {
    States.INIT: lambda: VisitorSession(SITE),
    States.READY: ready,
    States.STARTING: starting,
    States.ACTIVE_WAIT: waiting,
    States.ACTIVE_ACTIVE: active,
    States.DISCONNECTING: disconnecting,
    States.ERROR: errored,
}
# Every state a builder reaches, in the lifecycle's order.
ALL_BUILT = [state for state in States.ALL if state in BUILDERS]


def reconnecting(sid=None, agents=(AGENT,)):
    """An active session whose connection dropped; the adapter is reconnecting."""
    session = active(sid, agents)
    assert session.connection_lost() is True
    assert session.events == [] and session.outbox == []
    return session


def resuming(token=TOKEN, url=URL, network_timeout=NETWORK_TIMEOUT_SECONDS):
    """A new page of the tab, booted with the token the previous page kept."""
    session = VisitorSession(SITE, network_timeout)
    session.boot(token=token, url=url)
    take_sent(session)
    return session


def resume_message(token=TOKEN, url=URL, network_timeout=NETWORK_TIMEOUT_SECONDS):
    return {"type": "resume", "token": token, "url": url, "networkTimeout": network_timeout}


def snapshot(session):
    return copy.deepcopy(vars(session))

