// A customer page's script using every part of window.Cobrowse, as static/cobrowse.d.ts types it.
// tests/browser/test_typescript.py type-checks it with `tsc --noEmit --strict`, then runs its JavaScript
// on a page with the widget and reads `log` (a global of this classic script) to see it worked.
/// <reference path="../../../static/cobrowse.d.ts" />

const log: string[] = [];

const onStarting: Cobrowse.Listener<"SessionStarting"> = (event) => {
  log.push("SessionStarting " + event.siteCode + (event.SID === undefined ? "" : " " + event.SID.toUpperCase()));
};
Cobrowse.Events.SessionStarting.listen(onStarting);

Cobrowse.Events.SessionStarted.listen((event: Cobrowse.SessionStartedEvent) => {
  const advanced: boolean = event.mode === "ACB";
  log.push("SessionStarted " + event.accessCode.length + " " + event.mode + " " + advanced + " " + (event.SID ?? "no SID"));
});

window.Cobrowse.Events.SessionEnded.listen((event) => {
  const reason: string = event.reason;
  const agents: number = event.agentCount + 0;
  const known = event.reason === "USER_INITIATED" || event.reason === "NETWORK_TIMEOUT";
  log.push("SessionEnded " + reason + " " + known + " " + agents + " " + (event.accessCode ?? "no code").length);
  log.push(event.SID ?? "", event.siteCode);
});

function onAgent(event: Cobrowse.AgentConnectedEvent | Cobrowse.AgentDisconnectedEvent): void {
  log.push(event.name.trim(), event.id, event.accessCode, event.SID ?? "", event.siteCode);
}
Cobrowse.Events.AgentConnected.listen(onAgent);
Cobrowse.Events.AgentDisconnected.listen(onAgent);
Cobrowse.Events.AgentDisconnected.removeListener(onAgent);

Cobrowse.Events.StateChanged.listen(({ state, previousState, accessCode, SID, siteCode }) => {
  const controlled = state === Cobrowse.States.ACTIVE_ESCALATED || state === "ACTIVE:ESCALATING";
  log.push("StateChanged " + previousState + " " + state + " " + controlled);
  log.push(accessCode ?? "", SID ?? "", siteCode);
});

Cobrowse.Events.NavigatingAway.listen((event) => {
  log.push(new URL(event.url).host, event.accessCode, event.SID ?? "", event.siteCode);
});

const states: Cobrowse.State[] = [
  Cobrowse.States.INIT, Cobrowse.States.READY, Cobrowse.States.STARTING, Cobrowse.States.ACTIVE_WAIT,
  Cobrowse.States.ACTIVE_ACTIVE, Cobrowse.States.ACTIVE_ESCALATING, Cobrowse.States.ACTIVE_ESCALATED,
  Cobrowse.States.DISCONNECTING, Cobrowse.States.ERROR,
];

function report(action: string, result: Cobrowse.Result): void {
  log.push(action + (result.result ? " ok" : " failed: " + result.description.toLowerCase()));
}

async function main(): Promise<void> {
  const cobrowse: Cobrowse.Global = await Cobrowse.ready();
  const state: Cobrowse.State = cobrowse.API.Session.getState();
  const again: string = await Cobrowse.ready((it) => it.API.Session.getState());
  const environment: Cobrowse.Environment = Cobrowse.API.checkEnvironment();
  log.push("ready " + state + " " + again + " " + states.includes(state) + " " + environment.ICB);

  const started = new Promise<Cobrowse.SessionStartedEvent>((resolve) => Cobrowse.Events.SessionStarted.listen(resolve));
  report("start", Cobrowse.API.Session.start({ SID: "chat-42" }));
  report("start again", Cobrowse.API.Session.start());
  const event = await started;
  const session = Cobrowse.API.Session;
  const code: string | undefined = session.accessCode;
  const sid: string | undefined = session.SID;
  const mode: Cobrowse.Mode | undefined = session.mode;
  log.push("session " + (code === event.accessCode) + " " + sid + " " + mode);
  if (environment.ACB) {
    report("allow", session.allowControl());
    report("deny", session.denyControl());
    report("revoke", session.revokeControl());
  }
  Cobrowse.API.DefaultUI.navigatingAwayPopupEnabled(false);
  Cobrowse.API.DefaultUI.sessionEndedPopupEnabled(true);
  report("stop", session.stop({ reason: "closed the chat" }));
  report("stop again", session.stop());
}

main().catch((error: unknown) => log.push("main failed: " + (error instanceof Error ? error.message : String(error))));
