/*
 * The agent console: an agent joins a visitor's co-browse session by its access code (or external
 * SID), watches the visitor's state, page and fellow agents, and leaves or ends the session.
 *
 * With the visitor's consent the agent controls the visitor's page: clicks, typing and the wheel
 * on the replay are sent as actions (docs/protocol.md, "Remote control"), aimed at the replayed
 * element's rrweb node id; the visitor's browser decides whether to perform them.
 *
 * It speaks the wire protocol of docs/protocol.md over the WebSocket /ws/agent: every message is
 * JSON {"v": 1, "type": ..., ...}. Everything that arrives from the network is shown with
 * textContent only, never parsed as HTML.
 *
 * It is an ES module: the values it shares with the widget and the server (the protocol's
 * version, close codes, timings, reasons) come from shared.js, which `make setup` writes from
 * cobrowse/core/.
 */

import {
  CANVAS_FRAME_TAG, CLOSE_DRAINING, FULL_SNAPSHOT, GRANTED, HEARTBEAT_MS, NETWORK_TIMEOUT_SECONDS, REASONS,
  RECONNECT_CAP_SECONDS, RECONNECT_FIRST_SECONDS, REFUSED_VIEW_TAG, SILENCE_MS, VERSION,
} from "./shared.js";
import { applyBlockedStyles } from "./replay_styles.js";

const NAME_KEY = "cobrowse.agentName";
const TOKEN_KEY = "cobrowse.agentToken";
const LOST_TEXT = "Connection to the server was lost.";
const RECONNECTING_TEXT = "Connection lost: reconnecting\u2026";
// Heartbeat and reconnect timing: the widget's (cobrowse/core/session.py, core/constants.py).
const NETWORK_TIMEOUT_MS = NETWORK_TIMEOUT_SECONDS * 1000;
const RECONNECT_FIRST_MS = RECONNECT_FIRST_SECONDS * 1000;
const RECONNECT_CAP_MS = RECONNECT_CAP_SECONDS * 1000;
const REPLAY_TITLE = "The visitor's page, replayed live";

const form = document.getElementById("join-form");
const codeInput = document.getElementById("code");
const nameInput = document.getElementById("name");
const joinButton = document.getElementById("join");
const alertBox = document.getElementById("alert");
const statusBox = document.getElementById("status");
const panel = document.getElementById("session");
const heading = document.getElementById("session-heading");
const stateLine = document.getElementById("visitor-state");
const urlLine = document.getElementById("visitor-url");
const agentList = document.getElementById("agents");
const leaveButton = document.getElementById("leave");
const endButton = document.getElementById("end");
const liveSection = document.getElementById("live");
const liveNote = document.getElementById("live-note");
const replayBox = document.getElementById("replay");
const controlButton = document.getElementById("control");
const controlNote = document.getElementById("control-note");
const surface = document.getElementById("control-surface");
const chooser = document.getElementById("chooser");

// The socket of the join under way or the session joined; null when there is none. Events from
// any other socket are stale (a failed join, a session left) and are ignored.
let socket = null;
// This agent's id in the session, known once the server has answered "joined".
let myId = null;
// The secret that lets this agent rejoin after a lost connection or a reload of this tab.
let myToken = null;
// While reconnecting: when the connection was lost, and how many attempts were made.
let lostAt = null;
let attempt = 0;
let lastHeard = 0;

function say(box, text) {
  box.textContent = text;
}

// Storage can be unavailable (private modes, policies); the name is only a convenience.
function loadName() {
  try {
    return localStorage.getItem(NAME_KEY) || "";
  } catch (error) {
    return "";
  }
}

function saveName(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch (error) {
    // Not remembering the name is harmless.
  }
}

function endedText(reason, url) {
  switch (reason) {
    case REASONS.AGENT_INITIATED:
      return "The session was ended by an agent.";
    case REASONS.USER_INITIATED:
      return "The visitor ended the session.";
    case REASONS.NAVIGATED_AWAY:
      return url ? "The visitor left to " + url : "The visitor left the site.";
    case REASONS.USER_TIMEOUT:
      return "The session ended because no agent joined in time.";
    case REASONS.NETWORK_TIMEOUT:
      return "The session ended because the visitor's connection timed out.";
    default:
      return "The session ended (" + reason + ").";
  }
}

