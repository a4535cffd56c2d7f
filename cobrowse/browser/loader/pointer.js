/*!
 * pointer.js: an agent's pointer on the visitor's page, made of the events the visitor's own
 * device would make. click(element, action) is a mouse's sequence (pointer and mouse events,
 * the focus, then click) or, on a touch-first device (a phone: `pointer: coarse`), a finger's
 * tap as Chromium makes it: pointer events of type touch, touchstart and touchend, then the
 * mouse events the browser makes for a tap and the click; a cancelled touchstart or touchend
 * leaves those out, as in the browser. hover(element, action) is the agent's pointer moving
 * over element (a mousemove; a finger does not hover). dblclick(element, action) and
 * wheel(element, action) fire one event each, and a wheel that was not cancelled scrolls.
 * focusOn(element) gives the focus to what a press on element focuses (or takes it away).
 */

import { fire } from "./dispatch.js";
import { FOCUSABLE } from "./focus.js";

export function focusOn(element) {
  const focusable = element.closest(FOCUSABLE);
  if (focusable) focusable.focus({ preventScroll: true });
  else if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
}

function pointerInit(action, buttons, detail, pointerType) {
  return { clientX: action.x, clientY: action.y, screenX: action.x, screenY: action.y, button: 0, buttons: buttons,
    detail: detail, pointerId: pointerType === "touch" ? 2 : 1, pointerType: pointerType || "mouse", isPrimary: true };
}

function touchInit(element, action, down) {
  const touch = new Touch({ identifier: 2, target: element, clientX: action.x, clientY: action.y, screenX: action.x,
    screenY: action.y, pageX: action.x + window.scrollX, pageY: action.y + window.scrollY, radiusX: 1, radiusY: 1 });
  return { touches: down ? [touch] : [], targetTouches: down ? [touch] : [], changedTouches: [touch] };
}

function onTouchDevice() {
  return typeof Touch === "function" && window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
}

function tap(element, action) {
  fire(element, "pointerover", pointerInit(action, 0, 0, "touch"), PointerEvent);
  const down = fire(element, "pointerdown", pointerInit(action, 1, 0, "touch"), PointerEvent);
  const started = fire(element, "touchstart", touchInit(element, action, true), TouchEvent);
  fire(element, "pointerup", pointerInit(action, 0, 0, "touch"), PointerEvent);
  fire(element, "pointerout", pointerInit(action, 0, 0, "touch"), PointerEvent);
  const ended = fire(element, "touchend", touchInit(element, action, false), TouchEvent);
  if (!started || !ended) return;
  // The mouse events the browser makes for a tap (none after a cancelled pointerdown), then its click.
  if (down) {
    fire(element, "mouseover", pointerInit(action, 0, 0));
    fire(element, "mousemove", pointerInit(action, 0, 0));
    if (fire(element, "mousedown", pointerInit(action, 1, 1))) focusOn(element);
    fire(element, "mouseup", pointerInit(action, 0, 1));
  }
  fire(element, "click", pointerInit(action, 0, 1, "touch"), PointerEvent);
}

export function click(element, action) {
  if (onTouchDevice()) {
    tap(element, action);
    return;
  }
  fire(element, "pointerover", pointerInit(action, 0, 0), PointerEvent);
  fire(element, "mouseover", pointerInit(action, 0, 0));
  const down = fire(element, "pointerdown", pointerInit(action, 1, 1), PointerEvent);
  if (fire(element, "mousedown", pointerInit(action, 1, 1)) && down) focusOn(element);
  fire(element, "pointerup", pointerInit(action, 0, 1), PointerEvent);
  fire(element, "mouseup", pointerInit(action, 0, 1));
  // A click event runs the element's activation behaviour: links, checkboxes, radios, buttons.
  fire(element, "click", pointerInit(action, 0, 1));
}

// The agent's pointer moving over element: a mouse's mousemove; a finger does not hover.
export function hover(element, action) {
  if (!onTouchDevice()) fire(element, "mousemove", pointerInit(action, 0, 0));
}

// The clicks of a double click come as clicks of their own: only the dblclick is left.
export function dblclick(element, action) {
  fire(element, "dblclick", pointerInit(action, 0, 2));
}

function scrollable(element, dx, dy) {
  for (let node = element; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
    const style = getComputedStyle(node);
    if ((dy && /(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) ||
        (dx && /(auto|scroll)/.test(style.overflowX) && node.scrollWidth > node.clientWidth)) return node;
  }
  return null;
}

export function wheel(element, action) {
  if (fire(element, "wheel", Object.assign(pointerInit(action, 0, 0), { deltaX: action.dx, deltaY: action.dy, deltaMode: 0 }), WheelEvent)) {
    const box = scrollable(element, action.dx, action.dy);
    (box || window).scrollBy(action.dx, action.dy);
  }
}
