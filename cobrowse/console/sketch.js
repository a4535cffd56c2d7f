/*
 * sketch.js: the strokes on the visitor's page, drawn over the replay as they are on the page:
 * each stroke is anchored to an element (its rrweb node id) by offsets inside it, so it follows
 * the element when the replay scrolls or reflows.
 *
 * Exports keepStroke(message) (a `draw` message, or the agent's own stroke being drawn, by its
 * stroke's id), clearStrokes(), and nodeBox(id): where a replayed element is, in
 * the replayed window's coordinates (null when the replay does not have it).
 */

import { page } from "./page.js";
import { replayer } from "./replay.js";

const { replayBox, sketch } = page;
const SVG = "http://www.w3.org/2000/svg";

const strokes = new Map(); // stroke id -> {color, stroke}
let drawing = 0; // The animation frame redrawing the strokes while there are some.

export function nodeBox(id) {
  const shown = replayer();
  const node = shown && id >= 0 ? shown.getMirror().getNode(id) : null;
  return node && node.nodeType === 1 ? node.getBoundingClientRect() : null;
}

// A stroke's points in the replay box's coordinates: the replayed element, scaled as the replay is.
function pointsOf(stroke, frame, scale, home) {
  const box = nodeBox(stroke.node) || { left: 0, top: 0 };
  const dx = frame.left - home.left - replayBox.clientLeft;
  const dy = frame.top - home.top - replayBox.clientTop;
  const points = [];
  for (let index = 0; index + 1 < stroke.points.length; index += 2) {
    points.push((dx + (box.left + stroke.points[index]) * scale) + "," + (dy + (box.top + stroke.points[index + 1]) * scale));
  }
  return points.join(" ");
}

function redraw() {
  drawing = 0;
  const shown = replayer();
  if (!shown || !shown.iframe || !strokes.size) {
    sketch.replaceChildren();
    return;
  }
  const frame = shown.iframe.getBoundingClientRect();
  const scale = shown.iframe.offsetWidth ? frame.width / shown.iframe.offsetWidth : 1;
  const home = replayBox.getBoundingClientRect();
  const lines = Array.from(strokes.values(), (drawn) => {
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", pointsOf(drawn.stroke, frame, scale, home));
    line.setAttribute("stroke", drawn.color);
    line.setAttribute("stroke-width", String(Math.max(1.5, 4 * scale)));
    return line;
  });
  sketch.replaceChildren(...lines);
  drawing = requestAnimationFrame(redraw);
}

function soon() {
  if (!drawing) {
    drawing = requestAnimationFrame(redraw);
  }
}

export function keepStroke(message) {
  if (message && message.stroke && typeof message.stroke.id === "string" && Array.isArray(message.stroke.points)) {
    strokes.set(message.stroke.id, { color: String(message.color || "#d4380d"), stroke: message.stroke });
    soon();
  }
}

export function clearStrokes() {
  strokes.clear();
  soon();
}