function socketUrl() {
  const key = new URLSearchParams(location.search).get("key") || "";
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return scheme + "//" + location.host + "/ws/agent?key=" + encodeURIComponent(key);
}

function send(ws, type, fields) {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify(Object.assign({ v: VERSION, type: type }, fields)));
  }
}

// Forget the current socket so that its closing is not taken for a lost connection.
function dropSocket() {
  const ws = socket;
  socket = null;
  myId = null;
  keepToken(null);
  lostAt = null;
  return ws;
}

// The token is kept per tab (sessionStorage), so a reload of the console rejoins.
function keepToken(token) {
  myToken = token;
  try {
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
    } else {
      sessionStorage.removeItem(TOKEN_KEY);
    }
  } catch (error) {
    // Without storage a reload needs a new Join; reconnects still work.
  }
}

// The live view: rrweb's replayer, fed the visitor's recorded events as they arrive. It is
// created on the first Meta (4) or FullSnapshot (2) event, so an agent who joins late or comes
// back starts from the server's log of the view: the latest snapshot and the changes since.
// Events are applied as soon as they arrive: each is stamped with its arrival time on this
// machine, so the replay clock never holds one back (not for a snapshot that took long to
// arrive, nor for clocks that disagree).
let replayer = null;
let lastStamp = 0;
// The visitor's window size, as the replay last heard it (rrweb's Meta and ViewportResize).
let replaySize = null;

// The replay is shown whole: a visitor's window wider than the console's room is scaled down to
// fit, in its own proportions. rrweb's pointer lives in the scaled wrapper, so it stays over the
// right spot of the page.
function fitReplay() {
  if (!replayer || !replaySize) {
    return;
  }
  const border = replayBox.offsetWidth - replayBox.clientWidth;
  const room = liveSection.clientWidth - border;
  // The workspace fills the window: the page is scaled to fit its height too.
  const roomHeight = liveSection.clientHeight - liveNote.offsetHeight - border - 24;
  const scale = Math.min(1, room / replaySize.width, roomHeight > 0 ? roomHeight / replaySize.height : 1);
  replayer.wrapper.style.transform = scale < 1 ? "scale(" + scale + ")" : "";
  replayBox.style.width = replaySize.width * scale + "px";
  replayBox.style.height = replaySize.height * scale + "px";
}

window.addEventListener("resize", fitReplay);

function showView(events) {
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
    if (replayer && event.type === 4) {
      // A new snapshot (the visitor's page or connection changed, or the server asked for one)
      // starts a fresh replay: rebuilding a live replay in place can race with the changes
      // that follow it.
      dropReplayer();
    }
    if (!replayer) {
      if (event.type !== 4 && event.type !== FULL_SNAPSHOT) { // rrweb's Meta, or a full snapshot
        continue;
      }
      replayer = new window.rrweb.Replayer([], {
        root: replayBox, liveMode: true, mouseTail: false, showWarning: false, UNSAFE_replayCanvas: false,
        // Replaying the visitor's focus would move the agent's focus into the replay, away from
        // the console (and from the control surface the agent types on).
        triggerFocus: false,
      });
      // Screen readers name a frame by its title; rrweb leaves it without one.
      replayer.iframe.title = REPLAY_TITLE;
      // This replayer's, not the module's: a cast may come after a new snapshot replaced it.
      const current = replayer;
      current.on("event-cast", (cast) => {
        const doc = current.iframe && current.iframe.contentDocument;
        if (doc && cast && (cast.type === FULL_SNAPSHOT || (cast.type === 3 && cast.data && cast.data.source === 0))) {
          applyBlockedStyles(doc);
          labelFrames(doc);
          labelCanvases(doc);
        }
      });
      current.on("custom-event", (cast) => showCanvasFrame(current, cast));
      replayer.on("resize", (size) => {
        replaySize = size;
        fitReplay();
      });
      lastStamp = Date.now() - 1;
      replayer.startLive(lastStamp);
      liveSection.hidden = false;
      say(liveNote, "The visitor's page, live:");
    }
    if (!replayable(event)) {
      continue;
    }
    lastStamp = Math.max(lastStamp, Date.now());
    event.timestamp = lastStamp;
    try {
      replayer.addEvent(sanitize(event));
    } catch (error) {
      console.warn("Live view: an event could not be replayed", error);
    }
  }
}

