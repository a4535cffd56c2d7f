// Run the pure core's checks under the vendored MicroPython (the widget's runtime), in node.
//
//   node tests/core/micropython_runner.mjs [--root DIR] [--bytecode]
//
// It writes the pure core as the browser gets it, DIR/cobrowse/__init__.py and every module of
// DIR/cobrowse/core/ (DIR defaults to the repository; the adapters of cobrowse/browser/ need js
// and pyscript), into MicroPython's file system, and runs CHECKS below. With --bytecode it writes
// the modules' bytecode instead, as the server serves it to the browser: cobrowse/core/x.mpy for
// each cobrowse/core/x.py. Each check prints "ok NAME" or "FAIL NAME: error"; the last line is
// "micropython checks: N passed, M failed". The exit code is 0 only when every check passed, 1
// when one failed and 2 when the checks could not run at all.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const CHECKS = String.raw`
import sys
import json

sys.path.insert(0, "/app")

from cobrowse import Events, EVENT_NAMES
from cobrowse.core import protocol
from cobrowse.core.events import PROPERTIES, Signal, payload, payload_json
from cobrowse.core import control, tools
from cobrowse.core.visitor_tools import VisitorTools
from cobrowse.core.links import classify, replaces_page, site_hosts
from cobrowse.core.protocol import ProtocolError
from cobrowse.core.session import States, VisitorSession, reconnect_delay
from cobrowse.core.widget_view import RECONNECTING, announcement, view

SITE = "ACME-1"
CODE = "004213"
TOKEN = "t" * 32
NEW_TOKEN = "n" * 32
SEED = [
    ("SessionStarting", ("SID", "siteCode")),
    ("SessionStarted", ("accessCode", "SID", "mode", "siteCode")),
    ("SessionEnded", ("reason", "accessCode", "SID", "siteCode", "agentCount")),
    ("AgentConnected", ("name", "id", "accessCode", "SID", "siteCode")),
    ("AgentDisconnected", ("name", "id", "accessCode", "SID", "siteCode")),
    ("StateChanged", ("state", "previousState", "accessCode", "SID", "siteCode")),
    ("NavigatingAway", ("url", "accessCode", "SID", "siteCode")),
]


