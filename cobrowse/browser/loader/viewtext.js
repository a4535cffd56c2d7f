/*!
 * viewtext.js: a view message's text, written in slices, and sent in parts when it is long.
 *
 * A full snapshot of a big page is megabytes of JSON: JSON.stringify of it is one task of a
 * tenth of a second at 10,000 elements and up to half a second at 50,000, and one message of
 * it may be over what the server takes in a frame. So its node tree is written a slice of
 * SLICE_MS at a time, one task each, and a text longer than VIEW_PART_CHARS goes as view_part
 * messages the server puts back together (docs/protocol.md), one per task.
 *
 * Public names: SLICE_MS, writeView(events, done), sendView(text, send, next).
 */

import { FULL_SNAPSHOT, MAX_MESSAGE_CHARS, VERSION, VIEW_PART_CHARS } from "./shared.js";

// A task of the page's own is at most this long while a snapshot is serialized or written.
export const SLICE_MS = 8;

// Nodes written between two looks at the clock.
const NODES_PER_LOOK = 64;

// The next task, without setTimeout's 4 ms clamp on nested timers.
function nextTask(step) {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    step();
  };
  channel.port2.postMessage(null);
}

// One serialized node without its children, as JSON text missing its closing brace.
function nodeHead(node) {
  const fields = {};
  for (const name in node) {
    if (name !== "childNodes") fields[name] = node[name];
  }
  return JSON.stringify(fields).slice(0, -1);
}

// The JSON text of a node tree, written SLICE_MS per task (one loop over an explicit stack of
// nodes and closing texts); done(text) gets it.
function writeTree(root, done) {
  const pieces = [];
  const stack = [root];
  function step() {
    const deadline = performance.now() + SLICE_MS;
    let count = 0;
    while (stack.length) {
      if (++count % NODES_PER_LOOK === 0 && performance.now() > deadline) return nextTask(step);
      const item = stack.pop();
      if (typeof item === "string") {
        pieces.push(item);
        continue;
      }
      pieces.push(nodeHead(item));
      const children = item.childNodes;
      if (!children) {
        pieces.push("}");
        continue;
      }
      pieces.push(',"childNodes":[');
      stack.push("]}");
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push(children[i]);
        if (i > 0) stack.push(",");
      }
    }
    done(pieces.join(""));
  }
  step();
}

// A view message's text for these events, compact, with v and type first (the protocol lets
// only that shape be large): done(text) gets it, at once unless a full snapshot is among them.
export function writeView(events, done) {
  const head = '{"v":' + VERSION + ',"type":"view","events":[';
  const full = events.findIndex((event) => event.type === FULL_SNAPSHOT && event.data && event.data.node);
  if (full < 0) return done(head + events.map((event) => JSON.stringify(event)).join(",") + "]}");
  const event = events[full];
  const marker = '"cobrowse:node"';
  const shell = JSON.stringify(Object.assign({}, event, { data: Object.assign({}, event.data, { node: "cobrowse:node" }) }));
  const [before, after] = [shell.slice(0, shell.indexOf(marker)), shell.slice(shell.indexOf(marker) + marker.length)];
  writeTree(event.data.node, (tree) => {
    const texts = events.map((other, i) => (i === full ? before + tree + after : JSON.stringify(other)));
    done(head + texts.join(",") + "]}");
  });
}

// Send a view's text: at once when short; else from the next task (writing it and sending it
// are tens of milliseconds each on a big page, and two such tasks block the page less than one
// that does both), in parts of VIEW_PART_CHARS, one per task, when it is longer than that.
// next() is called once everything is sent.
export function sendView(text, send, next) {
  if (text.length < MAX_MESSAGE_CHARS) {
    send(text);
    return next();
  }
  if (text.length <= VIEW_PART_CHARS) {
    return nextTask(() => {
      send(text);
      next();
    });
  }
  let offset = 0;
  function step() {
    let end = Math.min(offset + VIEW_PART_CHARS, text.length);
    // A character outside the BMP is two UTF-16 units: a part never ends between them.
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1])) end -= 1;
    const part = text.slice(offset, end);
    offset += part.length;
    send(JSON.stringify({ v: VERSION, type: "view_part", size: text.length, text: part }));
    if (offset < text.length) nextTask(step);
    else next();
  }
  nextTask(step);
}
