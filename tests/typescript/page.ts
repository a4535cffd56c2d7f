// A customer page's script using every part of window.Cobrowse, as static/cobrowse.d.ts types it.
// tests/test_typescript.py type-checks it with `tsc --noEmit --strict`.
/// <reference path="../../static/cobrowse.d.ts" />

const log: string[] = [];

function showCode(code: string): void {
  log.push("Read this code to the agent: " + code);
}

const onStarting: Cobrowse.Listener<"SessionStarting"> = (event) => {
  log.push(event.siteCode + (event.SID === undefined ? "" : " for " + event.SID.toUpperCase()));
};
Cobrowse.Events.SessionStarting.listen(onStarting);
Cobrowse.Events.SessionStarting.removeListener(onStarting);

Cobrowse.Events.SessionStarted.listen((event: Cobrowse.SessionStartedEvent) => {
  showCode(event.accessCode);
  const advanced: boolean = event.mode === "ACB";
  log.push(String(advanced), event.siteCode, event.SID ?? "no SID");
});

window.Cobrowse.Events.SessionEnded.listen((event) => {
  const reason: string = event.reason;
  const agents: number = event.agentCount + 1;
  if (event.reason === "NETWORK_TIMEOUT" || event.reason === "my own reason") {
    log.push(reason);
  }
  log.push(String(agents), event.accessCode ?? "never started", event.SID ?? "", event.siteCode);
});

function onAgent(event: Cobrowse.AgentConnectedEvent | Cobrowse.AgentDisconnectedEvent): void {
  log.push(event.name.trim(), event.id, event.accessCode, event.SID ?? "", event.siteCode);
}
Cobrowse.Events.AgentConnected.listen(onAgent);
Cobrowse.Events.AgentDisconnected.listen(onAgent);

Cobrowse.Events.StateChanged.listen(({ state, previousState, accessCode, SID, siteCode }) => {
  const controlled = state === Cobrowse.States.ACTIVE_ESCALATED;
  const asked: boolean = state === "ACTIVE:ESCALATING";
  if (previousState === "INIT" && state !== "ERROR") {
    log.push(String(controlled), String(asked), accessCode ?? "", SID ?? "", siteCode);
  }
});

Cobrowse.Events.NavigatingAway.listen((event) => {
  log.push(new URL(event.url).host, event.accessCode, event.SID ?? "", event.siteCode);
});

const states: Cobrowse.State[] = [
  Cobrowse.States.INIT, Cobrowse.States.READY, Cobrowse.States.STARTING, Cobrowse.States.ACTIVE_WAIT,
  Cobrowse.States.ACTIVE_ACTIVE, Cobrowse.States.ACTIVE_ESCALATING, Cobrowse.States.ACTIVE_ESCALATED,
  Cobrowse.States.DISCONNECTING, Cobrowse.States.ERROR,
];

function report(result: Cobrowse.Result): void {
  if (!result.result) {
    log.push("failed: " + result.description.toLowerCase());
  }
}

async function main(): Promise<void> {
  const cobrowse: Cobrowse.Global = await Cobrowse.ready();
  const state: Cobrowse.State = cobrowse.API.Session.getState();
  const ready: string = await Cobrowse.ready((it) => it.API.Session.getState());
  const environment: Cobrowse.Environment = Cobrowse.API.checkEnvironment();
  if (environment.ICB && states.includes(state) && ready === "READY") {
    report(Cobrowse.API.Session.start());
    report(Cobrowse.API.Session.start({ SID: "chat-42" }));
  }
  const session = Cobrowse.API.Session;
  const code: string | undefined = session.accessCode;
  const sid: string | undefined = session.SID;
  const mode: Cobrowse.Mode | undefined = session.mode;
  log.push(code ?? "", sid ?? "", mode ?? "");
  if (environment.ACB) {
    report(session.allowControl());
    report(session.denyControl());
    report(session.revokeControl());
  }
  Cobrowse.API.DefaultUI.navigatingAwayPopupEnabled(false);
  Cobrowse.API.DefaultUI.sessionEndedPopupEnabled(true);
  report(Cobrowse.API.Session.stop());
  report(Cobrowse.API.Session.stop({ reason: "closed the chat" }));
}

main().catch((error: unknown) => log.push(error instanceof Error ? error.message : String(error)));
