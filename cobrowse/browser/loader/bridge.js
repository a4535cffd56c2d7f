/*!
 * bridge.js: window.Cobrowse, and the bridge to the widget's Python behind it. The object is
 * there as soon as the tag has run, so page scripts can attach listeners right after it; what
 * they ask before Python is up is queued here and handed over when Python takes control, by
 * calling Cobrowse._attach(listen, removeListener, command).
 */

import { EVENT_NAMES, MODE_ACB, MODE_ICB, STATES } from "./shared.js";

const NOT_READY = { result: false, description: "Co-browse is not ready yet: wait for Cobrowse.ready()" };

// Listeners get one plain object; properties the event has no value for are undefined. A
// listener that throws is reported here, in JS: an exception crossing back into MicroPython
// cannot be caught there, and the other listeners must still be called.
function deliverer(name, fn) {
  return (json) => {
    const event = JSON.parse(json);
    Object.keys(event).forEach((key) => { if (event[key] === null) event[key] = undefined; });
    try {
      fn.call(undefined, event);
    } catch (error) {
      console.error("Cobrowse: a " + name + " listener threw:", error);
    }
  };
}

// What the page asked for, held until Python takes it, and Python once it has.
export class Bridge {
  constructor(siteCode, feed, guard) {
    this.siteCode = siteCode;
    this.feed = feed;
    this.guard = guard;
    this.core = null;
    this.pending = [];
    this.ids = new WeakMap();
    this.nextId = 1;
    this.ready = new Promise((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.ready.catch(() => {}); // A page that never asks is not told of a failure as uncaught.
  }

  keyOf(fn) {
    if (!this.ids.has(fn)) this.ids.set(fn, this.nextId++);
    return this.ids.get(fn);
  }

  command(name, args) {
    return JSON.parse(this.core.command(name, JSON.stringify(args || {})));
  }

  // A command's answer: Python's, or why there is none yet.
  answer(name, args) {
    if (this.core) return this.command(name, args);
    return this.guard.failure ? this.unavailable() : NOT_READY;
  }

  unavailable() {
    return { result: false, description: "Co-browse is unavailable: " + this.guard.failure };
  }

  state() {
    if (this.core) return this.command("state").state;
    return this.guard.failure ? STATES.ERROR : STATES.INIT;
  }

  listen(name, fn) {
    if (this.core) this.core.listen(name, this.keyOf(fn), deliverer(name, fn));
    else this.pending.push(["listen", name, fn]);
  }

  removeListener(name, fn) {
    if (this.core) this.core.removeListener(name, this.keyOf(fn));
    else this.pending.push(["remove", name, fn]);
  }

  popup(which, enabled) {
    if (this.core) this.command("popup", { which: which, enabled: enabled });
    else this.pending.push(["popup", which, enabled]);
  }

  // Python takes over: the feed hears every event, then what the page asked for is replayed.
  attach(listen, removeListener, command) {
    if (this.guard.failure) return; // Too late: the page has been told co-browse is unavailable.
    this.core = { listen: listen, removeListener: removeListener, command: command };
    if (this.feed) this.feed.follow(listen);
    this.pending.forEach((item) => {
      if (item[0] === "listen") this.listen(item[1], item[2]);
      else if (item[0] === "remove") this.removeListener(item[1], item[2]);
      else this.popup(item[1], item[2]);
    });
    this.pending = [];
    const booted = this.command("boot");
    if (!booted.result) this.guard.fail("the widget failed to start: " + booted.description);
    else this.guard.attach();
  }

  // The state has left INIT (READY, a session resumed after a page load, or ERROR when the
  // boot guard gave up).
  settle() {
    this.guard.settle();
    if (this.guard.failure) this.rejectReady(new Error(this.guard.failure));
    else this.resolveReady(window.Cobrowse);
  }

  // The boot guard gave up: the page is told, by Python when it is up.
  bootFailed(message) {
    if (this.core) {
      // Python is up but stuck in INIT (a session that cannot be resumed): it moves to ERROR
      // itself, fires StateChanged and calls _settle, which rejects.
      this.command("bootFailed", { reason: message });
      return;
    }
    this.rejectReady(new Error(message));
    const changed = JSON.stringify({ state: STATES.ERROR, previousState: STATES.INIT, accessCode: null, SID: null,
      siteCode: this.siteCode });
    setTimeout(() => {
      this.queuedListeners("StateChanged").forEach((fn) => deliverer("StateChanged", fn)(changed));
    }, 0);
  }

  // The listeners of one event that the page attached, and did not remove, before Python came.
  queuedListeners(name) {
    const listeners = [];
    this.pending.forEach((item) => {
      if (item[1] !== name) return;
      const at = listeners.indexOf(item[2]);
      if (item[0] === "listen" && at === -1) listeners.push(item[2]);
      if (item[0] === "remove" && at !== -1) listeners.splice(at, 1);
    });
    return listeners;
  }
}

function eventsOf(bridge) {
  const events = {};
  EVENT_NAMES.forEach((name) => {
    events[name] = Object.freeze({
      listen(fn) {
        if (typeof fn !== "function") {
          throw new TypeError("Cobrowse.Events." + name + ".listen() needs a function, got " + typeof fn);
        }
        bridge.listen(name, fn);
      },
      removeListener(fn) {
        if (typeof fn === "function") bridge.removeListener(name, fn);
      },
    });
  });
  return Object.freeze(events);
}

function sessionOf(bridge) {
  const session = {
    getState: () => bridge.state(),
    start: (options) => bridge.answer("start", options),
    stop: (options) => bridge.answer("stop", options),
    allowControl: () => bridge.answer("allowControl"),
    denyControl: () => bridge.answer("denyControl"),
    revokeControl: () => bridge.answer("revokeControl"),
  };
  // What agents may use on this page now: data-agent-tools, less pointing and drawing while the
  // visitor has turned them off.
  Object.defineProperty(session, "agentTools", {
    enumerable: true,
    get() { return bridge.core ? bridge.command("info").agentTools : undefined; },
  });
  ["accessCode", "SID", "mode"].forEach((name) => {
    Object.defineProperty(session, name, {
      enumerable: true,
      get() {
        const value = bridge.core ? bridge.command("info")[name] : undefined;
        return value === null ? undefined : value;
      },
    });
  });
  return session;
}

// The object the page knows as window.Cobrowse (cobrowse.d.ts declares its public part).
export function createCobrowse(bridge, page, liveView, control, overlay) {
  const popup = (which) => (flag) => bridge.popup(which, !!flag);
  return {
    Events: eventsOf(bridge),
    States: Object.freeze(Object.assign({}, STATES)),
    API: {
      Session: sessionOf(bridge),
      checkEnvironment: () => ({ [MODE_ICB]: true, [MODE_ACB]: true }),
      DefaultUI: {
        navigatingAwayPopupEnabled: popup("navigatingAway"),
        sessionEndedPopupEnabled: popup("sessionEnded"),
      },
    },
    ready(callback) {
      if (typeof callback !== "function") return bridge.ready;
      const called = bridge.ready.then(callback);
      called.catch(() => {}); // The callback style has no way to hear a failure.
      return called;
    },
    // Internal: read by Python at boot.
    _options: JSON.stringify(page),
    _attach: (listen, removeListener, command) => bridge.attach(listen, removeListener, command),
    // Internal: Python calls this once the state has left INIT.
    _settle: () => bridge.settle(),
    // Internal: the boot script calls this when the widget's Python raised.
    _fail: (message) => bridge.guard.fail("the widget failed to start: " + message),
    _live: liveView,
    _control: control,
    _overlay: overlay,
  };
}