// A frame of the visitor's page from another site is not shared (only its host is sent, as
// rr_src, kept as FRAME_HOST): its place in the replay says so, at its size, rather than showing a blank hole. The
// label is written into the frame's own empty document with DOM and CSSOM only (no markup, no
// style element), so it needs nothing of the console's policy; a frame whose content does come
// (a site that carries the tag too) is rebuilt over it.
const FRAME_HOST = "data-cobrowse-frame-host";

function labelFrames(doc) {
  if (!doc) {
    return;
  }
  for (const frame of doc.querySelectorAll("iframe")) {
    const inner = frame.contentDocument;
    const host = frame.getAttribute(FRAME_HOST);
    if (host && inner && inner.body && !inner.body.childNodes.length && !inner.body.dataset.cobrowseLabel) {
      inner.body.dataset.cobrowseLabel = "1";
      const label = inner.createElement("p");
      label.textContent = "Content from " + host + " is not shared";
      Object.assign(inner.body.style, { margin: "0", height: "100vh", display: "flex", alignItems: "center",
        justifyContent: "center", background: "repeating-linear-gradient(45deg, #f4f4f4 0 10px, #e8e8e8 10px 20px)",
        font: "14px sans-serif", color: "#333" });
      Object.assign(label.style, { margin: "0", padding: "4px 8px", background: "#fff", border: "1px solid #999" });
      inner.body.appendChild(label);
    } else if (inner && !host) {
      labelFrames(inner);
    }
  }
}

// The visitor's canvases: a picture of one (data-canvas="record" on the visitor's page) is shown
// as the CSS background of its replayed canvas, set through CSSOM (a replayed canvas draws
// nothing itself: the replay runs no script); one without is labelled as not shared.
const CANVAS_PICTURE = /^data:image\/(webp|png|jpeg);base64,[A-Za-z0-9+/=]+$/;
const CANVAS_LABEL = "url(\"data:image/svg+xml," + encodeURIComponent(
  "<svg xmlns='http://www.w3.org/2000/svg' width='240' height='40'><rect width='240' height='40' fill='#fff' " +
  "stroke='#999'/><text x='120' y='25' font-family='sans-serif' font-size='14' text-anchor='middle' " +
  "fill='#333'>Canvas not shared</text></svg>") + "\")";

function showCanvasFrame(current, cast) {
  const data = cast && cast.data;
  const frame = data && data.tag === CANVAS_FRAME_TAG ? data.payload : null;
  if (!frame || typeof frame.data !== "string" || !CANVAS_PICTURE.test(frame.data)) {
    return;
  }
  const canvas = current.getMirror().getNode(frame.id);
  if (canvas && canvas.nodeName === "CANVAS") {
    canvas.dataset.cobrowseShared = "1";
    Object.assign(canvas.style, { backgroundImage: "url(\"" + frame.data + "\")", backgroundSize: "100% 100%",
      backgroundRepeat: "no-repeat", backgroundColor: "" });
  }
}

function labelCanvases(doc) {
  for (const canvas of doc ? doc.querySelectorAll("canvas:not([data-cobrowse-shared])") : []) {
    Object.assign(canvas.style, { backgroundImage: CANVAS_LABEL, backgroundSize: "auto", backgroundRepeat: "no-repeat",
      backgroundPosition: "center", backgroundColor: "#eee" });
  }
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
  if (replayer) {
    try {
      replayer.destroy();
    } catch (error) {
      // Already torn down.
    }
  }
  replayer = null;
  replaySize = null;
  replayBox.replaceChildren(surface, chooser);
  replayBox.style.width = "";
  replayBox.style.height = "";
}

function stopView() {
  dropReplayer();
  liveSection.hidden = true;
  say(liveNote, "Waiting for the visitor's page\u2026");
}

function showForm() {
  stopView();
  showControl(null);
  document.body.classList.remove("workspace");
  panel.hidden = true;
  form.hidden = false;
  joinButton.disabled = false;
  codeInput.focus();
}

