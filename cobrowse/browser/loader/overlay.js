/*!
 * overlay.js: the agents' pointers, "look here" rings and strokes on the visitor's page
 * (Cobrowse._overlay), drawn as Python says (cobrowse/browser/tools.py).
 *
 * Everything is drawn in a layer of the widget's shadow root (#cobrowse-widget, which the live
 * view never records), with pointer-events: none, so it changes nothing of the page's DOM and
 * never takes the visitor's clicks. Agents aim at an element by its rrweb node id and an offset
 * inside it, so a pointer or a stroke lands on the same element whatever the visitor's window
 * size, scroll or reflow: the element is found through rrweb's record mirror. Pointers are fixed
 * to the window (and follow the element when the page scrolls); strokes are in the document, and
 * scroll with it. A pointer still for POINTER_STILL_MS hides.
 *
 * Exports createOverlay(): {point(json), draw(json), clear(everything)}, each message the
 * server's `point` or `draw` (docs/protocol.md, "Agent tools") as JSON text.
 */

import { POINTER_STILL_MS, WIDGET_ID } from "./shared.js";

const SVG = "http://www.w3.org/2000/svg";
const RING_MS = 1200;
// A label nearer than this to the window's right edge flips to the pointer's left.
const LABEL_ROOM = 160;

const STYLE = `
.cobrowse-overlay { position: absolute; left: 0; top: 0; width: 0; height: 0; overflow: visible;
  pointer-events: none; z-index: 2147483646; }
.cobrowse-strokes { position: absolute; left: 0; top: 0; width: 1px; height: 1px; overflow: visible; }
.cobrowse-pointers { position: fixed; inset: 0; pointer-events: none; z-index: 2147483646; overflow: hidden; }
.cobrowse-pointer { position: absolute; left: 0; top: 0; font: 12px/1.2 system-ui, sans-serif; }
.cobrowse-pointer svg { display: block; }
.cobrowse-pointer .label { position: absolute; left: 14px; top: 16px; padding: 1px 6px; border-radius: 4px;
  color: #fff; white-space: nowrap; }
.cobrowse-pointer.flip .label { left: auto; right: 2px; }
.cobrowse-ring { position: absolute; width: 36px; height: 36px; margin: -18px 0 0 -18px; border-radius: 50%;
  border: 3px solid; box-sizing: border-box; animation: cobrowse-ring ${RING_MS}ms ease-out forwards; }
@keyframes cobrowse-ring { 0% { transform: scale(.4); opacity: 1; } 100% { transform: scale(1.6); opacity: 0; } }
@media (prefers-reduced-motion: reduce) { .cobrowse-ring { animation: none; } }
`;

function element(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

// The element agents aimed at, by its rrweb node id (null when rrweb does not know it).
function nodeOf(id) {
  const mirror = window.rrweb && window.rrweb.record && window.rrweb.record.mirror;
  const node = mirror && id >= 0 ? mirror.getNode(id) : null;
  return node && node.nodeType === 1 && node.isConnected ? node : null;
}

// Where a node id plus an offset is now, in the window's coordinates: the offset is kept inside
// the element (it may be smaller on this window); without the element, the offset is the window's.
function placeOf(id, x, y) {
  const node = nodeOf(id);
  if (!node) return id >= 0 ? null : { left: x, top: y };
  const box = node.getBoundingClientRect();
  return { left: box.left + Math.max(0, Math.min(x, box.width)), top: box.top + Math.max(0, Math.min(y, box.height)) };
}

function arrow(color) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "20");
  svg.setAttribute("viewBox", "0 0 16 20");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M1 1 L1 17 L5.5 12.5 L9 19 L11.5 18 L8 11.5 L14 11.5 Z");
  path.setAttribute("fill", color);
  path.setAttribute("stroke", "#fff");
  path.setAttribute("stroke-width", "1.5");
  svg.appendChild(path);
  return svg;
}

// The layer in the widget's shadow root, made the first time something is drawn.
function makeLayer() {
  let host = document.getElementById(WIDGET_ID);
  if (!host) {
    // data-ui="none": the overlay brings the widget's host itself.
    host = element("div");
    host.id = WIDGET_ID;
    (document.body || document.documentElement).appendChild(host);
  }
  const root = host.shadowRoot || host.attachShadow({ mode: "open" });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(STYLE);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  const layer = element("div", "cobrowse-overlay");
  layer.setAttribute("aria-hidden", "true");
  const strokes = document.createElementNS(SVG, "svg");
  strokes.setAttribute("class", "cobrowse-strokes");
  const pointers = element("div", "cobrowse-pointers");
  layer.append(strokes, pointers);
  root.appendChild(layer);
  return { layer: layer, strokes: strokes, pointers: pointers };
}

