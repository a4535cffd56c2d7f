"""What Chromium fires for real keys, as a table, and the same keys through the actuator.

Public names:

- ``BODY``: the test page's elements and its recorder (every event, its fields and the target's
  state as a handler sees it); ``TARGETS``: each kind of target by selector; ``KEYS_FOR``: the
  keys recorded on each; ``CASES``: every ``(key, target)``.
- ``TABLE``: the recorded table's path (``tests/browser/data/chromium_keys.json``).
- ``prepare(page, target)``: put the page back as it was loaded, focus ``target``, put the
  caret mid-text, scroll to the top and clear the log; ``outcome(page)``: the events logged since and the page's final state.
- ``actions_of(case)``: what the agent console sends for a recorded case (each keydown's key and
  modifiers: it forwards no key of a modifier alone).
- ``differences(real, ours)``: every difference between two outcomes of a case, as lines.

``tools/record_keys.py`` writes the table with Playwright's keyboard (CDP input, trusted events);
``tests/browser/test_keys.py`` compares the actuator with it.
"""

import difflib
import json

from support.processes import ROOT

TABLE = ROOT / "tests" / "browser" / "data" / "chromium_keys.json"

BODY = r"""
<style>body{font:14px sans-serif} #spacer{height:3000px} #edit{border:1px solid #888;min-height:2em}</style>
<p><input id="text" value="abcd"></p>
<p><textarea id="area">ab
cd</textarea></p>
<div id="edit" contenteditable="true">abcd</div>
<p><button id="btn" type="button">Button</button>
<input id="check" type="checkbox">
<select id="sel"><option>one</option><option>two</option><option>three</option></select>
<a id="link" href="#nowhere">Link</a></p>
<p><input id="r1" type="radio" name="r" checked><input id="r2" type="radio" name="r"><input id="r3" type="radio" name="r"></p>
<form id="form" action="/submitted"><input id="ftext" name="q" value="abcd"><button id="fsubmit" type="submit">Go</button></form>
<form id="form2" action="/submitted2"><input id="ftext2" name="q" value="abcd"></form>
<div id="spacer"></div>
<script>
(function () {
  var TYPES = ["keydown", "keypress", "beforeinput", "input", "keyup", "click", "change", "submit", "select",
    "focusin", "focusout"];
  var log = [];
  window.__log = log;
  function name(node) {
    if (!node) return null;
    if (node === document.body) return "body";
    return node.id || node.localName || String(node.nodeName);
  }
  function state(t) {
    var s = {};
    if (!t || t.nodeType !== 1) return s;
    if (t.isContentEditable) {
      s.value = t.textContent; s.html = t.innerHTML;
      var sel = getSelection();
      if (sel.rangeCount) s.sel = [sel.anchorOffset, sel.focusOffset];
    } else if (t.localName === "select") {
      s.value = t.value; s.selectedIndex = t.selectedIndex;
    } else if (t.localName === "input" && (t.type === "checkbox" || t.type === "radio")) {
      s.checked = t.checked;
    } else if (t.localName === "input" || t.localName === "textarea") {
      s.value = t.value;
      try { s.sel = [t.selectionStart, t.selectionEnd]; } catch (e) {}
    }
    return s;
  }
  window.__state = function () {
    var out = { active: name(document.activeElement), scrollY: Math.round(scrollY), submits: window.__submits,
      hash: location.hash };
    ["text", "area", "edit", "check", "sel", "ftext", "ftext2", "r1", "r2", "r3"].forEach(function (id) { out[id] = state(document.getElementById(id)); });
    return out;
  };
  window.__submits = [];
  TYPES.forEach(function (type) {
    document.addEventListener(type, function (e) {
      var r = { type: type, target: name(e.target), active: name(document.activeElement), defaultPrevented: e.defaultPrevented };
      if (e instanceof KeyboardEvent) {
        r.key = e.key; r.code = e.code; r.keyCode = e.keyCode; r.which = e.which; r.charCode = e.charCode;
        r.location = e.location; r.repeat = e.repeat; r.isComposing = e.isComposing;
      }
      if (e instanceof KeyboardEvent || e instanceof MouseEvent) {
        r.shiftKey = e.shiftKey; r.ctrlKey = e.ctrlKey; r.altKey = e.altKey; r.metaKey = e.metaKey;
      }
      if (e instanceof InputEvent) { r.inputType = e.inputType; r.data = e.data; }
      if (e instanceof MouseEvent) {
        r["class"] = e.constructor.name; r.detail = e.detail; r.button = e.button; r.buttons = e.buttons;
        if (e instanceof PointerEvent) r.pointerType = e.pointerType;
      }
      if (e instanceof FocusEvent) r.relatedTarget = name(e.relatedTarget);
      if (type === "submit") r.submitter = name(e.submitter);
      if (type === "input" || type === "change" || type === "beforeinput") r.eventClass = e.constructor.name;
      var s = state(e.target);
      for (var k in s) r[k] = s[k];
      log.push(r);
    }, true);
    // The forms never leave the page.
    window.addEventListener(type, function (e) {
      if (type === "submit") { window.__submits.push(name(e.target)); e.preventDefault(); }
    });
  });
})();
</script>
"""