function showSession(session) {
  document.body.classList.add("workspace");
  form.hidden = true;
  panel.hidden = false;
  leaveButton.disabled = false;
  endButton.disabled = false;
  render(session);
  heading.focus();
}

function render(session) {
  heading.textContent = "Session " + (session.accessCode || "") + (session.SID ? " (SID " + session.SID + ")" : "");
  stateLine.textContent = "Visitor state: " + (session.state || "unknown");

  urlLine.replaceChildren("Visitor page: ");
  if (session.url) {
    if (session.title) {
      urlLine.append(session.title + " \u2014 ");
    }
    const url = document.createElement("span");
    url.className = "url";
    url.textContent = session.url;
    urlLine.append(url);
  } else {
    urlLine.append("not reported yet.");
  }

  const items = (session.agents || []).map((agent) => {
    const item = document.createElement("li");
    item.textContent = agent.name + (agent.id === myId ? " (you)" : "");
    return item;
  });
  agentList.replaceChildren(...items);
  showControl(session.control || null);
}

// Remote control. `control` is the session's control record as the server has it:
// {agent, name, state: "asking" | "granted"}, or null.
let control = null;
let lastMove = 0;
const MOVE_EVERY_MS = 40;

function controlling() {
  return !!control && control.agent === myId && control.state === GRANTED;
}

function showControl(record) {
  control = record;
  const mine = !!record && record.agent === myId;
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

controlButton.addEventListener("click", () => {
  say(statusBox, "");
  send(socket, controlling() ? "release_control" : "request_control");
  if (!controlling()) {
    controlButton.disabled = true;
  }
});

function act(action) {
  if (controlling()) {
    send(socket, "act", { action: action });
  }
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
function aim(event) {
  if (!replayer || !replayer.iframe) {
    return null;
  }
  const frame = replayer.iframe;
  const rect = frame.getBoundingClientRect();
  const scale = frame.offsetWidth ? rect.width / frame.offsetWidth : 1;
  const x = Math.round((event.clientX - rect.left) / scale);
  const y = Math.round((event.clientY - rect.top) / scale);
  const node = elementAt(frame.contentDocument, x, y);
  const id = node ? replayer.getMirror().getId(node) : -1;
  return { id: typeof id === "number" && id >= 0 ? id : -1, x: x, y: y, node: node, scale: scale, rect: rect };
}

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
  // The surface takes the focus, so that the agent's keys go to the visitor's page.
  event.preventDefault();
  surface.focus();
});

surface.addEventListener("click", (event) => {
  const at = aim(event);
  if (!at) {
    return;
  }
  act({ kind: "click", id: at.id, x: at.x, y: at.y });
  if (at.node && at.node.localName === "select" && at.id >= 0) {
    openChooser(at);
  }
});

surface.addEventListener("dblclick", (event) => {
  const at = aim(event);
  if (at) {
    act({ kind: "dblclick", id: at.id, x: at.x, y: at.y });
  }
});

surface.addEventListener("wheel", (event) => {
  event.preventDefault();
  const at = aim(event);
  if (at) {
    const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? 400 : 1;
    act({ kind: "wheel", id: at.id, x: at.x, y: at.y, dx: Math.round(event.deltaX * unit), dy: Math.round(event.deltaY * unit) });
  }
}, { passive: false });

const NAMED_KEYS = ["Enter", "Tab", "Escape", "Backspace", "Delete", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"];

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
      surface.focus();
    }
  }
}

function choose() {
  act({ kind: "choose", id: Number(chooser.dataset.target), index: chooser.selectedIndex });
  closeChooser();
}

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