def expect(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def refused(text, accept, code):
    try:
        protocol.decode(text, accept)
    except ProtocolError as exc:
        expect(exc.code, code, "code for %r" % (text[:40],))
        expect(str(exc), exc.message, "str() of the error")
        if not isinstance(exc, ValueError) or not exc.message:
            raise AssertionError("ProtocolError must be a ValueError with a sentence")
        return exc
    raise AssertionError("%r was accepted" % (text[:40],))


def take(session):
    events, session.events = session.events, []
    return events


def check_runtime():
    expect(sys.implementation.name, "micropython", "implementation")
    expect(sys.implementation.version[:2], (1, 27), "version")


def check_seed_events():
    expect(list(EVENT_NAMES), [name for name, _ in SEED], "EVENT_NAMES")
    for name, properties in SEED:
        expect(tuple(PROPERTIES[name]), properties, "PROPERTIES of " + name)
        expect(Events[name].name, name, "Events[name]")
        data = payload(name)
        expect(sorted(data), sorted(properties), "payload keys of " + name)
        if [value for value in data.values() if value is not None]:
            raise AssertionError("an empty payload has a value")
    for bad in (lambda: payload("Nope"), lambda: payload("SessionStarting", accessCode="1")):
        try:
            bad()
        except ValueError:
            continue
        raise AssertionError("payload accepted an unknown name or property")


def check_payload_json_order():
    # MicroPython's dicts are unordered: the text must still follow the seed.
    for name, properties in SEED:
        data = payload(name, **{key: "v-" + key for key in properties})
        text = payload_json(name, data)
        positions = [text.index(json.dumps(key) + ":") for key in properties]
        expect(positions, sorted(positions), "key order of " + name)
        expect(json.loads(text), data, "values of " + name)
    text = payload_json("StateChanged", payload("StateChanged", state="READY", previousState="INIT", siteCode="S"))
    expect(text, '{"state":"READY","previousState":"INIT","accessCode":null,"SID":null,"siteCode":"S"}', "StateChanged text")


def check_full_session():
    session = VisitorSession(SITE)
    session.boot()
    expect(session.start(url="https://shop.example/"), (True, ""), "start")
    sent = [protocol.decode(text, protocol.VISITOR_TO_SERVER) for text in session.outbox]
    expect(sent, [{"type": "start", "siteCode": SITE, "url": "https://shop.example/", "networkTimeout": 30}], "outbox")
    session.receive(protocol.encode("started", accessCode=CODE, token=TOKEN))
    session.receive(protocol.encode("agent_joined", id="a1", name="Alice"))
    session.receive(protocol.encode("agent_left", id="a1", name="Alice"))
    session.receive(protocol.encode("ended", reason="AGENT_INITIATED"))
    ids = {"accessCode": CODE, "SID": None, "siteCode": SITE}

    def changed(previous, state, code):
        return ("StateChanged", {"state": state, "previousState": previous, "accessCode": code, "SID": None, "siteCode": SITE})

    def merged(extra):
        data = dict(ids)
        data.update(extra)
        return data

    expected = [
        changed("INIT", "READY", None),
        ("SessionStarting", {"SID": None, "siteCode": SITE}),
        changed("READY", "STARTING", None),
        changed("STARTING", "ACTIVE:WAIT", CODE),
        ("SessionStarted", merged({"mode": "ICB"})),
        changed("ACTIVE:WAIT", "ACTIVE:ACTIVE", CODE),
        ("AgentConnected", merged({"name": "Alice", "id": "a1"})),
        changed("ACTIVE:ACTIVE", "ACTIVE:WAIT", CODE),
        ("AgentDisconnected", merged({"name": "Alice", "id": "a1"})),
        changed("ACTIVE:WAIT", "READY", CODE),
        ("SessionEnded", merged({"reason": "AGENT_INITIATED", "agentCount": 0})),
    ]
    events = take(session)
    expect([name for name, _ in events], [name for name, _ in expected], "event names")
    for index in range(len(expected)):
        expect(events[index], expected[index], "event %d" % index)
    # The session is over: nothing of it is left to send.
    expect(session.outbox, [], "outbox emptied")
    expect((session.state, session.access_code, session.agents, session.token), ("READY", None, [], None), "final state")
    expect(view(session)["notice"], "The agent ended the co-browse session.", "widget notice")
    expect(announcement(view(session)), "The agent ended the co-browse session.", "announced notice")
    waiting = {"mode": "active", "code": CODE, "agents": [], "notice": None}
    expect(announcement(waiting), "Your co-browse access code is 0 0 4 2 1 3. Read it to the agent. Waiting for an agent to join.", "announced code")


def check_session_edges():
    session = VisitorSession(SITE)
    expect(session.start()[0], False, "start before boot")
    session.boot()
    session.start(sid="chat-42")
    session.receive(protocol.encode("started", accessCode=CODE, SID="chat-42", token=TOKEN))
    expect(view(session), {"mode": "active", "code": CODE, "agents": [], "notice": None}, "active view")
    take(session)
    # A malformed message raises ProtocolError and changes nothing.
    before = (session.state, session.access_code, len(session.outbox))
    for text in ("not json", '{"v": 2, "type": "ended", "reason": "R"}', '{"v": 1, "type": "ended"}'):
        try:
            session.receive(text)
        except ProtocolError:
            pass
        else:
            raise AssertionError("a malformed message was accepted")
    expect((session.state, session.access_code, len(session.outbox), session.events), before + ([],), "after malformed")
    # An ignored message is still returned, decoded.
    expect(session.receive(protocol.encode("started", accessCode="999999", token=NEW_TOKEN))["type"], "started", "ignored started")
    expect(session.stop("CHAT_CLOSED"), (True, ""), "stop")
    session.connection_lost()
    events = take(session)
    expect(events[-1], ("SessionEnded", {"reason": "CHAT_CLOSED", "accessCode": CODE, "SID": "chat-42", "siteCode": SITE, "agentCount": 0}), "ended")
    expect(session.stop(), (False, "There is no co-browse session to stop (state READY)"), "stop when ready")
    # A session whose connection cannot be recovered ends as NETWORK_TIMEOUT.
    session.start()
    session.receive(protocol.encode("started", accessCode=CODE, token=TOKEN))
    take(session)
    expect(session.connection_lost(), True, "reconnect")
    session.give_up()
    expect((session.state, take(session)[-1][1]["reason"]), ("ERROR", "NETWORK_TIMEOUT"), "lost")
    # Leaving the site by a very long link still sends a valid message.
    session.start()
    session.receive(protocol.encode("started", accessCode=CODE, token=TOKEN))
    session.outbox = []
    expect(session.leave_site("https://elsewhere.example/?" + "q" * 3000), True, "leave_site")
    expect(len(protocol.decode(session.outbox[0], protocol.VISITOR_TO_SERVER)["url"]), 2048, "cut url")


def check_resume():
    def sent(session):
        outbox, session.outbox = session.outbox, []
        return [protocol.decode(text, protocol.VISITOR_TO_SERVER) for text in outbox]

    def resumed(agents, token):
        return protocol.encode("resumed", accessCode=CODE, SID="chat-42", token=token,
                               agents=[{"id": agent_id, "name": name} for agent_id, name in agents])

    expect([reconnect_delay(attempt, 0.0) for attempt in (0, 1, 5, 50)], [0.125, 0.25, 2.5, 2.5], "reconnect_delay")
    # A blip: the connection drops and comes back, and listeners hear nothing of it.
    session = VisitorSession(SITE, 45)
    session.boot()
    session.start(sid="chat-42", url="https://shop.example/")
    session.receive(protocol.encode("started", accessCode=CODE, SID="chat-42", token=TOKEN))
    session.receive(protocol.encode("agent_joined", id="a1", name="Alice"))
    take(session)
    sent(session)
    session.ping()
    expect(session.connection_lost(), True, "connection_lost reconnects")
    expect((session.state, session.reconnecting, session.events, session.outbox), ("ACTIVE:ACTIVE", True, [], []), "blip")
    expect(view(session)["notice"], RECONNECTING, "reconnecting notice")
    session.page("https://shop.example/p")
    session.connected()
    resume = {"type": "resume", "token": TOKEN, "url": "https://shop.example/p", "networkTimeout": 45}
    expect(sent(session), [resume, {"type": "page", "url": "https://shop.example/p"}], "resume first")
    session.receive(resumed([("a1", "Alice")], NEW_TOKEN))
    expect((session.events, session.reconnecting, session.token), ([], False, NEW_TOKEN), "after the blip")
    # A second blip, meanwhile Alice left and Bob joined: each fires once.
    session.connection_lost()
    session.connected()
    sent(session)
    session.receive(resumed([("b2", "Bob")], TOKEN))
    ids = {"accessCode": CODE, "SID": "chat-42", "siteCode": SITE}

    def changed(previous, state):
        data = {"state": state, "previousState": previous}
        data.update(ids)
        return ("StateChanged", data)

    def agent(event, agent_id, name):
        data = {"name": name, "id": agent_id}
        data.update(ids)
        return (event, data)

    expect(take(session), [
        changed("ACTIVE:ACTIVE", "ACTIVE:WAIT"),
        agent("AgentDisconnected", "a1", "Alice"),
        changed("ACTIVE:WAIT", "ACTIVE:ACTIVE"),
        agent("AgentConnected", "b2", "Bob"),
    ], "reconciled agents")
    # A page load: the next page of the tab boots with the token and restores the session.
    page = VisitorSession(SITE, 45)
    page.boot(session.token, "https://shop.example/next")
    page.connected()
    expect((page.state, page.resuming, page.events), ("INIT", True, []), "booted with a token")
    resume = {"type": "resume", "token": TOKEN, "url": "https://shop.example/next", "networkTimeout": 45}
    expect(sent(page), [resume], "resume on boot")
    page.receive(resumed([("b2", "Bob")], NEW_TOKEN))
    expect(take(page), [changed("INIT", "ACTIVE:ACTIVE")], "restored with one StateChanged")
    expect((page.access_code, page.sid, page.agents, page.token, page.resuming), (CODE, "chat-42", [("b2", "Bob")], NEW_TOKEN, False), "restored")
    expect(view(page), {"mode": "active", "code": CODE, "agents": ["Bob"], "notice": None}, "restored view")
    # A page whose session is gone is simply ready.
    gone = VisitorSession(SITE)
    gone.boot(TOKEN, "https://shop.example/")
    gone.receive(protocol.encode("error", code="no_session", message="No such session"))
    expect((gone.state, gone.token, [event[1]["state"] for event in take(gone)]), ("READY", None, ["READY"]), "gone")


def check_listener_isolation():
    calls = []
    reports = []
    signal = Signal("SessionStarted", on_error=lambda sig, listener, exc: reports.append((sig.name, str(exc))))

    def first(data):
        calls.append(("first", data))

    def boom(data):
        raise RuntimeError("listener bug")

    def last(data):
        calls.append(("last", data))

    signal.listen(first)
    signal.listen(first)
    signal.listen(boom)
    signal.listen(last)
    signal.listen(lambda data: calls.append(("keyed", data)), key=("js", 1))
    signal.listen(lambda data: calls.append(("same key", data)), key=("js", 1))
    signal.remove_listener(lambda data: None)
    signal.send(7)
    expect(calls, [("first", 7), ("last", 7), ("keyed", 7)], "calls")
    expect(reports, [("SessionStarted", "listener bug")], "reports")
    try:
        signal.listen("not a function")
    except TypeError:
        pass
    else:
        raise AssertionError("a string was accepted as a listener")
    signal.remove_listener(key=("js", 1))
    signal.remove_listener(first)
    expect(len(signal), 2, "listeners left")


def check_protocol_errors():
    kinds = {
        "start": {"siteCode": SITE, "SID": "chat-1", "url": "https://shop.example/", "networkTimeout": 30},
        "resume": {"token": TOKEN, "url": "https://shop.example/", "networkTimeout": 30},
        "stop": {"reason": "USER_INITIATED"},
        "navigated_away": {"url": "https://elsewhere.example/"},
        "page": {"url": "https://shop.example/", "title": "Shop"},
        "view": {"events": [{"kind": "scroll", "y": 120}]},
        "view_part": {"text": '{"v":1,', "size": 40},
        "view_refused": {"size": 9000000, "message": "too large"},
        "ping": {},
        "started": {"accessCode": CODE, "SID": "chat-1", "token": TOKEN},
        "resumed": {"accessCode": CODE, "SID": "chat-1", "token": TOKEN, "agents": [{"id": "a1", "name": "Alice"}]},
        "agent_joined": {"id": "a1", "name": "Alice"},
        "agent_left": {"id": "a1", "name": "Alice"},
        "ended": {"reason": "NAVIGATED_AWAY", "url": "https://elsewhere.example/"},
        "session_warning": {"message": "This co-browse session ends in 60 s", "endsIn": 60},
        "error": {"code": "busy", "message": "Try again soon", "retryAfter": 5},
        "pong": {},
        "snapshot": {},
        "join": {"code": CODE, "name": "Alice"},
        "rejoin": {"token": TOKEN},
        "leave": {},
        "end": {},
        "joined": {"id": "a1", "name": "Alice", "session": {"agents": []}, "token": TOKEN},
        "session": {"session": {"agents": [{"id": "a1", "name": "Alice"}]}},
        "control_grant": {"id": "a1"},
        "control_end": {"id": "a1", "reason": "revoked"},
        "refused": {"id": "a1", "message": "Held off"},
        "request_control": {},
        "release_control": {},
        "act": {"id": "a1", "action": {"kind": "key", "key": "a"}},
        "control_request": {"id": "a1", "name": "Alice"},
        "control_notice": {"code": "declined", "message": "Declined"},
        "point": {"id": "a1", "name": "Alice", "color": "#d4380d", "at": {"id": 4, "x": 1, "y": 2.5, "ring": True}},
        "draw": {"id": "a1", "stroke": {"id": "s1", "node": 4, "points": [1, 2], "done": False}},
        "clear": {},
        "cleared": {"name": "Alice"},
        "tools": {"allowed": ["point"], "on": False, "fresh": True},
    }
    directions = (protocol.VISITOR_TO_SERVER, protocol.SERVER_TO_VISITOR, protocol.AGENT_TO_SERVER, protocol.SERVER_TO_AGENT)
    for accept in directions:
        for kind in accept:
            fields = kinds[kind]
            decoded = protocol.decode(protocol.encode(kind, **fields), accept)
            wanted = dict(fields)
            wanted["type"] = kind
            expect(decoded, wanted, "round trip of " + kind)
    s2v = protocol.SERVER_TO_VISITOR
    refused("not json", s2v, "bad_json")
    refused("[" * 60000, s2v, "bad_json")
    refused("[1, 2]", s2v, "bad_message")
    refused(b"{}", s2v, "bad_message")
    refused(" " * 65537, s2v, "too_large")
    refused('{"type": "ended", "reason": "R"}', s2v, "bad_version")
    refused('{"v": true, "type": "ended", "reason": "R"}', s2v, "bad_version")
    refused('{"v": 1, "type": "start", "siteCode": "S"}', s2v, "bad_type")
    refused('{"v": 1, "type": ["ended"]}', s2v, "bad_type")
    refused('{"v": 1, "type": "ended"}', s2v, "bad_field")
    refused('{"v": 1, "type": "ended", "reason": 1}', s2v, "bad_field")
    refused('{"v": 1, "type": "ended", "reason": "R", "x": 1}', s2v, "bad_field")
    refused('{"v": 1, "type": "started", "accessCode": "1234567", "token": "t"}', s2v, "bad_field")
    refused('{"v": 1, "type": "started", "accessCode": "004213"}', s2v, "bad_field")
    refused('{"v": 1, "type": "resumed", "accessCode": "004213", "token": "t", "agents": {}}', s2v, "bad_field")
    refused('{"v": 1, "type": "error", "code": "c", "message": "m", "retryAfter": "5"}', s2v, "bad_field")
    refused('{"v": 1, "type": "resume", "token": "t"}', s2v, "bad_type")


def check_links():
    hosts = site_hosts("shop.example, *.example.com, 127.0.0.1:8000", "ignored.example")
    table = [
        ("https://elsewhere.example/", "external"),
        ("https://shop.example/cart#top", "internal"),
        ("HTTPS://SHOP.EXAMPLE:9000/", "internal"),
        ("https://www.example.com/", "internal"),
        ("https://badexample.com/", "external"),
        ("http://127.0.0.1:8000/", "internal"),
        ("http://127.0.0.1:8001/", "external"),
        ("http://user@elsewhere.example/", "external"),
        ("mailto:help@elsewhere.example", "ignored"),
        ("tel:+15550100", "ignored"),
        ("javascript:void(0)", "ignored"),
        ("/relative", "ignored"),
        ("#top", "ignored"),
    ]
    for url, kind in table:
        expect(classify(url, hosts), kind, url)
    expect(site_hosts(None, "Shop.Example"), ["shop.example"], "default hosts")
    expect(replaces_page(0, ""), True, "plain click")
    expect(replaces_page(0, "_blank"), False, "target=_blank")
    expect(replaces_page(1, ""), False, "middle click")
    expect(replaces_page(0, "", True), False, "ctrl click")
    expect(replaces_page(0, "", False, True), False, "meta click")


def active_with(agents):
    session = VisitorSession(SITE)
    session.boot()
    session.start()
    session.receive(protocol.encode("started", accessCode=CODE, token=TOKEN))
    for agent_id, name in agents:
        session.receive(protocol.encode("agent_joined", id=agent_id, name=name))
    take(session)
    session.outbox = []
    return session


def states(session):
    return [(data["previousState"], data["state"]) for name, data in take(session) if name == "StateChanged"]


def sent(session):
    outbox, session.outbox = session.outbox, []
    return [protocol.decode(text, protocol.VISITOR_TO_SERVER) for text in outbox]


def check_control_consent():
    session = active_with([("a1", "Alice"), ("b2", "Bob")])
    session.receive(protocol.encode("control_request", id="a1", name="Alice"))
    expect((states(session), session.mode), ([("ACTIVE:ACTIVE", "ACTIVE:ESCALATING")], "ICB"), "asked")
    # A second agent is refused while the first one's request is pending.
    session.receive(protocol.encode("control_request", id="b2", name="Bob"))
    expect(sent(session), [{"type": "control_end", "id": "b2", "reason": "busy"}], "busy")
    expect(session.allow_control(), (True, ""), "allow")
    expect((states(session), session.mode, session.granted), ([("ACTIVE:ESCALATING", "ACTIVE:ESCALATED")], "ACB", "a1"), "granted")
    expect(sent(session), [{"type": "control_grant", "id": "a1"}], "grant sent")
    expect((session.may_act("a1"), session.may_act("b2")), (True, False), "may_act")
    expect(session.revoke_control(), (True, ""), "revoke")
    expect((states(session), session.mode, session.may_act("a1")), ([("ACTIVE:ESCALATED", "ACTIVE:ACTIVE")], "ICB", False), "revoked")
    expect(sent(session), [{"type": "control_end", "id": "a1", "reason": "revoked"}], "revoke sent")
    expect(session.revoke_control()[0], False, "nothing to revoke")
    expect(session.allow_control()[0], False, "nothing to allow")
    # A request that times out, and one whose agent leaves.
    session.receive(protocol.encode("control_request", id="b2", name="Bob"))
    session.request_expired("b2")
    expect(sent(session), [{"type": "control_end", "id": "b2", "reason": "timeout"}], "timeout sent")
    session.receive(protocol.encode("control_request", id="b2", name="Bob"))
    session.receive(protocol.encode("agent_left", id="b2", name="Bob"))
    expect(states(session)[-2:], [("ACTIVE:ACTIVE", "ACTIVE:ESCALATING"), ("ACTIVE:ESCALATING", "ACTIVE:ACTIVE")], "left")
    # A new page of the tab: escalated again only if this tab granted that agent.
    for granted, state in (("a1", "ACTIVE:ESCALATED"), (None, "ACTIVE:ACTIVE")):
        page = VisitorSession(SITE)
        page.boot(TOKEN, "https://shop.example/next", granted=granted)
        page.connected()
        page.outbox = []
        page.receive(protocol.encode("resumed", accessCode=CODE, token=NEW_TOKEN, agents=[{"id": "a1", "name": "Alice"}],
                                     control={"agent": "a1", "name": "Alice", "state": "granted"}))
        expect(states(page), [("INIT", state)], "resumed with granted=%r" % granted)


def check_control_actions():
    hosts = site_hosts(None, "shop.example")
    click = control.parse_action({"kind": "click", "id": 4, "x": 1, "y": 2.5, "extra": 1})
    expect(click, {"kind": "click", "id": 4, "x": 1, "y": 2.5}, "parsed click")
    expect(control.parse_action({"kind": "key", "key": "a"})["shiftKey"], False, "key flags")
    for bad in ({"kind": "run"}, {"kind": "click", "id": "4", "x": 1, "y": 1}, {"kind": "key", "key": "F12"}, []):
        try:
            control.parse_action(bad)
        except control.ControlRefused:
            continue
        raise AssertionError("%r was accepted" % (bad,))
    idle = {"found": True, "tag": "button", "visitorIdleMs": 5000}
    expect(control.refusal(click, idle, hosts), None, "a button")

    def merged(extra):
        facts = dict(idle)
        facts.update(extra)
        return facts

    for extra in ({"noControl": True}, {"private": True}, {"tag": "input", "type": "password"},
                  {"tag": "input", "type": "file"}, {"visitorIdleMs": 10}, {"found": False},
                  {"link": "https://elsewhere.example/"}):
        if control.refusal(click, merged(extra), hosts) is None:
            raise AssertionError("a click was allowed with %r" % (extra,))
    expect(control.refusal(click, merged({"link": "https://shop.example/cart"}), hosts), None, "same-site link")
    key = control.parse_action({"kind": "key", "key": "x"})
    expect(control.refusal(key, merged({"tag": "input", "type": "text"}), hosts), None, "typing")
    expect(control.refusal(key, idle, hosts), None, "a key on a button")
    enter = control.parse_action({"kind": "key", "key": "Enter"})
    if control.refusal(enter, merged({"tag": "a", "link": "https://elsewhere.example/"}), hosts) is None:
        raise AssertionError("Enter on a link that leaves the site was allowed")


def check_agent_tools():
    expect(tools.parse_allowed(" Draw,point,laser"), (["point", "draw"], ["laser"]), "data-agent-tools")
    expect(tools.usable({"allowed": ["point", "draw", "control"], "on": False}), ["control"], "switched off")
    expect(tools.refusal({"allowed": ["point"], "on": True}, "draw"), "This site does not allow agents to draw", "no draw")
    expect(tools.parse_point({"id": 3, "x": 1.5, "y": 2}), {"id": 3, "x": 1.5, "y": 2, "ring": False}, "a point")
    expect(tools.parse_stroke({"id": "s", "points": [1, 2]})["node"], -1, "a stroke")
    try:
        tools.parse_point({"id": True, "x": 1, "y": 2})
    except tools.ToolRefused:
        pass
    else:
        raise AssertionError("a point at true was accepted")
    pace = tools.Pace(30)
    expect(sum(1 for _ in range(40) if pace.admit(0)), 30, "the pace's burst")
    mine = VisitorTools(["point", "draw"])
    expect(mine.heard({"type": "point", "id": "a1", "name": "Ada", "at": {}}), (True, "Ada is pointing at your screen"),
           "announced")
    mine.switch(False)
    expect(mine.heard({"type": "draw", "id": "a1", "stroke": {"id": "s"}}), (False, ""), "switched off")


CHECKS = [
    ("runtime", check_runtime),
    ("seed_events", check_seed_events),
    ("payload_json_order", check_payload_json_order),
    ("full_session", check_full_session),
    ("session_edges", check_session_edges),
    ("resume", check_resume),
    ("listener_isolation", check_listener_isolation),
    ("protocol_errors", check_protocol_errors),
    ("links", check_links),
    ("control_consent", check_control_consent),
    ("control_actions", check_control_actions),
    ("agent_tools", check_agent_tools),
]

failed = []
for name, check in CHECKS:
    try:
        check()
        print("ok " + name)
    except Exception as exc:
        failed.append(name)
        print("FAIL %s: %s: %s" % (name, type(exc).__name__, exc))
        sys.print_exception(exc)
print("micropython checks: %d passed, %d failed" % (len(CHECKS) - len(failed), len(failed)))
`;

function moduleFiles(root) {
  const core = readdirSync(join(root, "cobrowse", "core")).filter((name) => name.endsWith(".py")).sort();
  return ["cobrowse/__init__.py", ...core.map((name) => "cobrowse/core/" + name)];
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf("--root");
  const root = resolve(at >= 0 ? args[at + 1] : join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
  const sources = moduleFiles(root);
  const files = args.includes("--bytecode") ? sources.map((file) => file.replace(/\.py$/, ".mpy")) : sources;
  const lines = [];
  const started = Date.now();
  const mp = await loadMicroPython({
    linebuffer: true,
    stdout: (line) => { lines.push(line); console.log(line); },
    stderr: (line) => { lines.push(line); console.error(line); },
  });
  mp.FS.mkdirTree("/app/cobrowse/core");
  for (const file of files) {
    mp.FS.writeFile("/app/" + file, readFileSync(join(root, file)));
  }
  console.log("loaded: " + files.join(" "));
  try {
    mp.runPython(CHECKS);
  } catch (error) {
    console.error("the checks stopped: " + error.message);
    return 2;
  }
  console.log("took %d ms", Date.now() - started);
  const result = lines.map((line) => /^micropython checks: (\d+) passed, (\d+) failed$/.exec(line)).filter(Boolean).pop();
  if (!result) {
    console.error("the checks printed no result line");
    return 2;
  }
  return result[2] === "0" ? 0 : 1;
}

main().then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(error.stack || String(error)); process.exitCode = 2; },
);
