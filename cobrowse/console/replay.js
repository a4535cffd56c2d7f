/*
 * replay.js: the live view. rrweb's replayer, fed the visitor's recorded events as they arrive,
 * in a sandboxed frame that never runs the visitor's scripts.
 *
 * Exports: showView(events), stopView(), and replayer(): the replayer shown, or null (remote
 * control aims at its elements).
 */

import { FULL_SNAPSHOT, REFUSED_VIEW_TAG } from "./shared.js";
import { FRAME_HOST, labelCanvases, labelFrames, showCanvasFrame } from "./labels.js";
import { page, say } from "./page.js";
import { applyBlockedStyles } from "./replay_styles.js";

const REPLAY_TITLE = "The visitor's page, replayed live";
const { liveSection, liveNote, replayBox, surface, chooser, toolSurface, sketch } = page;

// The replayer (`shown`) is created on the first Meta (4) or FullSnapshot (2) event, so an agent
// who joins late or comes back starts from the server's log of the view: the latest snapshot and
// the changes since.
// Events are applied as soon as they arrive: each is stamped with its arrival time on this
// machine, so the replay clock never holds one back (not for a snapshot that took long to
// arrive, nor for clocks that disagree).
let shown = null;
let lastStamp = 0;
// The visitor's window size, as the replay last heard it (rrweb's Meta and ViewportResize).
let replaySize = null;

// The replay is shown whole: a visitor's window wider than the console's room is scaled down to
// fit, in its own proportions. rrweb's pointer lives in the scaled wrapper, so it stays over the
// right spot of the page.
function fitReplay() {
  if (!shown || !replaySize) {
    return;
  }
  const border = replayBox.offsetWidth - replayBox.clientWidth;
  const room = liveSection.clientWidth - border;
  // The workspace fills the window: the page is scaled to fit its height too.
  const roomHeight = liveSection.clientHeight - liveNote.offsetHeight - border - 24;
  const scale = Math.min(1, room / replaySize.width, roomHeight > 0 ? roomHeight / replaySize.height : 1);
  shown.wrapper.style.transform = scale < 1 ? "scale(" + scale + ")" : "";
  replayBox.style.width = replaySize.width * scale + "px";
  replayBox.style.height = replaySize.height * scale + "px";
}

window.addEventListener("resize", fitReplay);

export function showView(events) {
  if (!window.rrweb || !Array.isArray(events)) {
    return;
  }
  for (const event of events) {
    if (!event || typeof event.type !== "number" || typeof event.timestamp !== "number") {
      continue;
    }
    if (event.type === 5 && event.data && event.data.tag === REFUSED_VIEW_TAG) {
      // The server did not share the page (too large): it says why, in place of the replay.
      dropReplayer();
      liveSection.hidden = false;
      say(liveNote, String((event.data.payload || {}).message || "The live view stopped"));
      continue;
    }
    if (shown && event.type === 4) {
      // A new snapshot (the visitor's page or connection changed, or the server asked for one)
      // starts a fresh replay: rebuilding a live replay in place can race with the changes
      // that follow it.
      dropReplayer();
    }
    if (!shown) {
      if (event.type !== 4 && event.type !== FULL_SNAPSHOT) { // rrweb's Meta, or a full snapshot
        continue;
      }
      shown = new window.rrweb.Replayer([], {
        root: replayBox, liveMode: true, mouseTail: false, showWarning: false, UNSAFE_replayCanvas: false,
        // Replaying the visitor's focus would move the agent's focus into the replay, away from
        // the console (and from the control surface the agent types on).
        triggerFocus: false,
      });
      // Screen readers name a frame by its title; rrweb leaves it without one.
      shown.iframe.title = REPLAY_TITLE;
      watchCasts(shown);
      shown.on("resize", (size) => {
        replaySize = size;
        fitReplay();
      });
      lastStamp = Date.now() - 1;
      shown.startLive(lastStamp);
      liveSection.hidden = false;
      say(liveNote, "The visitor's page, live:");
    }
    if (!replayable(event)) {
      continue;
    }
    lastStamp = Math.max(lastStamp, Date.now());
    event.timestamp = lastStamp;
    try {
      shown.addEvent(sanitize(event));
    } catch (error) {
      console.warn("Live view: an event could not be replayed", error);
    }
  }
}

// What the replayer draws is finished with where the visitor's page holds back: the styles a
// strict policy on the console blocks, frames from other sites and canvases (labels.js).
function watchCasts(current) {
  // This replayer's, not the module's: a cast may come after a new snapshot replaced it.
  current.on("event-cast", (cast) => {
    const doc = current.iframe && current.iframe.contentDocument;
    if (doc && cast && (cast.type === FULL_SNAPSHOT || (cast.type === 3 && cast.data && cast.data.source === 0))) {
      applyBlockedStyles(doc);
      labelFrames(doc);
      labelCanvases(doc);
    }
  });
  current.on("custom-event", (cast) => showCanvasFrame(current, cast));
}

// Inline event handlers (onclick="...") would be refused by the replay's sandbox, one console
// error each; the replay never runs the page's code, so they are dropped before replaying.
function dropHandlers(attributes) {
  if (attributes && typeof attributes === "object") {
    // rrweb's replay drops rr_ attributes; the host of a frame from another site is kept.
    if (typeof attributes.rr_src === "string") {
      attributes[FRAME_HOST] = attributes.rr_src;
    }
    for (const name of Object.keys(attributes)) {
      if (/^on/i.test(name)) {
        delete attributes[name];
      }
    }
  }
}

function dropHandlersInTree(node) {
  if (!node || typeof node !== "object") {
    return;
  }
  dropHandlers(node.attributes);
  (node.childNodes || []).forEach(dropHandlersInTree);
}

// rrweb replays the visitor's mouseup, mousedown, contextmenu, dblclick and touchmove by
// dispatching them on the replayed element; with the agent's pointer over the replay, Chromium
// then reports "Blocked script execution" in the sandboxed frame for each. They show nothing (the
// click itself is drawn), so they are left out.
const DISPATCHED_INTERACTIONS = [0, 1, 3, 4, 8];

function replayable(event) {
  return !(event.type === 3 && event.data && event.data.source === 2 &&
    DISPATCHED_INTERACTIONS.includes(event.data.type));
}

function sanitize(event) {
  if (event.type === FULL_SNAPSHOT && event.data) {
    dropHandlersInTree(event.data.node);
  } else if (event.type === 3 && event.data && event.data.source === 0) {
    (event.data.adds || []).forEach((add) => dropHandlersInTree(add.node));
    (event.data.attributes || []).forEach((change) => dropHandlers(change.attributes));
  }
  return event;
}

function dropReplayer() {
  if (shown) {
    try {
      shown.destroy();
    } catch (error) {
      // Already torn down.
    }
  }
  shown = null;
  replaySize = null;
  replayBox.replaceChildren(surface, chooser, toolSurface, sketch);
  replayBox.style.width = "";
  replayBox.style.height = "";
}

export function stopView() {
  dropReplayer();
  liveSection.hidden = true;
  say(liveNote, "Waiting for the visitor's page\u2026");
}

export function replayer() {
  return shown;
}