// Message types other than these are not sent to agents, so any other is ignored.
function handle(ws, message) {
  switch (message.type) {
    case "joined":
      myId = message.id;
      keepToken(message.token || null);
      lostAt = null;
      attempt = 0;
      say(alertBox, "");
      say(statusBox, "");
      showSession(message.session || {});
      break;
    case "pong":
      break;
    case "control_notice":
      say(statusBox, String(message.message));
      break;
    case "view":
      if (myId !== null) {
        showView(message.events);
      }
      break;
    case "session":
      if (myId !== null) {
        render(message.session || {});
      }
      break;
    case "ended":
      dropSocket();
      ws.close();
      say(statusBox, endedText(String(message.reason), message.url));
      codeInput.value = "";
      showForm();
      break;
    case "error":
      say(alertBox, String(message.message));
      // An error before "joined" means this join (or rejoin) failed: close its socket, the
      // next try opens a fresh one. An error during a session leaves the session as it is.
      if (myId === null && lostAt !== null && message.code === "in_use") {
        // Our old connection still counts as attached (its server may have just died, and
        // the others have not noticed yet): try again after a pause, as the widget does.
        socket = null;
        ws.close();
        lost(false);
        break;
      }
      if (myId === null) {
        if (lostAt !== null) {
          say(statusBox, "The session is over.");
        }
        dropSocket();
        ws.close();
        showForm();
      }
      break;
  }
}

// Open a socket whose first message is `first`: a join, or a rejoin with the token.
function connect(first) {
  const ws = new WebSocket(socketUrl());
  socket = ws;
  myId = null;
  ws.addEventListener("open", () => {
    lastHeard = Date.now();
    send(ws, first.type, first.fields);
  });
  ws.addEventListener("message", (event) => {
    if (ws !== socket) {
      return;
    }
    lastHeard = Date.now();
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (message && message.v === VERSION && typeof message.type === "string") {
      handle(ws, message);
    }
  });
  // A failed connection fires "error" and then "close", so "close" alone covers both.
  ws.addEventListener("close", (event) => {
    if (ws === socket) {
      lost(event.code === CLOSE_DRAINING);
    }
  });
}

// The connection dropped: rejoin with the token for up to the network timeout, with the same
// jittered, capped backoff as the widget; the session goes on meanwhile.
function lost(atOnce) {
  const token = myToken;
  socket = null;
  myId = null;
  if (lostAt === null) {
    lostAt = Date.now();
  }
  if (!token || Date.now() - lostAt >= NETWORK_TIMEOUT_MS) {
    dropSocket();
    say(alertBox, LOST_TEXT);
    showForm();
    return;
  }
  say(statusBox, RECONNECTING_TEXT);
  const delay = atOnce ? 0 : Math.min(RECONNECT_CAP_MS, RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 10)) * (0.5 + Math.random() / 2);
  attempt += 1;
  setTimeout(() => {
    if (socket === null && myToken === token) {
      connect({ type: "rejoin", fields: { token: token } });
    }
  }, delay);
}

setInterval(() => {
  const ws = socket;
  if (!ws || ws.readyState !== WebSocket.OPEN || myId === null) {
    return;
  }
  if (Date.now() - lastHeard > SILENCE_MS) {
    ws.close();
    lost();
  } else {
    send(ws, "ping");
  }
}, HEARTBEAT_MS);

form.addEventListener("submit", (event) => {
  event.preventDefault();
  say(alertBox, "");
  say(statusBox, "");
  const code = codeInput.value.trim();
  const name = nameInput.value.trim();
  codeInput.setAttribute("aria-invalid", String(!code));
  nameInput.setAttribute("aria-invalid", String(!name));
  if (!code || !name) {
    say(alertBox, !code ? "Please enter the access code." : "Please enter your name.");
    (!code ? codeInput : nameInput).focus();
    return;
  }
  saveName(name);
  // A join still under way is abandoned in favour of this one.
  const previous = dropSocket();
  if (previous) {
    previous.close();
  }
  joinButton.disabled = true;
  connect({ type: "join", fields: { code: code, name: name } });
});

leaveButton.addEventListener("click", () => {
  // The server closes the socket after a leave; dropping it first keeps that close quiet.
  send(dropSocket(), "leave");
  say(statusBox, "You left the session.");
  showForm();
});

endButton.addEventListener("click", () => {
  // The server answers with "ended", which returns to the form like any other ending.
  endButton.disabled = true;
  leaveButton.disabled = true;
  send(socket, "end");
});

nameInput.value = loadName();
(nameInput.value ? codeInput : nameInput).focus();

// A reload of this tab during a session rejoins it as the same agent.
try {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    myToken = token;
    lostAt = Date.now();
    connect({ type: "rejoin", fields: { token: token } });
  }
} catch (error) {
  // No storage: nothing to rejoin.
}
