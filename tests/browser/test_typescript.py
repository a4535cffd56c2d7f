"""static/cobrowse.d.ts: a page script using all of window.Cobrowse type-checks under
``tsc --noEmit --strict`` (TypeScript pinned in package.json) and, compiled, runs on the widget
as its types say; each kind of misuse fails to type-check; the declarations list exactly the
events, properties, states, modes and reasons of the core, and exactly the members the loader's
window.Cobrowse has; the server serves the file next to the loader."""

import re
import subprocess
import urllib.request

import pytest

from cobrowse.core.constants import MODE_ACB, MODE_ICB
from cobrowse.core.events import EVENT_NAMES, PROPERTIES
from cobrowse.core.session import Reasons, States
from support.processes import ROOT

TSC = ROOT / "node_modules" / ".bin" / "tsc"
DECLARATIONS = ROOT / "static" / "cobrowse.d.ts"
REFERENCE = '/// <reference path="%s" />\n' % DECLARATIONS

# Each misuse, and the error tsc must report for it.
MISUSES = {
    "a wrong event name": ("Cobrowse.Events.SessionStart.listen(() => {});", "TS2551"),
    "a wrong event property": ("Cobrowse.Events.SessionStarted.listen((event) => event.accesCode);", "TS2551"),
    "a property that may be undefined, used as if always there":
        ("Cobrowse.Events.SessionStarting.listen((event) => event.SID.length);", "TS18048"),
    "a listener of another event":
        ("Cobrowse.Events.AgentConnected.listen((event: Cobrowse.SessionEndedEvent) => event.reason);", "TS2345"),
    "a state that does not exist": ('const active = Cobrowse.API.Session.getState() === "ACTIVE";', "TS2367"),
    "a wrong option of start": ('Cobrowse.API.Session.start({ sid: "chat-42" });', "TS2561"),
    "a description read as always there":
        ("Cobrowse.API.Session.start().description.length;", "TS2532"),
    "assigning the session's mode": ('Cobrowse.API.Session.mode = "ACB";', "TS2540"),
    "a method that does not exist": ("Cobrowse.API.Session.takeControl();", "TS2339"),
}


PAGE_SCRIPT = ROOT / "tests" / "browser" / "typescript" / "page.ts"
# What the page script logs on a real widget, whatever the order its events arrive in.
LOGGED = [
    "StateChanged INIT READY false",
    "ready READY READY true true",
    "start ok",
    "SessionStarting TEST-1 CHAT-42",
    "start again failed: a co-browse session is already in progress (state starting)",
    "StateChanged READY STARTING false",
    "SessionStarted 6 ICB false chat-42",
    "session true chat-42 ICB",
    # checkEnvironment() says ACB: the control answers run, with nothing to allow, deny or revoke.
    "allow failed: there is no request for control to allow (state active:wait)",
    "deny failed: there is no request for control to deny (state active:wait)",
    "revoke failed: no agent controls the page (state active:wait)",
    "stop ok",
    "stop again failed: there is no co-browse session to stop (state disconnecting)",
    "SessionEnded closed the chat false 0 6",
]


# The public members of the loader's window.Cobrowse, as a page sees them before the widget is up.
SHAPE = """() => {
  const keys = (object) => Object.keys(object).filter((key) => !key.startsWith("_"));
  return {
    "Cobrowse.Global": keys(Cobrowse), "Cobrowse.API": keys(Cobrowse.API),
    "Cobrowse.Session": keys(Cobrowse.API.Session), "Cobrowse.DefaultUI": keys(Cobrowse.API.DefaultUI),
    "Cobrowse.Events": keys(Cobrowse.Events), 'Cobrowse.EventSource<"StateChanged">': keys(Cobrowse.Events.StateChanged),
    "Cobrowse.Environment": keys(Cobrowse.API.checkEnvironment()), environment: Cobrowse.API.checkEnvironment(),
  };
}"""


def flags(names):
    """A TypeScript object literal with each of ``names`` as a key, true."""
    return "{%s}" % ", ".join('"%s": true' % name for name in names)