PREPARE = r"""async (sel) => {
  // The page as it was loaded: the focus leaves (a changed field fires change), values go back.
  if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  history.replaceState(null, "", location.pathname);
  const reset = ["text", "ftext", "ftext2", "area"].map((id) => {
    const field = document.getElementById(id);
    const value = id === "area" ? "ab\ncd" : "abcd";
    if (field.value === value && field.selectionStart === 0 && field.selectionEnd === 0) return null;
    const selected = new Promise((resolve) => { field.addEventListener("select", resolve, { once: true }); setTimeout(resolve, 1000); });
    field.value = value;
    field.setSelectionRange(0, 0);
    return selected;
  });
  await Promise.all(reset);
  document.getElementById("edit").innerHTML = "abcd";
  document.getElementById("check").checked = false;
  document.getElementById("r1").checked = true;
  document.getElementById("sel").selectedIndex = 0;
  window.__submits.length = 0;
  getSelection().removeAllRanges();
  const el = sel === "body" ? null : document.querySelector(sel);
  if (!el) { if (document.activeElement) document.activeElement.blur(); scrollTo(0, 0); window.__log.length = 0; return; }
  el.focus();
  // setSelectionRange queues a select event: wait for it, so that it is not logged as the key's.
  const selected = new Promise((resolve) => { el.addEventListener("select", resolve, { once: true }); setTimeout(resolve, 1000); });
  if (el.isContentEditable) {
    const r = document.createRange(); r.setStart(el.firstChild, 2); r.collapse(true);
    const s = getSelection(); s.removeAllRanges(); s.addRange(r);
  } else if (el.localName === "textarea") { el.setSelectionRange(4, 4); }
  else if (el.localName === "input" && el.type === "text") { el.setSelectionRange(2, 2); }
  if (el.localName === "textarea" || (el.localName === "input" && el.type === "text")) await selected;
  scrollTo(0, 0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  window.__log.length = 0;
}"""

SETTLE = r"""async () => {
  // Keyboard scrolling is animated (smooth scrolling): wait until scrollY stops changing.
  let last = -1, same = 0;
  for (let i = 0; i < 40 && same < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    if (scrollY === last) same++; else { same = 0; last = scrollY; }
  }
}"""

TARGETS = {
    "input": "#text", "textarea": "#area", "contenteditable": "#edit", "form-input": "#ftext",
    "form-input-no-button": "#ftext2", "button": "#btn", "checkbox": "#check", "select": "#sel", "link": "#link",
    "radio": "#r1", "radio-unchecked": "#r2",
    "body": "body",
}
PUNCTUATION = [".", ",", "/", ";", "'", "-", "=", "[", "]", "\\", "`", "Shift+Minus", "Shift+Quote", "Shift+Slash",
               "Shift+Digit9", "Shift+Backquote"]
TEXT_KEYS = (["a", "Shift+A", "1", "Shift+Digit1", "Space"] + PUNCTUATION +
             ["Enter", "Tab", "Shift+Tab", "Escape", "Backspace", "Delete", "ArrowLeft", "ArrowRight", "ArrowUp",
              "ArrowDown", "Home", "End", "PageUp", "PageDown", "Control+a"])
