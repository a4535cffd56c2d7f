/*
 * screens.js: what the console shows. The sign-in screen, the join form, or the session joined:
 * its code, the visitor's state and page, the agents in it, the agent tools, remote control and
 * the live view.
 *
 * Exports showSignIn(), showForm(), showSession(session, agentId), render(session, agentId) (a
 * session broadcast), stateText(session, agentId) (the visitor's state in words) and
 * endedText(reason, url).
 */

import { REASONS, STATES } from "./shared.js";
import { showControl } from "./control.js";
import { page } from "./page.js";
import { stopView } from "./replay.js";
import { resetTools, showTools } from "./tools.js";

// The visitor's state as the agent reads it; the raw state stays in the line's tooltip.
export function stateText(session, agentId) {
  const control = session.control || {};
  const other = control.name || "Another agent";
  if (session.visitorConnected === false) {
    return "The visitor's connection was lost: waiting for it to come back";
  }
  switch (session.state) {
    case STATES.ACTIVE_WAIT:
      return "Waiting for an agent";
    case STATES.ACTIVE_ACTIVE:
      return "Watching";
    case STATES.ACTIVE_ESCALATING:
      return control.agent === agentId ? "Waiting for the visitor to allow control" : other + " asked for control";
    case STATES.ACTIVE_ESCALATED:
      return control.agent === agentId ? "You control the page" : other + " controls the page";
    default:
      return session.state || "unknown";
  }
}

export function endedText(reason, url) {
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
    case REASONS.SESSION_LIMIT:
      return "The session ended: it reached its time limit.";
    default:
      return "The session ended (" + reason + ").";
  }
}

// Leave the session's workspace (if it showed) for one of the screens outside a session.
function leaveWorkspace() {
  stopView();
  showControl(null);
  resetTools();
  document.body.classList.remove("workspace");
  page.panel.hidden = true;
}

export function showSignIn() {
  leaveWorkspace();
  page.form.hidden = true;
  page.liveSessions.hidden = true;
  page.signedIn.hidden = true;
  page.signInBox.hidden = false;
}

export function showForm() {
  leaveWorkspace();
  page.signInBox.hidden = true;
  page.form.hidden = false;
  page.joinButton.disabled = false;
  page.codeInput.focus();
}

export function showSession(session, agentId) {
  document.body.classList.add("workspace");
  page.form.hidden = true;
  page.signInBox.hidden = true;
  page.panel.hidden = false;
  page.leaveButton.disabled = false;
  page.endButton.disabled = false;
  render(session, agentId);
  page.heading.focus();
}

export function render(session, agentId) {
  page.heading.textContent = "Session " + (session.accessCode || "") + (session.SID ? " (SID " + session.SID + ")" : "");
  page.stateLine.textContent = "Visitor state: " + stateText(session, agentId);
  page.stateLine.title = session.state || "";

  page.urlLine.replaceChildren("Visitor page: ");
  if (session.url) {
    if (session.title) {
      page.urlLine.append(session.title + " \u2014 ");
    }
    const url = document.createElement("span");
    url.className = "url";
    url.textContent = session.url;
    page.urlLine.append(url);
  } else {
    page.urlLine.append("not reported yet.");
  }

  const items = (session.agents || []).map((agent) => {
    const item = document.createElement("li");
    item.textContent = agent.name + (agent.id === agentId ? " (you)" : "");
    return item;
  });
  page.agentList.replaceChildren(...items);
  showControl(session.control || null);
  showTools(session, agentId);
}
