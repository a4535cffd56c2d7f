/*
 * cobrowse.d.ts: the types of window.Cobrowse, defined by the script tag
 *
 *   <script src="https://cobrowse.example/static/cobrowse.js" data-site-code="ACME-1"></script>
 *
 * Served next to the loader (https://cobrowse.example/static/cobrowse.d.ts). Save it in your
 * project and reference it from the scripts that use the API:
 *
 *   /// <reference path="./cobrowse.d.ts" />
 *   Cobrowse.Events.SessionStarted.listen((event) => show(event.accessCode));
 *
 * It declares the global value `Cobrowse` (also `window.Cobrowse`) and, under the same name, a
 * namespace of its types: `Cobrowse.State`, `Cobrowse.EventMap`, `Cobrowse.SessionStartedEvent`...
 *
 * Every listener gets one object holding all of its event's properties; a property marked
 * optional (`?`) is there with the value `undefined` when the event has no value for it (`SID`
 * when the visitor started the session, `accessCode` before the server gave one).
 */

declare namespace Cobrowse {
  /** The widget's state, as `Cobrowse.API.Session.getState()` returns it. */
  type State =
    | "INIT" // The widget is starting up.
    | "READY" // Ready to start a session.
    | "STARTING" // A session was asked for; the server has not answered yet.
    | "ACTIVE:WAIT" // In a session, waiting for an agent.
    | "ACTIVE:ACTIVE" // In a session, at least one agent connected.
    | "ACTIVE:ESCALATING" // An agent asked for control; the visitor has not answered yet.
    | "ACTIVE:ESCALATED" // An agent controls the page (advanced mode).
    | "DISCONNECTING" // The session is ending.
    | "ERROR"; // The widget could not start, or the session ended on an error.

  /** The constants of `Cobrowse.States`, e.g. `Cobrowse.States.ACTIVE_WAIT === "ACTIVE:WAIT"`. */
  interface StateConstants {
    readonly INIT: "INIT";
    readonly READY: "READY";
    readonly STARTING: "STARTING";
    readonly ACTIVE_WAIT: "ACTIVE:WAIT";
    readonly ACTIVE_ACTIVE: "ACTIVE:ACTIVE";
    readonly ACTIVE_ESCALATING: "ACTIVE:ESCALATING";
    readonly ACTIVE_ESCALATED: "ACTIVE:ESCALATED";
    readonly DISCONNECTING: "DISCONNECTING";
    readonly ERROR: "ERROR";
  }

  /** "ICB": the agent watches (HTML co-browse); "ACB": the agent may act on the page (advanced). */
  type Mode = "ICB" | "ACB";

  /**
   * Why a session ended: one of the predefined reasons, or the text a page script passed to
   * `Cobrowse.API.Session.stop({reason})`.
   */
  type EndReason =
    | "USER_INITIATED" // The visitor ended it.
    | "USER_TIMEOUT" // No agent connected in time.
    | "NETWORK_TIMEOUT" // The connection was lost and did not come back in time.
    | "AGENT_INITIATED" // An agent ended it.
    | "NAVIGATED_AWAY" // The visitor followed a link off the site.
    | "SESSION_LIMIT" // The session reached the server's --session-limit.
    | (string & {});

  /** Fired before the session is asked for. */
  interface SessionStartingEvent {
    /** The external session id given to `start({SID})`; undefined when the visitor started it. */
    readonly SID?: string;
    readonly siteCode: string;
  }

  /** Fired when the session has started. */
  interface SessionStartedEvent {
    /** The 6-digit code the visitor reads to the agent. */
    readonly accessCode: string;
    readonly SID?: string;
    readonly mode: Mode;
    readonly siteCode: string;
  }

  /** Fired when the session has ended. */
  interface SessionEndedEvent {
    readonly reason: EndReason;
    /** Undefined when the session ended before the server gave it a code. */
    readonly accessCode?: string;
    readonly SID?: string;
    readonly siteCode: string;
    /** How many agents were connected. */
    readonly agentCount: number;
  }

  /** Fired when an agent joins the session. */
  interface AgentConnectedEvent {
    /** The agent's display name (show it as text, never as HTML). */
    readonly name: string;
    /** The agent's id, unique in the session. */
    readonly id: string;
    readonly accessCode: string;
    readonly SID?: string;
    readonly siteCode: string;
  }

  /** Fired when an agent leaves the session. */
  interface AgentDisconnectedEvent {
    readonly name: string;
    readonly id: string;
    readonly accessCode: string;
    readonly SID?: string;
    readonly siteCode: string;
  }

