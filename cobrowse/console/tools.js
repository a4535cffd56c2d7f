/*
 * tools.js: the agent's tools over the replay (docs/protocol.md, "Agent tools"). The "Agent tool"
 * radio group: View (nothing reaches the visitor's page), Point (the default: the agent's pointer
 * and a "look here" ring on a click) and Draw (freehand strokes), with Clear drawings; remote
 * control's button stands beside it. What the page allows and the visitor's switch come with each
 * session broadcast (`tools`); the server refuses anything else anyway.
 *
 * Pointer moves and strokes are aimed like remote control's actions, at the replayed element's
 * rrweb node id, with the offset inside it; they are coalesced to TOOLS_PER_SECOND messages a
 * second: the latest position waits for the next slot.
 *
 * Exports installTools(link), showTools(session, agentId) (each session broadcast), drawn(message)
 * and cleared(message) (the server's `draw` and `cleared`), resetTools() (the session is left).
 */

import { AGENT_COLOURS, TOOLS_PER_SECOND } from "./shared.js";
import { aim } from "./control.js";
import { page, say } from "./page.js";
import { clearStrokes, keepStroke, nodeBox } from "./sketch.js";

const { toolGroup, clearButton, controlButton, toolsNote, toolSurface, surface, liveSection } = page;
const SLOT_MS = 1000 / TOOLS_PER_SECOND;
const MAX_POINTS = 1000;
const OFF_TEXT = "The visitor turned pointing off.";

let link = null;
let tool = "point";
let usable = ["point", "draw", "control"];
let colour = AGENT_COLOURS[0];
// The coalescing: when the last message went, the one waiting for the next slot, its timer.
let lastSent = 0;
let waiting = null;
let slotTimer = 0;
// The stroke being drawn, or null.
let stroke = null;
let strokesDrawn = 0;

function radios() {
  return Array.from(toolGroup.querySelectorAll('[role="radio"]')).filter((radio) => !radio.hidden);
}

function send(kind, fields) {
  waiting = { kind: kind, fields: fields };
  const wait = lastSent + SLOT_MS - Date.now();
  if (wait <= 0) {
    flush();
  } else if (!slotTimer) {
    slotTimer = setTimeout(flush, wait);
  }
}

function flush() {
  clearTimeout(slotTimer);
  slotTimer = 0;
  if (waiting) {
    const { kind, fields } = waiting;
    waiting = null;
    lastSent = Date.now();
    link.send(kind, fields);
  }
}

// The agent's pointer over the replay as a node id and the offset inside that element.
function target(event) {
  const at = aim(event);
  if (!at) {
    return null;
  }
  const box = at.id >= 0 ? nodeBox(at.id) : null;
  return box ? { id: at.id, x: at.x - box.left, y: at.y - box.top } : { id: -1, x: at.x, y: at.y };
}

function choose(name, focus) {
  if (!usable.includes(name) && name !== "view") {
    return;
  }
  if (tool === "point" && name !== "point" && usable.includes("point")) {
    send("point", {}); // The pointer leaves the visitor's page.
  }
  if (name !== tool) {
    finishStroke();
  }
  tool = name;
  radios().forEach((radio) => {
    const checked = radio.dataset.tool === name;
    radio.setAttribute("aria-checked", String(checked));
    radio.tabIndex = checked ? 0 : -1;
    if (checked && focus) {
      radio.focus();
    }
  });
  placeSurface();
}

function placeSurface() {
  toolSurface.hidden = tool === "view" || liveSection.hidden || !surface.hidden;
  toolSurface.classList.toggle("drawing", tool === "draw");
}

function startStroke(event) {
  const at = target(event);
  if (!at) {
    return;
  }
  strokesDrawn += 1;
  const id = (link.agentId || "agent").slice(0, 8) + "-" + Date.now().toString(36) + "-" + strokesDrawn;
  stroke = { id: id, node: at.id, points: [at.x, at.y], done: false };
}

function extendStroke(event) {
  const at = target(event);
  if (!stroke || !at) {
    return;
  }
  // Points are offsets inside the stroke's first element.
  const box = stroke.node >= 0 ? nodeBox(stroke.node) : { left: 0, top: 0 };
  const here = at.id === stroke.node ? at : { x: at.x + (nodeBox(at.id) || box).left - box.left,
    y: at.y + (nodeBox(at.id) || box).top - box.top };
  stroke.points.push(Math.round(here.x), Math.round(here.y));
  sendStroke();
  if (stroke.points.length >= 2 * MAX_POINTS) {
    finishStroke();
  }
}

