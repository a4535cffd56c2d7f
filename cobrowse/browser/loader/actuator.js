/*!
 * actuator.js: remote control's hands (Cobrowse._control). Python decides whether an agent's
 * action may run (cobrowse/core/control.py: consent, the element, the visitor's own input); these
 * functions only describe the target (inspect) and then act on it the way a person's input would
 * (perform), so that the page's framework notices: the full pointer sequence, values set through
 * the prototype's setter followed by a bubbling input event, keyCode/which for old code, and
 * Enter submitting forms through requestSubmit, since script-made events have no default action.
 */

import { WIDGET_ID } from "./shared.js";

const WIDGET = "#" + WIDGET_ID;
const FOCUSABLE = "a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]";
const TEXT_TYPES = /^(text|search|email|url|tel|number|)$/;
const KEY_CODES = { Enter: 13, Tab: 9, Escape: 27, Backspace: 8, Delete: 46, ArrowLeft: 37, ArrowUp: 38,
  ArrowRight: 39, ArrowDown: 40, Home: 36, End: 35 };
// What is under way: when the visitor last used the page, the element inspect() found, the field
// the agent typed into (its change event is due) and the element drawing the agent's pointer.
const steer = { visitorAt: 0, target: null, dirty: null, pointer: null };

// The visitor's own input (trusted events only: the agent's are script-made) holds agents off.
function watchTheVisitor() {
  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"].forEach((type) => {
    window.addEventListener(type, (event) => {
      // Input on the widget itself (Allow, Stop control) is not the visitor using the page.
      if (event.isTrusted && !(event.target && event.target.id === WIDGET_ID)) steer.visitorAt = Date.now();
    }, { capture: true, passive: true });
  });
}

// The focused element, inside open shadow roots and same-origin frames too.
function deepActive() {
  let element = document.activeElement;
  for (;;) {
    if (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    else if (element && element.localName === "iframe" && frameDocument(element) && frameDocument(element).activeElement) {
      element = frameDocument(element).activeElement;
    } else break;
  }
  return element || document.body;
}

function frameDocument(frame) {
  try {
    return frame.contentDocument;
  } catch (error) {
    return null;
  }
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

function isEditable(element) {
  if (element.isContentEditable) return true;
  if (element.disabled || element.readOnly) return false;
  if (element.localName === "textarea") return true;
  return element.localName === "input" && TEXT_TYPES.test((element.getAttribute("type") || "").toLowerCase());
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
    editable: isEditable(element),
    link: link ? String(link.href && link.href.baseVal !== undefined ? new URL(link.href.baseVal, document.baseURI) : link.href) : null,
    visitorIdleMs: Date.now() - steer.visitorAt,
  };
}

function fire(target, type, init, Kind) {
  const options = Object.assign({ bubbles: true, cancelable: true, composed: true, view: window }, init);
  const event = new (Kind || MouseEvent)(type, options);
  if (options.keyCode !== undefined) {
    // Chromium ignores keyCode and which in the init dictionary; old code still reads them.
    Object.defineProperty(event, "keyCode", { value: options.keyCode });
    Object.defineProperty(event, "which", { value: options.keyCode });
    Object.defineProperty(event, "charCode", { value: options.charCode || 0 });
  }
  return target.dispatchEvent(event);
}

// A field the agent typed into gets its change event when the agent moves on, as a person's.
function settle(next) {
  if (steer.dirty && steer.dirty !== next) {
    const field = steer.dirty;
    steer.dirty = null;
    fire(field, "change", {}, Event);
  }
}

function focusOn(element) {
  const focusable = element.closest(FOCUSABLE);
  settle(focusable);
  if (focusable) focusable.focus({ preventScroll: true });
  else if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
}

function pointerInit(action, buttons, detail) {
  return { clientX: action.x, clientY: action.y, screenX: action.x, screenY: action.y, button: 0, buttons: buttons,
    detail: detail, pointerId: 1, pointerType: "mouse", isPrimary: true };
}

function click(element, action, detail) {
  fire(element, "pointerover", pointerInit(action, 0, 0), PointerEvent);
  fire(element, "mouseover", pointerInit(action, 0, 0));
  const down = fire(element, "pointerdown", pointerInit(action, 1, detail), PointerEvent);
  if (fire(element, "mousedown", pointerInit(action, 1, detail)) && down) focusOn(element);
  fire(element, "pointerup", pointerInit(action, 0, detail), PointerEvent);
  fire(element, "mouseup", pointerInit(action, 0, detail));
  // A click event runs the element's activation behaviour: links, checkboxes, radios, buttons.
  fire(element, "click", pointerInit(action, 0, detail));
}

function setValue(field, value, caret) {
  const proto = field.localName === "textarea" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, "value").set.call(field, value);
  try { field.setSelectionRange(caret, caret); } catch (error) { /* number and email have no caret */ }
}