// A stroke's points in the strokes' box, which is in the document: where the element is now,
// less where the box is now (both in the window's coordinates).
function strokeLine(message, strokesBox) {
  const stroke = message.stroke;
  const node = nodeOf(stroke.node);
  const origin = strokesBox.getBoundingClientRect();
  const box = node ? node.getBoundingClientRect() : { left: 0, top: 0 };
  const points = [];
  for (let index = 0; index + 1 < stroke.points.length; index += 2) {
    points.push((box.left + stroke.points[index] - origin.left) + "," + (box.top + stroke.points[index + 1] - origin.top));
  }
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", message.color);
  line.setAttribute("stroke-width", "4");
  line.setAttribute("stroke-linecap", "round");
  line.setAttribute("stroke-linejoin", "round");
  line.dataset.stroke = stroke.id;
  return line;
}

function newPointer(message) {
  const box = element("div", "cobrowse-pointer");
  const label = element("div", "label");
  label.textContent = message.name || "Agent";
  label.style.background = message.color;
  box.append(arrow(message.color), label);
  return { box: box, at: null, timer: 0 };
}

function placePointer(shown) {
  const place = placeOf(shown.at.id, shown.at.x, shown.at.y);
  shown.box.hidden = !place;
  if (!place) return null;
  shown.box.style.transform = "translate(" + place.left + "px, " + place.top + "px)";
  shown.box.classList.toggle("flip", place.left > window.innerWidth - LABEL_ROOM);
  return place;
}

class Overlay {
  constructor() {
    this.parts = null; // {layer, strokes, pointers}, once drawn in.
    this.pointers = new Map(); // agent id -> {box, at, timer}
    this.strokes = new Map(); // stroke id -> the `draw` message
    // Pointers follow their element when anything scrolls; a resize may move every element.
    window.addEventListener("scroll", () => this.pointers.forEach(placePointer), { capture: true, passive: true });
    window.addEventListener("resize", () => this.redraw(), { passive: true });
  }

  ensureLayer() {
    if (!this.parts || !this.parts.layer.isConnected) this.parts = makeLayer();
    return this.parts;
  }

  hide(agentId) {
    const shown = this.pointers.get(agentId);
    if (shown) {
      clearTimeout(shown.timer);
      shown.box.remove();
      this.pointers.delete(agentId);
    }
  }

  ring(place, color) {
    const circle = element("div", "cobrowse-ring");
    circle.style.left = place.left + "px";
    circle.style.top = place.top + "px";
    circle.style.borderColor = color;
    this.parts.pointers.appendChild(circle);
    setTimeout(() => circle.remove(), RING_MS);
  }

  point(message) {
    if (!message.at) {
      this.hide(message.id);
      return;
    }
    const parts = this.ensureLayer();
    let shown = this.pointers.get(message.id);
    if (!shown) {
      shown = newPointer(message);
      parts.pointers.appendChild(shown.box);
      this.pointers.set(message.id, shown);
    }
    shown.at = message.at;
    clearTimeout(shown.timer);
    shown.timer = setTimeout(() => this.hide(message.id), POINTER_STILL_MS);
    const place = placePointer(shown);
    if (place && message.at.ring) this.ring(place, message.color);
  }

  draw(message) {
    const parts = this.ensureLayer();
    this.strokes.set(message.stroke.id, message);
    const old = parts.strokes.querySelector('[data-stroke="' + CSS.escape(message.stroke.id) + '"]');
    const line = strokeLine(message, parts.strokes);
    if (old) old.replaceWith(line);
    else parts.strokes.appendChild(line);
  }

  redraw() {
    if (!this.parts) return;
    const box = this.parts.strokes;
    box.replaceChildren(...Array.from(this.strokes.values(), (message) => strokeLine(message, box)));
    this.pointers.forEach(placePointer);
  }

  clear(everything) {
    this.strokes.clear();
    if (this.parts) this.parts.strokes.replaceChildren();
    if (everything) Array.from(this.pointers.keys()).forEach((agentId) => this.hide(agentId));
  }
}

export function createOverlay() {
  const overlay = new Overlay();
  // Python calls these with JSON text; nothing here may throw into it.
  const guarded = (method) => (json) => {
    try {
      overlay[method](typeof json === "string" ? JSON.parse(json) : json);
    } catch (error) {
      console.error("Cobrowse: the agent tools' overlay failed:", error);
    }
  };
  return { point: guarded("point"), draw: guarded("draw"), clear: guarded("clear") };
}
