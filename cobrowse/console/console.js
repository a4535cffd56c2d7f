/*
 * The agent console: an agent joins a visitor's co-browse session by its access code (or external
 * SID), watches the visitor's state, page and fellow agents, and leaves or ends the session.
 *
 * It speaks the wire protocol of docs/protocol.md over the WebSocket /ws/agent: every message is
 * JSON {"v": 1, "type": ..., ...}. Everything that arrives from the network is shown with
 * textContent only, never parsed as HTML.
 */
"use strict";

const VERSION = 1;
const NAME_KEY = "cobrowse.agentName";
const LOST_TEXT = "Connection to the server was lost.";

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

// The socket of the join under way or the session joined; null when there is none. Events from
// any other socket are stale (a failed join, a session left) and are ignored.
let socket = null;
// This agent's id in the session, known once the server has answered "joined".
let myId = null;

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
    case "AGENT_INITIATED":
      return "The session was ended by an agent.";
    case "USER_INITIATED":
      return "The visitor ended the session.";
    case "NAVIGATED_AWAY":
      return url ? "The visitor left to " + url : "The visitor left the site.";
    case "VISITOR_DISCONNECTED":
      return "The visitor closed the page.";
    case "USER_TIMEOUT":
      return "The session timed out because the visitor was inactive.";
    case "NETWORK_TIMEOUT":
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
  return ws;
}

function showForm() {
  panel.hidden = true;
  form.hidden = false;
  joinButton.disabled = false;
  codeInput.focus();
}

function showSession(session) {
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
}

// Message types other than these four are not sent to agents, so any other is ignored.
function handle(ws, message) {
  switch (message.type) {
    case "joined":
      myId = message.id;
      say(alertBox, "");
      showSession(message.session || {});
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
      // An error before "joined" means this join failed: close its socket, the next try opens
      // a fresh one. An error during a session leaves the session as it is.
      if (myId === null) {
        dropSocket();
        ws.close();
        showForm();
      }
      break;
  }
}

function connect(code, name) {
  const ws = new WebSocket(socketUrl());
  socket = ws;
  myId = null;
  ws.addEventListener("open", () => {
    send(ws, "join", { code: code, name: name });
  });
  ws.addEventListener("message", (event) => {
    if (ws !== socket) {
      return;
    }
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
  ws.addEventListener("close", () => {
    if (ws !== socket) {
      return;
    }
    dropSocket();
    say(alertBox, LOST_TEXT);
    showForm();
  });
}

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
  connect(code, name);
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