function edit(field, inputType, data) {
  if (!fire(field, "beforeinput", { inputType: inputType, data: data }, InputEvent)) return;
  if (field.isContentEditable) {
    document.execCommand(inputType === "insertText" ? "insertText" : inputType === "insertLineBreak" ? "insertLineBreak" : "delete", false, data);
    return;
  }
  const value = field.value;
  let start = field.selectionStart === null ? value.length : field.selectionStart;
  let end = field.selectionEnd === null ? value.length : field.selectionEnd;
  if (inputType === "deleteContentBackward" && start === end) start = Math.max(0, start - 1);
  if (inputType === "deleteContentForward" && start === end) end = Math.min(value.length, end + 1);
  const text = data || "";
  setValue(field, value.slice(0, start) + text + value.slice(end), start + text.length);
  steer.dirty = field;
  fire(field, "input", { inputType: inputType, data: data }, InputEvent);
}

function moveFocus(back) {
  const all = Array.prototype.filter.call(document.querySelectorAll(FOCUSABLE), (element) =>
    element.tabIndex >= 0 && !element.disabled && element.getClientRects().length && !element.closest(WIDGET));
  const at = all.indexOf(deepActive());
  const next = back ? all[at <= 0 ? all.length - 1 : at - 1] : all[(at + 1) % all.length];
  if (next) { settle(next); next.focus(); }
}

function enter(element) {
  if (element.localName === "textarea" || element.isContentEditable) {
    return edit(element, element.isContentEditable ? "insertLineBreak" : "insertText", element.isContentEditable ? null : "\n");
  }
  if (element.localName === "input" && element.form) {
    settle(null);
    const form = element.form;
    const submitter = form.querySelector("button:not([type]), button[type=submit], input[type=submit], input[type=image]");
    if (submitter && submitter.disabled) return;
    form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
  } else if (/^(a|button|summary)$/.test(element.localName) || element.getAttribute("role") === "button") {
    element.click();
  }
}

// What a key does once its keydown was not cancelled: type, submit, move the focus or the caret.
function keyDefault(element, action, init) {
  const key = action.key;
  if (key.length === 1) {
    init.keyCode = init.charCode = key.charCodeAt(0);
    if (fire(element, "keypress", init, KeyboardEvent) && !action.ctrlKey && !action.metaKey) edit(element, "insertText", key);
  } else if (key === "Enter") {
    enter(element);
  } else if (key === "Tab") {
    moveFocus(action.shiftKey);
  } else if (key === "Backspace" || key === "Delete") {
    if (isEditable(element)) edit(element, key === "Backspace" ? "deleteContentBackward" : "deleteContentForward", null);
  } else if (/^(ArrowLeft|ArrowRight|Home|End)$/.test(key) && element.setSelectionRange && element.selectionStart !== null) {
    let caret = key === "Home" ? 0 : key === "End" ? element.value.length :
      element.selectionStart + (key === "ArrowLeft" ? -1 : 1);
    caret = Math.max(0, Math.min(element.value.length, caret));
    element.setSelectionRange(caret, caret);
  }
}

function press(element, action) {
  const key = action.key;
  const printable = key.length === 1;
  const keyCode = printable ? key.toUpperCase().charCodeAt(0) : KEY_CODES[key];
  const init = { key: key, code: printable ? "" : key, shiftKey: action.shiftKey, ctrlKey: action.ctrlKey,
    altKey: action.altKey, metaKey: action.metaKey, keyCode: keyCode, charCode: 0 };
  if (fire(element, "keydown", init, KeyboardEvent)) keyDefault(element, action, init);
  init.keyCode = keyCode;
  init.charCode = 0;
  fire(element, "keyup", init, KeyboardEvent);
}

function scrollable(element, dx, dy) {
  for (let node = element; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
    const style = getComputedStyle(node);
    if ((dy && /(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) ||
        (dx && /(auto|scroll)/.test(style.overflowX) && node.scrollWidth > node.clientWidth)) return node;
  }
  return null;
}

// Performs one action that Python allowed on the element inspect() found.
function act(element, action, isPrivate) {
  if (action.kind === "move") {
    if (steer.pointer) steer.pointer.style.transform = "translate(" + action.x + "px, " + action.y + "px)";
    // The pointer is drawn anywhere; the page hears it only where agents may act.
    const shown = element && facts(element, isPrivate);
    if (shown && !shown.private && !shown.noControl) fire(element, "mousemove", pointerInit(action, 0, 0));
    return;
  }
  if (!element) return;
  if (action.kind === "click") click(element, action, 1);
  // The clicks of a double click come as clicks of their own: only the dblclick is left.
  else if (action.kind === "dblclick") fire(element, "dblclick", pointerInit(action, 0, 2));
  else if (action.kind === "key") press(element, action);
  else if (action.kind === "choose" && action.index < element.options.length) {
    focusOn(element);
    element.selectedIndex = action.index;
    fire(element, "input", {}, Event);
    fire(element, "change", {}, Event);
  } else if (action.kind === "wheel") {
    if (fire(element, "wheel", Object.assign(pointerInit(action, 0, 0), { deltaX: action.dx, deltaY: action.dy, deltaMode: 0 }), WheelEvent)) {
      const box = scrollable(element, action.dx, action.dy);
      (box || window).scrollBy(action.dx, action.dy);
    }
  }
}

// Cobrowse._control, which Python drives; it starts watching the visitor's own input at once.
export function createActuator(isPrivate) {
  watchTheVisitor();
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