def type_check(path, *options):
    """Run tsc on one file (``--noEmit`` unless ``options`` say where to emit); return (exit code, output)."""
    options = options or ("--noEmit",)
    command = [str(TSC), *options, "--strict", "--target", "es2022", "--lib", "es2022,dom", "--types", "", str(path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_a_page_script_using_all_of_the_api_type_checks():
    code, output = type_check(PAGE_SCRIPT)
    assert code == 0, output


def test_the_page_script_runs_on_the_widget_as_its_types_say(tmp_path, new_page, server, site, runtime):
    """The declarations describe the real thing: the compiled script starts and stops a session."""
    code, output = type_check(PAGE_SCRIPT, "--outDir", str(tmp_path))
    assert code == 0, output
    site.pages["/typed-page.js"] = (tmp_path / "page.js").read_text()
    visitor = new_page(site.page(server, runtime, '<script src="/typed-page.js"></script>', path="/typed-%s.html" % runtime))
    visitor.wait_for_function("log.some((line) => line.startsWith('SessionEnded') || line.startsWith('main failed'))",
                              timeout=60000)
    logged = visitor.evaluate("log")
    assert [line for line in LOGGED if line not in logged] == [], logged


@pytest.mark.parametrize("misuse", MISUSES)
def test_a_misuse_fails_to_type_check(tmp_path, misuse):
    line, error = MISUSES[misuse]
    script = tmp_path / "misuse.ts"
    script.write_text(REFERENCE + line + "\n")
    code, output = type_check(script)
    assert code != 0 and error in output and "misuse.ts(2," in output, output


def test_the_declarations_match_the_widget_s_events_and_states(tmp_path):
    """Built from the Python the widget runs: a missing or extra name fails the check."""
    constants = {name: value for name, value in vars(States).items() if name.isupper() and name != "ALL"}
    lines = [
        "const names: Record<Cobrowse.EventName, true> = %s;" % flags(EVENT_NAMES),
        "const states: Record<Cobrowse.State, true> = %s;" % flags(States.ALL),
        "const constants: Cobrowse.StateConstants = {%s};"
        % ", ".join('%s: "%s"' % item for item in constants.items()),
        "const modes: Record<Cobrowse.Mode, true> = %s;" % flags((MODE_ICB, MODE_ACB)),
        "const environment: Record<keyof Cobrowse.Environment, true> = %s;" % flags((MODE_ICB, MODE_ACB)),
    ]
    for name in EVENT_NAMES:
        lines.append('const %s: Record<keyof Cobrowse.EventMap["%s"], true> = %s;' % (name, name, flags(PROPERTIES[name])))
    script = tmp_path / "exact.ts"
    script.write_text(REFERENCE + "\n".join(lines) + "\n")
    code, output = type_check(script)
    assert code == 0, output


def test_the_declarations_name_the_core_s_reasons():
    """EndReason is open (a page's own reason is any text): its predefined members are read."""
    text = DECLARATIONS.read_text()
    union = text[text.index("type EndReason ="):text.index("(string & {})")]
    reasons = [value for name, value in vars(Reasons).items() if name.isupper()]
    assert re.findall(r'\| "(\w+)"', union) == reasons


def test_the_declarations_match_the_loader_s_window_cobrowse(tmp_path, new_page, server, site):
    """Each interface has exactly the members of the real object: a member the loader gains or
    loses, and the .d.ts does not, fails the check."""
    page = new_page(site.page(server, "micropython", path="/shape.html"))
    shape = page.evaluate(SHAPE)
    environment = shape.pop("environment")
    assert environment == {MODE_ICB: True, MODE_ACB: True}
    lines = ["const shape%d: Record<keyof %s, true> = %s;" % (index, interface, flags(keys))
             for index, (interface, keys) in enumerate(shape.items())]
    lines.append("const environment: Cobrowse.Environment = %s;" % flags(environment))
    script = tmp_path / "shape.ts"
    script.write_text(REFERENCE + "\n".join(lines) + "\n")
    code, output = type_check(script)
    assert code == 0, output + script.read_text()


def test_the_server_serves_the_declarations_next_to_the_loader(server):
    with urllib.request.urlopen(server.base + "/static/cobrowse.d.ts") as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.read() == DECLARATIONS.read_bytes()
