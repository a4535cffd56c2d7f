/*
 * control.js: remote control, with the visitor's consent. Clicks, typing, the wheel and choices
 * on the replay are sent as actions (docs/protocol.md, "Remote control"), aimed at the replayed
 * element's rrweb node id; the visitor's browser decides whether to perform them.
 *
 * Exports installControl(link) (once, at start), aim(event) (the replayed element under the
 * agent's pointer, which the agent tools aim at too) and showControl(record): the session's control
 * record as the server has it, {agent, name, state: "asking" | "granted"}, or null.
 */

import { GRANTED, NAMED_KEYS } from "./shared.js";
import { page, say } from "./page.js";
import { replayer } from "./replay.js";

const { controlButton, controlNote, statusBox, replayBox, surface, chooser } = page;
const MOVE_EVERY_MS = 40;

let link = null;

// The session's control record, as showControl last had it.
let control = null;
let lastMove = 0;

function controlling() {
  return !!control && control.agent === link.agentId && control.state === GRANTED;
}

export function showControl(record) {
  control = record;
  const mine = !!record && record.agent === link.agentId;
  controlButton.textContent = mine && record.state === GRANTED ? "Release control" : "Request control";
  controlButton.disabled = !!record && !(mine && record.state === GRANTED);
  if (!record) {
    say(controlNote, "");
  } else if (mine) {
    say(controlNote, record.state === GRANTED
      ? "You control the visitor's page: click, type and scroll in it."
      : "Waiting for the visitor to allow control…");
  } else {
    say(controlNote, record.state === GRANTED
      ? (record.name || "Another agent") + " controls the visitor's page."
      : (record.name || "Another agent") + " asked the visitor for control.");
  }
  const active = controlling();
  surface.hidden = !active;
  replayBox.classList.toggle("controlled", active);
  if (!active) {
    closeChooser();
  }
}

function toggleControl() {
  say(statusBox, "");
  link.send(controlling() ? "release_control" : "request_control");
  if (!controlling()) {
    controlButton.disabled = true;
  }
}

function act(action) {
  if (controlling()) {
    link.send("act", { action: action });
  }
}

// What the audit trail names an action's target by: a short CSS-like path of the replayed
// element (tags, ids, first classes: never its text or value).
function elementPath(node) {
  const parts = [];
  const name = /^[A-Za-z][\w-]{0,39}$/;
  for (let el = node; el && el.nodeType === 1 && parts.length < 4; el = el.parentElement) {
    const id = name.test(el.id || "") ? "#" + el.id : "";
    const first = el.classList && el.classList[0];
    parts.unshift(el.localName + id + (name.test(first || "") ? "." + first : ""));
    if (id) break;
  }
  return parts.join(" > ");
}

// The replayed element at a point of a replayed document's viewport, inside its same-origin frames
// too (the replay's frames are the visitor's, rebuilt).
function elementAt(doc, x, y) {
  let node = doc ? doc.elementFromPoint(x, y) : null;
  while (node && node.nodeName === "IFRAME" && node.contentDocument) {
    const box = node.getBoundingClientRect();
    const inner = node.contentDocument.elementFromPoint(x - box.left - node.clientLeft, y - box.top - node.clientTop);
    if (!inner) break;
    [node, x, y] = [inner, x - box.left - node.clientLeft, y - box.top - node.clientTop];
  }
  return node;
}

// The point of the visitor's viewport under the agent's pointer, and the replayed element there.
export function aim(event) {
  const shown = replayer();
  if (!shown || !shown.iframe) {
    return null;
  }
  const frame = shown.iframe;
  const rect = frame.getBoundingClientRect();
  const scale = frame.offsetWidth ? rect.width / frame.offsetWidth : 1;
  const x = Math.round((event.clientX - rect.left) / scale);
  const y = Math.round((event.clientY - rect.top) / scale);
  const node = elementAt(frame.contentDocument, x, y);
  const id = node ? shown.getMirror().getId(node) : -1;
  return { id: typeof id === "number" && id >= 0 ? id : -1, x: x, y: y, node: node, scale: scale, rect: rect,
    path: node ? elementPath(node) : undefined };
}

