"""The agent's keys against a real keyboard's: every key of the table recorded from Chromium
(tests/browser/data/chromium_keys.json, tools/record_keys.py) is pressed through remote
control's decisions (cobrowse.core.control) and the actuator (Cobrowse._control) on the same
page and target, and must fire the same events, in the same order, with the same fields
(isTrusted aside), and leave the page in the same state."""

import json

from cobrowse.core import control
from cobrowse.core.links import site_hosts
from support.browser import boot
from support.keytable import BODY, CASES, TABLE, actions_of, differences, outcome, prepare

RECORDED = json.loads(TABLE.read_text())

# What the actuator cannot do as Chromium does, and why.
POPUP = "Chromium opens the list's popup, which takes the keyup; the console chooses options with a list of its own"
PAGED = ("Chromium moves the caret to the start or end and also scrolls the page by some tens of pixels; "
         "the actuator only moves the caret")
KNOWN = {("Space", "select"): POPUP, ("Enter", "select"): POPUP,
         ("PageUp", "textarea"): PAGED, ("PageDown", "textarea"): PAGED,
         ("PageUp", "contenteditable"): PAGED, ("PageDown", "contenteditable"): PAGED}


def press(page, actions, hosts):
    """Each action as the widget does it: parsed, refused or performed; the first refusal."""
    for action in actions:
        parsed = control.parse_action(action)
        text = json.dumps(parsed)
        facts = json.loads(page.evaluate("(action) => Cobrowse._control.inspect(action)", text))
        reason = control.refusal(parsed, facts, hosts)
        if reason:
            return reason
        page.evaluate("(action) => Cobrowse._control.perform(action)", text)
    return None


def test_the_table_holds_every_case():
    assert [(case["key"], case["target"]) for case in RECORDED["cases"]] == CASES
    assert RECORDED["meta"]["chromium"].split(".")[0] == "156"


def test_the_agents_keys_fire_what_a_real_keyboard_fires(new_page, server, site, runtime):
    page = new_page(site.page(server, runtime, BODY, title="Keys"))
    boot(page)
    hosts = site_hosts(None, "127.0.0.1")
    failures = []
    for case in RECORDED["cases"]:
        where = (case["key"], case["target"])
        prepare(page, case["target"])
        refused = press(page, actions_of(case), hosts)
        lines = (["refused: " + refused] if refused else []) + differences(case, outcome(page, settle=False, expected=len(case["events"])))
        if where in KNOWN:
            if not lines:
                failures.append("%s on %s: now as in Chromium; drop it from KNOWN" % where)
        elif lines:
            failures.append("%s on %s:\n  %s" % (where + ("\n  ".join(lines),)))
    assert not failures, "\n".join(failures)


def test_a_layouts_own_characters_are_typed_and_shortcuts_are_not(new_page, server, site, runtime):
    page = new_page(site.page(server, runtime, BODY, title="Keys"))
    hosts = site_hosts(None, "127.0.0.1")
    prepare(page, "input")
    # Option+L on a German Mac is @ (altKey); AltGr on Windows comes as Control and Alt.
    for flags in ({"altKey": True}, {"ctrlKey": True, "altKey": True}):
        assert press(page, [dict({"kind": "key", "key": "@"}, **flags)], hosts) is None
    for flags in ({"ctrlKey": True}, {"metaKey": True}):
        assert press(page, [dict({"kind": "key", "key": "c"}, **flags)], hosts) is None
    events = outcome(page, settle=False)["events"]
    assert page.evaluate("document.getElementById('text').value") == "ab@@cd"
    assert [event["type"] for event in events if event["type"] != "keydown" and event["type"] != "keyup"] == [
        "keypress", "beforeinput", "input"] * 2
