/*!
 * liveview.js: the live view. It records the page with rrweb, masked, with the widget left out,
 * and streams the changes to the socket Python gives it (Cobrowse._live).
 *
 * Python decides when the page is recorded (start on the first agent, a new full snapshot for a
 * late joiner or a new connection, stop on the last agent); the stream of changes itself stays
 * here in JS, so a busy page never waits on the Python runtime. rrweb is fetched only when the
 * first agent joins, so it costs nothing at boot. Private data is masked here, before anything
 * leaves the page: every input's value goes through maskInputFn, which keeps it only for fields
 * that are not private.
 */

import { CANVAS_FRAME_TAG, FULL_SNAPSHOT, WIDGET_ID } from "./shared.js";
import { PLACEHOLDER } from "./masking.js";
import { createCanvasSampler } from "./canvas.js";
import { SLICE_MS, sendView, writeView } from "./viewtext.js";

// rrweb's event type of the changes after a full snapshot, and their source for DOM mutations.
const INCREMENTAL_SNAPSHOT = 3;
const MUTATION = 0;

// rrweb.record's options: what is recorded, and how private data is masked. isScrolled(element)
// says whether an element has scrolled (all of them are read without it).
export function recordOptions(emit, masking, isScrolled) {
  return {
    emit: emit,
    // The full snapshot is taken SLICE_MS at a time (patches/rrweb_sliced_snapshot.py), so that
    // joining never freezes the visitor's page.
    fullSnapshotSliceMs: SLICE_MS,
    isScrolled: isScrolled || null,
    blockSelector: "#" + WIDGET_ID,
    maskAllInputs: false,
    maskInputOptions: { color: true, date: true, "datetime-local": true, email: true, month: true,
      number: true, range: true, search: true, tel: true, text: true, time: true, url: true,
      week: true, textarea: true, select: true, password: true, input: true },
    maskInputFn: (text, element) => (masking.isPrivate(element) ? PLACEHOLDER : text),
    maskTextSelector: masking.selector,
    maskTextFn: () => PLACEHOLDER,
    // Scripts are never sent: the agent's copy must not run them, and inline scripts may hold
    // data of their own.
    slimDOMOptions: { script: true, comment: true },
    recordCanvas: false,
    collectFonts: false,
    // rrweb's default keeps one pointer position per 50 ms and drops the last one when it comes
    // sooner, so the agent would see the pointer short of where it stopped. Every position is
    // kept instead (browsers send at most one mousemove a frame). They travel in batches of
    // 50 ms rather than rrweb's 500 ms, which is a recording's pace, not a live view's: the agent
    // follows the pointer a tenth of a second behind at most.
    sampling: { mousemove: 0, mousemoveCallback: 50 },
  };
}

let rrwebLoading = null;
function loadRrweb(base) {
  if (window.rrweb && window.rrweb.record) return Promise.resolve(window.rrweb);
  if (!rrwebLoading) {
    rrwebLoading = new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = base + "rrweb/rrweb.min.js";
      tag.crossOrigin = "anonymous";
      tag.onload = () => resolve(window.rrweb);
      tag.onerror = () => reject(new Error("could not load " + tag.src));
      document.head.appendChild(tag);
    });
  }
  return rrwebLoading;
}

// A snapshot is taken in a task of its own (a timer's), so that it adds to no other long task:
// neither the evaluation of rrweb's script (the browser fires its load event in that same task)
// nor the Python runtime's handler that asked for the snapshot.
function inNextTask(value) {
  return new Promise((resolve) => { setTimeout(() => resolve(value), 0); });
}

// A cross-origin frame's address, which rrweb sends whole (as rr_src): its host only, so that
// nothing of its path or query string (tokens, session ids) leaves the page. The agent's
// console shows it in the frame's place ("Content from pay.example is not shared").
function frameHost(src) {
  try {
    return new URL(String(src), document.baseURI).host || "another site";
  } catch (error) {
    return "another site";
  }
}