// A <select> on the visitor's page is chosen from a copy of its options, over the replayed one.
function openChooser(at) {
  const options = Array.from(at.node.options || []).map((option, index) => {
    const copy = document.createElement("option");
    copy.value = String(index);
    copy.textContent = option.textContent;
    return copy;
  });
  if (!options.length) {
    return;
  }
  chooser.replaceChildren(...options);
  chooser.size = Math.min(8, Math.max(2, options.length));
  chooser.selectedIndex = Math.max(0, at.node.selectedIndex);
  chooser.dataset.target = String(at.id);
  chooser.dataset.path = at.path || "";
  const box = at.node.getBoundingClientRect();
  const home = replayBox.getBoundingClientRect();
  const frame = at.rect;
  chooser.style.left = frame.left - home.left + box.left * at.scale + "px";
  chooser.style.top = frame.top - home.top + box.bottom * at.scale + "px";
  chooser.hidden = false;
  chooser.focus();
}

function closeChooser() {
  if (!chooser.hidden) {
    chooser.hidden = true;
    if (document.activeElement === chooser && !surface.hidden) {
      surface.focus({ preventScroll: true });
    }
  }
}

function choose() {
  act({ kind: "choose", id: Number(chooser.dataset.target), index: chooser.selectedIndex, path: chooser.dataset.path });
  closeChooser();
}

// The agent's mouse on the control surface over the replay: moves, clicks and the wheel.
function listenToThePointer() {
  surface.addEventListener("mousemove", (event) => {
    const now = Date.now();
    if (now - lastMove < MOVE_EVERY_MS) {
      return;
    }
    lastMove = now;
    const at = aim(event);
    if (at) {
      act({ kind: "move", id: at.id, x: at.x, y: at.y });
    }
  });

  surface.addEventListener("mousedown", (event) => {
    // The surface takes the focus, so that the agent's keys go to the visitor's page; the console
    // must not scroll to it meanwhile, or the click that follows lands elsewhere.
    event.preventDefault();
    surface.focus({ preventScroll: true });
  });

  surface.addEventListener("click", (event) => {
    const at = aim(event);
    if (!at) {
      return;
    }
    act({ kind: "click", id: at.id, x: at.x, y: at.y, path: at.path });
    if (at.node && at.node.localName === "select" && at.id >= 0) {
      openChooser(at);
    }
  });

  surface.addEventListener("dblclick", (event) => {
    const at = aim(event);
    if (at) {
      act({ kind: "dblclick", id: at.id, x: at.x, y: at.y, path: at.path });
    }
  });

  surface.addEventListener("wheel", (event) => {
    event.preventDefault();
    const at = aim(event);
    if (at) {
      const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
      act({ kind: "wheel", id: at.id, x: at.x, y: at.y, dx: Math.round(event.deltaX * unit), dy: Math.round(event.deltaY * unit), path: at.path });
    }
  }, { passive: false });
}

export function installControl(agentLink) {
  link = agentLink;
  controlButton.addEventListener("click", toggleControl);
  listenToThePointer();

  surface.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && event.shiftKey) {
      // Tab and Escape go to the visitor's page; Shift+Escape leaves it for the console's buttons.
      event.preventDefault();
      controlButton.focus();
      return;
    }
    if (event.key.length !== 1 && !NAMED_KEYS.includes(event.key)) {
      return;
    }
    event.preventDefault();
    act({
      kind: "key", key: event.key, shiftKey: event.shiftKey, ctrlKey: event.ctrlKey, altKey: event.altKey,
      metaKey: event.metaKey,
    });
  });

  chooser.addEventListener("click", choose);
  chooser.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      choose();
    } else if (event.key === "Escape") {
      event.preventDefault();
      closeChooser();
    }
  });
  chooser.addEventListener("blur", closeChooser);
}
