/*
 * page.js: the console's elements (index.html), found once, and `say`, the one way text is
 * put on them: always as textContent, never parsed as HTML.
 */

const byId = (id) => document.getElementById(id);

export const page = {
  form: byId("join-form"),
  codeInput: byId("code"),
  nameInput: byId("name"),
  nameLabel: byId("name-label"),
  signInBox: byId("sign-in"),
  signedIn: byId("signed-in"),
  liveSessions: byId("live-sessions"),
  sessionRows: byId("session-rows"),
  noSessions: byId("no-sessions"),
  joinButton: byId("join"),
  alertBox: byId("alert"),
  statusBox: byId("status"),
  panel: byId("session"),
  heading: byId("session-heading"),
  stateLine: byId("visitor-state"),
  urlLine: byId("visitor-url"),
  agentList: byId("agents"),
  leaveButton: byId("leave"),
  endButton: byId("end"),
  liveSection: byId("live"),
  liveNote: byId("live-note"),
  replayBox: byId("replay"),
  controlButton: byId("control"),
  controlNote: byId("control-note"),
  surface: byId("control-surface"),
  chooser: byId("chooser"),
  toolGroup: byId("tools"),
  clearButton: byId("clear-drawings"),
  toolsNote: byId("tools-note"),
  toolSurface: byId("tool-surface"),
  sketch: byId("sketch"),
};

export function say(box, text) {
  box.textContent = text;
}