// rrweb blocks the widget's host element but still follows changes inside its (open) shadow
// root; replayed, they refer to nodes the agent never got and stall the replay. So the ids the
// agent has are tracked, and changes under any other node are dropped: the agent sees
// everything but the widget.
function widgetFilter() {
  let sentIds = new Set();
  // The widget host's rrweb id, looked up once per event. Blocked elements lose their
  // attributes in the snapshot, so there the widget is known by its id only.
  function widgetId() {
    const host = document.getElementById(WIDGET_ID);
    return host ? window.rrweb.record.mirror.getId(host) : null;
  }
  // Notes every id of a serialized subtree as sent and takes the widget out of it. A full
  // snapshot holds a node per element and per text and is learnt inside record()'s task, so
  // this is one loop over an explicit stack, with no array or function made per node.
  function learn(root, widget) {
    const stack = [root];
    while (stack.length) {
      const node = stack.pop();
      sentIds.add(node.id);
      if (node.attributes && node.attributes.rr_src) node.attributes.rr_src = frameHost(node.attributes.rr_src);
      const children = node.childNodes;
      if (!children) continue;
      for (let i = children.length - 1; i >= 0; i--) {
        if (children[i].id === widget) children.splice(i, 1);
        else stack.push(children[i]);
      }
    }
  }
  const known = (item) => sentIds.has(item.id);
  // The event without the widget, or null when nothing is left of it.
  return function withoutWidget(event) {
    if (event.type === FULL_SNAPSHOT && event.data) {
      sentIds = new Set();
      if (event.data.node) learn(event.data.node, widgetId());
      return event;
    }
    if (event.type !== INCREMENTAL_SNAPSHOT || !event.data || event.data.source !== MUTATION) return event;
    const data = event.data;
    const widget = widgetId();
    data.adds = (data.adds || []).filter((add) => {
      if (!sentIds.has(add.parentId) || !add.node || add.node.id === widget) return false;
      learn(add.node, widget);
      return true;
    });
    data.removes = (data.removes || []).filter(known);
    data.texts = (data.texts || []).filter(known);
    data.attributes = (data.attributes || []).filter(known);
    data.attributes.forEach((change) => {
      if (change.attributes && change.attributes.rr_src) change.attributes.rr_src = frameHost(change.attributes.rr_src);
    });
    const empty = !data.adds.length && !data.removes.length && !data.texts.length && !data.attributes.length;
    return empty ? null : event;
  };
}

// The stream to the socket: changes made in one task travel together, sent from the next task.
// A view is written and sent in slices when it is big (viewtext.js); what comes meanwhile waits
// for the next view, so views leave in order.
function createStream() {
  const live = { socket: null, queue: [], busy: false, channel: null, generation: 0 };
  function send(text) {
    if (live.socket && live.socket.readyState === 1) live.socket.send(text);
  }
  function flush() {
    const events = live.queue;
    live.queue = [];
    if (!events.length || !live.socket || live.socket.readyState !== 1) {
      live.busy = false;
      return;
    }
    // Closed meanwhile: what this view still had to send is dropped.
    const generation = live.generation;
    const current = () => generation === live.generation;
    writeView(events, (text) => {
      if (!current()) return;
      sendView(text, (part) => { if (current()) send(part); }, () => {
        if (!current()) return;
        live.busy = false;
        if (live.queue.length) schedule();
      });
    });
  }
  // A message channel rather than setTimeout(0), which browsers delay by 4 ms inside nested
  // timers.
  function schedule() {
    if (live.busy) return;
    live.busy = true;
    if (!live.channel) {
      live.channel = new MessageChannel();
      live.channel.port1.onmessage = flush;
    }
    live.channel.port2.postMessage(null);
  }
  return {
    get socket() { return live.socket; },
    open(socket) { live.socket = socket; },
    push(event) {
      live.queue.push(event);
      schedule();
    },
    close() {
      live.socket = null;
      live.queue = [];
      live.busy = false;
      live.generation += 1;
    },
  };
}

