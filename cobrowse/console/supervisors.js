/*
 * supervisors.js: a supervisor's list of the live sessions of their sites (GET /api/sessions),
 * at the top of the console, fetched again every second while the join screen shows, each with a
 * Join button.
 *
 * Exports watchSessions(join): start listing; join(accessCode) is called on a click.
 */

import { page } from "./page.js";

const EVERY_MS = 1000;
const COLUMNS = ["accessCode", "SID", "siteCode", "state", "startedAt"];

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  return td;
}

function row(session, join) {
  const tr = document.createElement("tr");
  tr.append(...COLUMNS.map((column) => cell(column === "startedAt"
    ? new Date(session.startedAt).toLocaleTimeString() : session[column])));
  tr.append(cell((session.agents || []).map((agent) => agent.name).join(", ")));
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Join";
  button.setAttribute("aria-label", "Join session " + session.accessCode);
  button.addEventListener("click", () => join(String(session.accessCode)));
  const action = document.createElement("td");
  action.append(button);
  tr.append(action);
  return tr;
}

function show(sessions, join) {
  page.sessionRows.replaceChildren(...sessions.map((session) => row(session, join)));
  page.noSessions.hidden = sessions.length > 0;
}

export function watchSessions(join) {
  page.liveSessions.hidden = false;
  const next = async () => {
    if (!page.form.hidden) {
      try {
        const response = await fetch("/api/sessions", { credentials: "same-origin", cache: "no-store" });
        if (response.ok) {
          show(await response.json(), join);
        }
      } catch (error) {
        // The next round tries again.
      }
    }
    setTimeout(next, EVERY_MS);
  };
  next();
}
