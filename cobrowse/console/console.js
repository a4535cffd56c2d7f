/*
 * The agent console: an agent joins a visitor's co-browse session by its access code (or external
 * SID), watches the visitor's state, page and fellow agents, and leaves or ends the session.
 *
 * This module wires the others and answers each message the server sends: `signin` (who the
 * agent is: a signed token, or the shared key), `link` (the connection, docs/protocol.md),
 * `screens` (sign-in, the join form and the session), `supervisors` (a supervisor's list of live
 * sessions), `replay` (the live view), `control` (remote control, with the visitor's consent),
 * `tools` (View, Point, Draw), `page` (the elements) and `storage` (what the console
 * remembers). An agent signed in with a token is "Signed in as NAME" and is not asked for a
 * name. The values shared with the widget and the server come
 * from shared.js, which `make setup` writes from cobrowse/core/. Everything that arrives from
 * the network is shown with textContent only, never parsed as HTML.
 */

import { installControl } from "./control.js";
import { Link } from "./link.js";
import { page, say } from "./page.js";
import { showView } from "./replay.js";
import { endedText, render, showForm, showSession, showSignIn } from "./screens.js";
import { EXPIRED_TEXT, expired, signIn } from "./signin.js";
import { loadName, saveName, saveToken } from "./storage.js";
import { watchSessions } from "./supervisors.js";
import { cleared, drawn, installTools } from "./tools.js";

const LOST_TEXT = "Connection to the server was lost.";
const RECONNECTING_TEXT = "Connection lost: reconnecting\u2026";
const REPLACED_TEXT = "You opened this session in another console.";
const { form, codeInput, nameInput, nameLabel, joinButton, alertBox, statusBox, leaveButton, endButton } = page;

// Who signed in: {id, name, role, expires}; a name of null (the shared key) is asked for.
let identity = null;

const link = new Link({
  message: handle,
  reconnecting: () => say(statusBox, RECONNECTING_TEXT),
  gone: () => {
    say(alertBox, LOST_TEXT);
    showForm();
  },
  replaced: () => {
    say(statusBox, REPLACED_TEXT);
    showForm();
  },
  expired: signedOut,
});

// The sign-in is over (or was refused): back to the sign-in screen, saying why.
function signedOut(why = EXPIRED_TEXT) {
  saveToken(null);
  say(statusBox, "");
  say(alertBox, why);
  showSignIn();
}

function signedIn(who) {
  identity = who;
  const named = !!identity.name;
  nameLabel.hidden = nameInput.hidden = named;
  page.signedIn.hidden = !named;
  page.signedIn.textContent = named ? "Signed in as " + identity.name : "";
  if (identity.role === "supervisor") {
    watchSessions(joinSession);
  }
  showForm();
}

function joinSession(code) {
  say(alertBox, "");
  say(statusBox, "");
  if (expired()) {
    signedOut();
    return;
  }
  joinButton.disabled = true;
  link.join(code, identity.name || nameInput.value.trim());
}

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
    case "session_warning":
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
  if (message.code === "unauthorized") {
    link.drop();
    ws.close();
    signedOut(expired() ? EXPIRED_TEXT : String(message.message));
    return;
  }
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
  const name = identity.name || nameInput.value.trim();
  codeInput.setAttribute("aria-invalid", String(!code));
  nameInput.setAttribute("aria-invalid", String(!name));
  if (!code || !name) {
    say(alertBox, !code ? "Please enter the access code." : "Please enter your name.");
    (!code ? codeInput : nameInput).focus();
    return;
  }
  if (!identity.name) {
    saveName(name);
  }
  joinSession(code);
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
signIn().then((result) => {
  if (!result.identity) {
    signedOut(result.error);
    return;
  }
  signedIn(result.identity);
  (nameInput.value || identity.name ? codeInput : nameInput).focus();
  link.rejoinAfterReload();
});