// The elements of the page that have scrolled since the loader ran: rrweb reads the scroll
// position of those only (patches/rrweb_sliced_snapshot.py says why). The window's own scroll
// is the snapshot's initial offset.
function trackScrolled() {
  const scrolled = new WeakSet();
  document.addEventListener("scroll", (event) => {
    if (event.target && event.target.nodeType === 1) scrolled.add(event.target);
  }, { capture: true, passive: true });
  return (element) => scrolled.has(element);
}

// Cobrowse._live, which Python drives; base is where rrweb is served; canvasFps, when not null,
// is how many frames a second the page's canvases are sampled (data-canvas="record"); frames
// (frames.js's parent side) lets the site's other origins framed in the page carry the tag too.
export function createLiveView(base, masking, canvasFps, frames) {
  const stream = createStream();
  const withoutWidget = widgetFilter();
  const isScrolled = trackScrolled();
  let stopRecording = null;
  let canvases = null;
  // rrweb's Meta (4) comes a task or more before the sliced full snapshot it belongs to: it waits
  // for it, so that both travel in one view, where the server's log starts for agents who join
  // later (without the Meta, their replay would not know the page's size).
  let meta = null;
  frames.install();
  function emit(event) {
    const kept = withoutWidget(event);
    if (!kept) return;
    if (kept.type === 4) {
      meta = kept;
      return;
    }
    if (meta && kept.type === FULL_SNAPSHOT) stream.push(meta);
    meta = null;
    stream.push(kept);
    // The page's snapshot is out (its frames are known to rrweb): the framed children's follow.
    if (kept.type === FULL_SNAPSHOT) setTimeout(() => { if (stopRecording) frames.askChildren(true); }, 0);
  }
  function sampleCanvases(rrweb) {
    if (canvasFps === null || canvasFps === undefined) return;
    canvases = canvases || createCanvasSampler(masking, canvasFps, (canvas) => rrweb.record.mirror.getId(canvas),
      (frame) => rrweb.record.addCustomEvent(CANVAS_FRAME_TAG, frame));
    canvases.start();
  }
  return {
    // Record onto this socket; when already recording, send a new full snapshot on it.
    start(socket) {
      stream.open(socket);
      if (stopRecording) {
        inNextTask().then(() => {
          if (!stopRecording) return;
          window.rrweb.record.takeFullSnapshot(true);
          if (canvases) canvases.resend();
        });
        return;
      }
      loadRrweb(base).then(inNextTask).then((rrweb) => {
        if (!stream.socket || stopRecording) return;
        const options = recordOptions(emit, masking, isScrolled);
        // Only a top page takes its children's events: a framed one would post its own to its framer.
        options.recordCrossOriginIframes = window.parent === window;
        stopRecording = rrweb.record(options) || null;
        if (stopRecording) sampleCanvases(rrweb);
      }).catch((error) => {
        console.error("Cobrowse: the live view is not available:", error);
      });
    },
    stop() {
      stream.close();
      if (canvases) canvases.stop();
      frames.askChildren(false);
      if (stopRecording) {
        stopRecording();
        stopRecording = null;
      }
    },
  };
}

// The recorder of a frame whose parent, of another of the site's origins, shares it (frames.js):
// record(true) records it for that parent (rrweb posts every event to the parent, which relays
// it), or snapshots it again; record(false) stops.
export function createChildView(base, masking) {
  const isScrolled = trackScrolled();
  let stopRecording = null;
  return function record(on) {
    if (!on) {
      if (stopRecording) stopRecording();
      stopRecording = null;
      return;
    }
    loadRrweb(base).then(inNextTask).then((rrweb) => {
      if (stopRecording) return rrweb.record.takeFullSnapshot(true);
      const options = recordOptions(() => {}, masking, isScrolled);
      options.recordCrossOriginIframes = true;
      stopRecording = rrweb.record(options) || null;
    }).catch((error) => {
      console.error("Cobrowse: the live view is not available in this frame:", error);
    });
  };
}