  /** Fired on every change of `Cobrowse.API.Session.getState()`. */
  interface StateChangedEvent {
    readonly state: State;
    readonly previousState: State;
    /** Undefined outside a session. */
    readonly accessCode?: string;
    readonly SID?: string;
    readonly siteCode: string;
  }

  /** Fired when the visitor activated a link to another site, which would end the session. */
  interface NavigatingAwayEvent {
    /** Where the link leads. */
    readonly url: string;
    readonly accessCode: string;
    readonly SID?: string;
    readonly siteCode: string;
  }

  /** Each event's name and the object its listeners get. */
  interface EventMap {
    SessionStarting: SessionStartingEvent;
    SessionStarted: SessionStartedEvent;
    SessionEnded: SessionEndedEvent;
    AgentConnected: AgentConnectedEvent;
    AgentDisconnected: AgentDisconnectedEvent;
    StateChanged: StateChangedEvent;
    NavigatingAway: NavigatingAwayEvent;
  }

  type EventName = keyof EventMap;

  /** A listener of one event; it is called asynchronously, and what it throws is only logged. */
  type Listener<Name extends EventName> = (event: EventMap[Name]) => void;

  /** One event of `Cobrowse.Events`. */
  interface EventSource<Name extends EventName> {
    /** Call `listener` on every such event. Attaching the same function twice attaches it once. */
    listen(listener: Listener<Name>): void;
    /** Stop calling `listener`; a function that is not attached is ignored. */
    removeListener(listener: Listener<Name>): void;
  }

  type Events = { readonly [Name in EventName]: EventSource<Name> };

  /** What `start`, `stop` and the control answers return: `description` says why when it failed. */
  type Result = { result: true; description?: string } | { result: false; description: string };

  interface StartOptions {
    /** An external session id (from a chat, for instance), up to 64 characters. */
    SID?: string;
  }

  interface StopOptions {
    /** Why the page ends the session, up to 200 characters; SessionEnded carries it as `reason`. */
    reason?: string;
  }

  interface Session {
    getState(): State;
    /** Ask for a session; `SessionStarting` then `SessionStarted` follow when it succeeds. */
    start(options?: StartOptions): Result;
    /** End the session. */
    stop(options?: StopOptions): Result;
    /** Let the agent who asked control the page (state ACTIVE:ESCALATING → ACTIVE:ESCALATED). */
    allowControl(): Result;
    /** Refuse the agent's request for control (back to ACTIVE:ACTIVE). */
    denyControl(): Result;
    /** Take control back from the agent (ACTIVE:ESCALATED → ACTIVE:ACTIVE). */
    revokeControl(): Result;
    /** The session's access code; undefined outside a session. */
    readonly accessCode: string | undefined;
    /** The session's external id; undefined when none was given. */
    readonly SID: string | undefined;
    /** The session's mode; undefined outside a session. */
    readonly mode: Mode | undefined;
    /**
     * What agents may use on this page now: the tools `data-agent-tools` allows (all three by
     * default), less "point" and "draw" while the visitor has turned agent tools off;
     * undefined until the widget has started.
     */
    readonly agentTools: AgentTool[] | undefined;
  }

  /** A tool an agent may use on the visitor's page. */
  type AgentTool = "point" | "draw" | "control";

  /** Which modes this browser supports. */
  interface Environment {
    ICB: boolean;
    ACB: boolean;
  }

  interface DefaultUI {
    /** Whether the widget asks the visitor before a link to another site ends the session. */
    navigatingAwayPopupEnabled(enabled: boolean): void;
    /** Whether the widget tells the visitor that the session ended. */
    sessionEndedPopupEnabled(enabled: boolean): void;
  }

  interface API {
    readonly Session: Session;
    checkEnvironment(): Environment;
    readonly DefaultUI: DefaultUI;
  }

  /** The type of `window.Cobrowse`. */
  interface Global {
    readonly Events: Events;
    readonly States: StateConstants;
    readonly API: API;
    /**
     * Settles once the widget has started: resolves (with `Cobrowse`) at READY or when a session
     * resumed after a page load; rejects with an Error saying what failed.
     */
    ready(): Promise<Global>;
    /** The same, calling `callback` once resolved; resolves with what the callback returns. */
    ready<T>(callback: (cobrowse: Global) => T | PromiseLike<T>): Promise<T>;
  }
}

/** Defined by the script tag as soon as it has run; also `window.Cobrowse`. */
declare var Cobrowse: Cobrowse.Global;
