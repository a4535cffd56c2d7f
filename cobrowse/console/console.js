/*
 * The agent console: an agent joins a visitor's co-browse session by its access code (or external
 * SID), watches the visitor's state, page and fellow agents, and leaves or ends the session.
 *
 * This module wires the others and answers each message the server sends: `link` (the
 * connection, docs/protocol.md), `screens` (the join form and the session), `replay` (the live
 * view), `control` (remote control, with the visitor's consent), `tools` (View, Point, Draw),
 * `page` (the elements) and
 * `storage` (what the console remembers). The values shared with the widget and the server come
 * from shared.js, which `make setup` writes from cobrowse/core/. Everything that arrives from
 * the network is shown with textContent only, never parsed as HTML.
 */

import { installControl } from "./control.js";
import { Link } from "./link.js";
import { page, say } from "./page.js";
import { showView } from "./replay.js";
import { endedText, render, showForm, showSession } from "./screens.js";
import { loadName, saveName } from "./storage.js";
import { cleared, drawn, installTools } from "./tools.js";

const LOST_TEXT = "Connection to the server was lost.";
const RECONNECTING_TEXT = "Connection lost: reconnecting\u2026";
const { form, codeInput, nameInput, joinButton, alertBox, statusBox, leaveButton, endButton } = page;

const link = new Link({
  message: handle,
  reconnecting: () => say(statusBox, RECONNECTING_TEXT),
  gone: () => {
    say(alertBox, LOST_TEXT);
    showForm();
  },
});

// Message types other than these are not sent to agents, so any other is ignored.
function handle(ws, message) {
  switch (message.type) {
    case "joined":
      link.joined(message.id, message.token);
      say(alertBox, "");
      say(statusBox, "");
      showSession(message.session || {}, link.agentId);
      break;
    case "control_notice":
      say(statusBox, String(message.message));
      break;
    case "view":
      if (link.agentId !== null) {
        showView(message.events);
      }
      break;
    case "session":
      if (link.agentId !== null) {
        render(message.session || {}, link.agentId);
      }
      break;
    case "ended":
      link.drop();
      ws.close();
      say(statusBox, endedText(String(message.reason), message.url));
      codeInput.value = "";
      showForm();
      break;
    case "draw":
      drawn(message);
      break;
    case "cleared":
      cleared(message);
      break;
    case "error":
      refused(ws, message);
      break;
  }
}

// An error before "joined" means this join (or rejoin) failed: close its socket, the next try
// opens a fresh one. An error during a session leaves the session as it is.
function refused(ws, message) {
  say(alertBox, String(message.message));
  if (link.agentId !== null) {
    return;
  }
  if (link.rejoining && message.code === "in_use") {
    link.retrySoon(ws);
    return;
  }
  if (link.rejoining) {
    say(statusBox, "The session is over.");
  }
  link.drop();
  ws.close();
  showForm();
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
  joinButton.disabled = true;
  link.join(code, name);
});

leaveButton.addEventListener("click", () => {
  link.leave();
  say(statusBox, "You left the session.");
  showForm();
});

endButton.addEventListener("click", () => {
  // The server answers with "ended", which returns to the form like any other ending.
  endButton.disabled = true;
  leaveButton.disabled = true;
  link.send("end");
});

installControl(link);
installTools(link);
nameInput.value = loadName();
(nameInput.value ? codeInput : nameInput).focus();
link.rejoinAfterReload();
