/*!
 * actuator.js: remote control's hands (Cobrowse._control). Python decides whether an agent's
 * action may run (cobrowse/core/control.py: consent, the element, the visitor's own input); these
 * functions only describe the target (inspect) and then act on it the way a person's input would
 * (perform), so that the page's framework notices: pointer input as the visitor's device makes
 * it (a mouse's or a finger's, in pointer.js), and keys as Chromium presses them in keyboard.js (script-made events have no default action, so the
 * actuator does each key's default action itself).
 */

import { deepActive, fire } from "./dispatch.js";
import { watchEdits } from "./editing.js";
import { press } from "./keyboard.js";
import { click, dblclick, focusOn, hover, wheel } from "./pointer.js";
import { WIDGET_ID } from "./shared.js";

const WIDGET = "#" + WIDGET_ID;
// What is under way: when the visitor last used the page, the element inspect() found and the
// element drawing the agent's pointer.
const steer = { visitorAt: 0, target: null, pointer: null };

// The visitor's own input (trusted events only: the agent's are script-made) holds agents off.
function watchTheVisitor() {
  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"].forEach((type) => {
    window.addEventListener(type, (event) => {
      // Input on the widget itself (Allow, Stop control) is not the visitor using the page.
      if (event.isTrusted && !(event.target && event.target.id === WIDGET_ID)) steer.visitorAt = Date.now();
    }, { capture: true, passive: true });
  });
}

function targetOf(action) {
  if (action.kind === "key") return deepActive();
  let node = null;
  if (action.id >= 0) {
    node = window.rrweb && window.rrweb.record ? window.rrweb.record.mirror.getNode(action.id) : null;
  } else {
    node = document.elementFromPoint(action.x, action.y);
  }
  if (node && node.nodeType === 3) node = node.parentNode;
  return node && node.nodeType === 1 && node.isConnected ? node : null;
}

function facts(element, isPrivate) {
  if (!element) return { found: false, visitorIdleMs: Date.now() - steer.visitorAt };
  const link = element.closest("a[href], area[href]");
  return {
    found: true,
    tag: element.localName,
    type: (element.getAttribute("type") || "").toLowerCase(),
    private: isPrivate(element),
    noControl: !!element.closest("[data-cobrowse-no-control], " + WIDGET),
    link: link ? String(link.href && link.href.baseVal !== undefined ? new URL(link.href.baseVal, document.baseURI) : link.href) : null,
    visitorIdleMs: Date.now() - steer.visitorAt,
  };
}

// Performs one action that Python allowed on the element inspect() found.
function act(element, action, isPrivate) {
  if (action.kind === "move") {
    if (steer.pointer) steer.pointer.style.transform = "translate(" + action.x + "px, " + action.y + "px)";
    // The pointer is drawn anywhere; the page hears it only where agents may act.
    const shown = element && facts(element, isPrivate);
    if (shown && !shown.private && !shown.noControl) hover(element, action);
    return;
  }
  if (!element) return;
  if (action.kind === "click") click(element, action);
  else if (action.kind === "dblclick") dblclick(element, action);
  else if (action.kind === "key") press(action, (candidate) => !!candidate.closest(WIDGET));
  else if (action.kind === "choose" && action.index < element.options.length) {
    focusOn(element);
    element.selectedIndex = action.index;
    fire(element, "input", {}, Event);
    fire(element, "change", {}, Event);
  } else if (action.kind === "wheel") {
    wheel(element, action);
  }
}

// Cobrowse._control, which Python drives; it starts watching the visitor's own input at once.
export function createActuator(isPrivate) {
  watchTheVisitor();
  watchEdits();
  return {
    // Facts about the element an action (JSON) is for, as JSON, for Python to decide on.
    inspect(actionJson) {
      const action = JSON.parse(actionJson);
      steer.target = targetOf(action);
      return JSON.stringify(facts(steer.target, isPrivate));
    },
    // Perform the action (JSON) that Python allowed on the element inspect() found.
    perform(actionJson) {
      const action = JSON.parse(actionJson);
      const element = steer.target;
      steer.target = null;
      act(element, action, isPrivate);
    },
    // The element that shows the agent's pointer (in the widget's shadow root), or null.
    pointer(element) { steer.pointer = element || null; },
  };
}