KEYS_FOR = {
    "input": TEXT_KEYS + ["x then Tab"],
    "textarea": TEXT_KEYS,
    "contenteditable": TEXT_KEYS,
    "form-input": ["a", "Space", "Enter", "Escape", "Tab", "Backspace", "x then Enter"],
    "form-input-no-button": ["Enter"],
    "button": ["Space", "Enter", "Escape", "Tab", "Shift+Tab", "a", "ArrowDown"],
    "checkbox": ["Space", "Enter", "Escape", "Tab", "a"],
    "select": ["ArrowDown", "ArrowUp", "Home", "End", "t", "Space", "Enter", "Escape", "Tab"],
    "link": ["Enter", "Space", "Tab", "Escape"],
    "radio": ["ArrowDown", "ArrowRight", "ArrowUp", "ArrowLeft", "Space", "Enter", "Tab", "Shift+Tab"],
    "radio-unchecked": ["Space", "Tab", "Shift+Tab"],
    "body": ["Space", "PageDown", "ArrowDown", "End", "Escape", "Tab", "Shift+Tab"],
}
CASES = [(key, target) for target, keys in KEYS_FOR.items() for key in keys]

MODIFIERS = ("Shift", "Control", "Alt", "Meta")
# Compared on each event (isTrusted is not: script-made events never are).
FIELDS = ("type", "target", "active", "key", "code", "keyCode", "which", "charCode", "location", "repeat",
          "shiftKey", "ctrlKey", "altKey", "metaKey", "isComposing", "inputType", "data", "defaultPrevented",
          "value", "sel", "checked", "selectedIndex", "html", "submitter", "relatedTarget", "class", "detail",
          "button", "buttons", "pointerType", "eventClass")


def prepare(page, target):
    page.evaluate(PREPARE, TARGETS[target])


def outcome(page, settle=True, expected=0):
    """The events since ``prepare`` and the final state (``settle``: after scrolling stops;
    ``expected``: how many events a real keyboard fired, waited for up to 2 s)."""
    if settle:
        page.evaluate(SETTLE)
    else:
        # What the keys queued (a select event) comes in a later task, later still on a busy
        # machine: wait for as many events as the real keyboard's, then for one more task.
        page.evaluate("""async (expected) => {
          for (let i = 0; i < 100 && __log.length < expected; i++) await new Promise((r) => setTimeout(r, 20));
          await new Promise((resolve) => setTimeout(resolve, 30));
        }""", expected)
    return {"events": page.evaluate("__log.slice()"), "final": page.evaluate("__state()")}


def actions_of(case):
    return [{"kind": "key", "key": event["key"], "shiftKey": event["shiftKey"], "ctrlKey": event["ctrlKey"],
             "altKey": event["altKey"], "metaKey": event["metaKey"]}
            for event in case["events"] if event["type"] == "keydown" and event["key"] not in MODIFIERS]


def _tag(event):
    return "%s@%s" % (event["type"], event["target"]) + ("(%r)" % event["key"] if "key" in event else "")


def _select_events(outcome):
    return sorted(event["target"] for event in outcome["events"] if event["type"] == "select")


def differences(real, ours):
    """Every difference, as lines. ``select`` events are compared by target only: the browser
    fires them from a task of their own, which a real key's keyup (a separate input) may come
    before or after."""
    lines = []
    if _select_events(real) != _select_events(ours):
        lines.append("select events on %s, ours on %s" % (_select_events(real), _select_events(ours)))
    real = dict(real, events=[event for event in real["events"] if event["type"] != "select"])
    ours = dict(ours, events=[event for event in ours["events"] if event["type"] != "select"])
    want = [_tag(event) for event in real["events"]]
    got = [_tag(event) for event in ours["events"]]
    matcher = difflib.SequenceMatcher(a=want, b=got, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for one, other in zip(real["events"][i1:i2], ours["events"][j1:j2]):
                bad = ["%s %s, ours %s" % (field, json.dumps(one.get(field)), json.dumps(other.get(field)))
                       for field in FIELDS if one.get(field) != other.get(field)]
                if bad:
                    lines.append("%s: %s" % (_tag(one), "; ".join(bad)))
        if op in ("delete", "replace"):
            lines.append("missing: " + ", ".join(want[i1:i2]))
        if op in ("insert", "replace"):
            lines.append("extra: " + ", ".join(got[j1:j2]))
    for name in sorted(set(real["final"]) | set(ours["final"])):
        if real["final"].get(name) != ours["final"].get(name):
            lines.append("final %s: %s, ours %s" % (name, json.dumps(real["final"].get(name)),
                                                    json.dumps(ours["final"].get(name))))
    return lines