function sendStroke() {
  const shape = { id: stroke.id, node: stroke.node, points: stroke.points.slice(), done: stroke.done };
  keepStroke({ color: colour, stroke: shape });
  send("draw", { stroke: shape });
}

function finishStroke() {
  if (stroke) {
    if (stroke.points.length === 2) {
      stroke.points.push(stroke.points[0] + 1, stroke.points[1] + 1); // A dot.
    }
    stroke.done = true;
    sendStroke();
    flush();
    stroke = null;
  }
}

function listenToTheSurface() {
  toolSurface.addEventListener("mousemove", (event) => {
    if (tool === "point") {
      const at = target(event);
      if (at) {
        send("point", { at: at });
      }
    } else if (stroke && event.buttons & 1) {
      extendStroke(event);
    }
  });
  toolSurface.addEventListener("mouseleave", () => {
    if (tool === "point") {
      send("point", {});
    }
    finishStroke();
  });
  toolSurface.addEventListener("mousedown", (event) => {
    event.preventDefault();
    if (tool === "draw" && event.button === 0) {
      startStroke(event);
    }
  });
  toolSurface.addEventListener("mouseup", finishStroke);
  toolSurface.addEventListener("click", (event) => {
    const at = tool === "point" ? target(event) : null;
    if (at) {
      send("point", { at: Object.assign(at, { ring: true }) });
      flush();
    }
  });
}

// The ARIA radio group: arrows move the choice (and the focus) round the group.
function onGroupKey(event) {
  const items = radios().filter((radio) => radio.getAttribute("aria-disabled") !== "true");
  const at = items.indexOf(document.activeElement);
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  if (at === -1) {
    return;
  }
  if (step) {
    event.preventDefault();
    choose(items[(at + step + items.length) % items.length].dataset.tool, true);
  } else if (event.key === " " || event.key === "Enter") {
    event.preventDefault();
    choose(items[at].dataset.tool, true);
  }
}

export function showTools(session, agentId) {
  const tools = session.tools || { allowed: usable, on: true, usable: usable };
  usable = tools.usable || [];
  const agents = session.agents || [];
  const place = agents.findIndex((agent) => agent.id === agentId);
  colour = AGENT_COLOURS[Math.max(0, place) % AGENT_COLOURS.length];
  toolGroup.querySelectorAll('[role="radio"]').forEach((radio) => {
    const name = radio.dataset.tool;
    radio.hidden = name !== "view" && !tools.allowed.includes(name);
    radio.setAttribute("aria-disabled", String(name !== "view" && !usable.includes(name)));
  });
  clearButton.hidden = !tools.allowed.includes("draw");
  controlButton.hidden = !tools.allowed.includes("control");
  const off = tools.on === false && (tools.allowed.includes("point") || tools.allowed.includes("draw"));
  say(toolsNote, off ? OFF_TEXT : "");
  if (tool !== "view" && !usable.includes(tool)) {
    choose("view");
  } else {
    choose(tool);
  }
}

export function drawn(message) {
  keepStroke(message);
}

export function cleared(message) {
  clearStrokes();
  if (toolsNote.textContent !== OFF_TEXT) {
    say(toolsNote, String(message.name) + " cleared the drawings.");
  }
}

export function resetTools() {
  stroke = null;
  waiting = null;
  clearStrokes();
  tool = "point";
  say(toolsNote, "");
  placeSurface();
}

export function installTools(agentLink) {
  link = agentLink;
  toolGroup.addEventListener("click", (event) => {
    const radio = event.target.closest('[role="radio"]');
    if (radio && radio.getAttribute("aria-disabled") !== "true") {
      choose(radio.dataset.tool, true);
    }
  });
  toolGroup.addEventListener("keydown", onGroupKey);
  clearButton.addEventListener("click", () => {
    clearStrokes();
    link.send("clear");
  });
  listenToTheSurface();
  // The surface is shown with the replay and hidden under remote control's.
  new MutationObserver(placeSurface).observe(liveSection, { attributes: true, attributeFilter: ["hidden"] });
  new MutationObserver(placeSurface).observe(surface, { attributes: true, attributeFilter: ["hidden"] });
}
