/*
 * cobrowse.js: the one script tag a site adds to its pages.
 *
 *   <script src="https://cobrowse.example/static/cobrowse.js" data-site-code="ACME-1"></script>
 *
 * This loader is deliberately small and holds no co-browse logic. It defines window.Cobrowse at
 * once, so page scripts can attach listeners right after the tag, then starts PyScript with the
 * vendored runtime and hands everything to Python (cobrowse/browser/), which owns the state
 * machine, event dispatch, the link hook, the widget UI and the server connection. Listeners
 * attached before Python is up are queued here and handed over when it takes control.
 *
 * The runtimes: the co-browse core always runs on MicroPython on the main thread, where it boots
 * in a few hundred milliseconds without a long task. data-runtime="pyodide" is for the page's
 * own Python: its <script type="py" worker> tags get CPython (Pyodide) from this server, off the
 * main thread, and hear the events over the page's events feed (cobrowse/core/feed.py, and
 * cobrowse/browser/worker.py on their side). The page never waits for CPython, and never freezes.
 */
(function () {
  "use strict";
  if (window.Cobrowse && window.Cobrowse.Events) return; // The tag was included twice.

  var script = document.currentScript;
  var attr = function (name, fallback) {
    var value = script && script.getAttribute(name);
    return value === null || value === undefined || value === "" ? fallback : value;
  };
  var base = new URL(".", script.src).href; // .../static/
  var server = attr("data-server", new URL(script.src).origin).replace(/\/+$/, "");
  var runtime = attr("data-runtime", "micropython");
  if (runtime !== "micropython" && runtime !== "pyodide") {
    console.error("Cobrowse: unknown data-runtime " + JSON.stringify(runtime) + "; using micropython");
    runtime = "micropython";
  }
  var options = {
    siteCode: attr("data-site-code", "default"),
    server: server,
    runtime: runtime,
    domains: attr("data-domains", ""),
    mask: attr("data-mask", ""),
    networkTimeout: attr("data-network-timeout", ""),
    ui: attr("data-ui", "default") === "none" ? "none" : "default",
  };

  var NAMES = ["SessionStarting", "SessionStarted", "SessionEnded", "AgentConnected",
    "AgentDisconnected", "StateChanged", "NavigatingAway"];

  // The events feed (cobrowse/core/feed.py): with data-runtime="pyodide", the page's own Python runs
  // on CPython in PyScript workers and hears every event over a channel of this page's own.
  // The events are kept, so that a worker that starts late still hears them all, in order.
  var feed = null;
  if (runtime === "pyodide" && typeof BroadcastChannel === "function") {
    feed = {
      name: "cobrowse-events-" + Math.random().toString(36).slice(2) + Date.now().toString(36),
      events: [],
    };
    feed.channel = new BroadcastChannel(feed.name);
    feed.channel.onmessage = function (message) {
      var hello = null;
      try {
        hello = JSON.parse(message.data);
      } catch (error) {
        return; // Not a message of the feed.
      }
      if (!hello || hello.kind !== "hello") return;
      feed.channel.postMessage(JSON.stringify({ kind: "welcome", to: hello.from, events: feed.events }));
    };
  }
  function relay(name, json) {
    feed.events.push([name, json]);
    feed.channel.postMessage(JSON.stringify({ kind: "event", name: name, json: json }));
  }

  // Python takes over by calling Cobrowse._attach(listen, removeListener, command).
  var core = null;
  var pending = [];
  var ids = new WeakMap();
  var nextId = 1;
  var resolveReady, rejectReady;
  var readyPromise = new Promise(function (resolve, reject) { resolveReady = resolve; rejectReady = reject; });
  readyPromise.catch(function () {}); // A page that never asks is not told of a failure as uncaught.

  function keyOf(fn) {
    if (!ids.has(fn)) ids.set(fn, nextId++);
    return ids.get(fn);
  }

  // Listeners get one plain object; properties the event has no value for are undefined.
  // A listener that throws is reported here, in JS: an exception crossing back into
  // MicroPython cannot be caught there, and the other listeners must still be called.
  function deliverer(name, fn) {
    return function (json) {
      var event = JSON.parse(json);
      Object.keys(event).forEach(function (key) { if (event[key] === null) event[key] = undefined; });
      try {
        fn.call(undefined, event);
      } catch (error) {
        console.error("Cobrowse: a " + name + " listener threw:", error);
      }
    };
  }

  function makeEvent(name) {
    return Object.freeze({
      listen: function (fn) {
        if (typeof fn !== "function") {
          throw new TypeError("Cobrowse.Events." + name + ".listen() needs a function, got " + typeof fn);
        }
        if (core) core.listen(name, keyOf(fn), deliverer(name, fn));
        else pending.push(["listen", name, fn]);
      },
      removeListener: function (fn) {
        if (typeof fn !== "function") return;
        if (core) core.removeListener(name, keyOf(fn));
        else pending.push(["remove", name, fn]);
      },
    });
  }

  function command(name, args) {
    return JSON.parse(core.command(name, JSON.stringify(args || {})));
  }

  var notReady = { result: false, description: "Co-browse is not ready yet: wait for Cobrowse.ready()" };
  var events = {};
  NAMES.forEach(function (name) { events[name] = makeEvent(name); });

  var session = {
    getState: function () { return core ? command("state").state : boot.failure ? "ERROR" : "INIT"; },
    start: function (opts) { return core ? command("start", opts) : boot.failure ? unavailable() : notReady; },
    stop: function (opts) { return core ? command("stop", opts) : boot.failure ? unavailable() : notReady; },
    allowControl: function () { return core ? command("allowControl") : boot.failure ? unavailable() : notReady; },
    denyControl: function () { return core ? command("denyControl") : boot.failure ? unavailable() : notReady; },
    revokeControl: function () { return core ? command("revokeControl") : boot.failure ? unavailable() : notReady; },
  };
  ["accessCode", "SID", "mode"].forEach(function (name) {
    Object.defineProperty(session, name, {
      enumerable: true,
      get: function () {
        var value = core ? command("info")[name] : undefined;
        return value === null ? undefined : value;
      },
    });
  });

  var popup = function (which) {
    return function (flag) { if (core) command("popup", { which: which, enabled: !!flag }); else pending.push(["popup", which, !!flag]); };
  };

  // The live view. Python decides when the page is recorded (start on the first agent, a new
  // full snapshot for a late joiner or a new connection, stop on the last agent); the stream of
  // changes itself stays here in JS, so a busy page never waits on the Python runtime. rrweb is
  // fetched only when the first agent joins, so it costs nothing at boot.
  // Private data is masked here, before anything leaves the page: every input's value goes
  // through maskInputFn, which keeps it only for fields that are not private.
  var PRIVATE_AUTOCOMPLETE = /\b(cc-number|cc-csc|one-time-code|current-password|new-password)\b/;
  var PLACEHOLDER = "\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022";
  var privateSelector = ["[data-cobrowse-mask]"].concat(
    options.mask.split(",").map(function (part) { return part.trim(); }).filter(Boolean)
  ).join(", ");
  function isPrivate(element) {
    if (!element || !element.getAttribute) return false;
    var type = (element.getAttribute("type") || "").toLowerCase();
    if (type === "password" || type === "hidden") return true;
    if (PRIVATE_AUTOCOMPLETE.test(element.getAttribute("autocomplete") || "")) return true;
    try {
      return !!element.closest(privateSelector);
    } catch (error) {
      return true; // A broken data-mask selector masks everything rather than nothing.
    }
  }
  var rrwebLoading = null;
  function loadRrweb() {
    if (window.rrweb && window.rrweb.record) return Promise.resolve(window.rrweb);
    if (!rrwebLoading) {
      rrwebLoading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = base + "rrweb/rrweb.min.js";
        tag.crossOrigin = "anonymous";
        tag.onload = function () { resolve(window.rrweb); };
        tag.onerror = function () { reject(new Error("could not load " + tag.src)); };
        document.head.appendChild(tag);
      });
    }
    return rrwebLoading;
  }
  // A snapshot is taken in a task of its own (a timer's), so that it adds to no other long task:
  // neither the evaluation of rrweb's script (the browser fires its load event in that same
  // task) nor the Python runtime's handler that asked for the snapshot.
  function inNextTask(value) {
    return new Promise(function (resolve) { setTimeout(function () { resolve(value); }, 0); });
  }
  // A message this long (a full snapshot, in practice) is sent from the task after the one that
  // encodes it: on a big page each step takes tens of milliseconds, and two such tasks block
  // the page less than one that does both.
  var LONG_MESSAGE = 65536;
  var live = { socket: null, stop: null, queue: [], flushing: false, channel: null, encoded: null };
  function sendLive(text) {
    if (live.socket && live.socket.readyState === 1) live.socket.send(text);
  }
  function flushLive() {
    live.flushing = false;
    if (live.encoded !== null) {
      sendLive(live.encoded);
      live.encoded = null;
    }
    var events = live.queue;
    live.queue = [];
    if (!events.length || !live.socket || live.socket.readyState !== 1) return;
    // Compact, with v and type first: the protocol lets only this shape be large.
    var text = JSON.stringify({ v: 1, type: "view", events: events });
    if (text.length < LONG_MESSAGE) {
      sendLive(text);
    } else {
      live.encoded = text;
      scheduleFlush();
    }
  }
  // Changes made in one task travel together, sent from the next task. A message channel
  // rather than setTimeout(0), which browsers delay by 4 ms inside nested timers.
  function scheduleFlush() {
    if (live.flushing) return;
    live.flushing = true;
    if (!live.channel) {
      live.channel = new MessageChannel();
      live.channel.port1.onmessage = flushLive;
    }
    live.channel.port2.postMessage(null);
  }
  // rrweb blocks the widget's host element but still follows changes inside its (open) shadow
  // root; replayed, they refer to nodes the agent never got and stall the replay. So the ids
  // the agent has are tracked, and changes under any other node are dropped: the agent sees
  // everything but the widget.
  var sentIds = new Set();
  // The widget host's rrweb id, looked up once per event. Blocked elements lose their
  // attributes in the snapshot, so there the widget is known by its id only.
  function widgetId() {
    var host = document.getElementById("cobrowse-widget");
    return host ? window.rrweb.record.mirror.getId(host) : null;
  }
  // Notes every id of a serialized subtree as sent and takes the widget out of it. A full
  // snapshot holds a node per element and per text and is learnt inside record()'s task, so
  // this is one loop over an explicit stack, with no array or function made per node.
  function learn(root, widget) {
    var stack = [root];
    while (stack.length) {
      var node = stack.pop();
      sentIds.add(node.id);
      var children = node.childNodes;
      if (!children) continue;
      for (var i = children.length - 1; i >= 0; i--) {
        if (children[i].id === widget) children.splice(i, 1);
        else stack.push(children[i]);
      }
    }
  }
  function withoutWidget(event) {
    if (event.type === 2 && event.data) {
      sentIds = new Set();
      if (event.data.node) learn(event.data.node, widgetId());
      return event;
    }
    if (event.type !== 3 || !event.data || event.data.source !== 0) return event;
    var data = event.data;
    var widget = widgetId();
    data.adds = (data.adds || []).filter(function (add) {
      if (!sentIds.has(add.parentId) || !add.node || add.node.id === widget) return false;
      learn(add.node, widget);
      return true;
    });
    data.removes = (data.removes || []).filter(function (item) { return sentIds.has(item.id); });
    data.texts = (data.texts || []).filter(function (item) { return sentIds.has(item.id); });
    data.attributes = (data.attributes || []).filter(function (item) { return sentIds.has(item.id); });
    var empty = !data.adds.length && !data.removes.length && !data.texts.length && !data.attributes.length;
    return empty ? null : event;
  }
  function emit(event) {
    event = withoutWidget(event);
    if (!event) return;
    live.queue.push(event);
    scheduleFlush();
  }
  var liveView = {
    // Record onto this socket; when already recording, send a new full snapshot on it.
    start: function (socket) {
      live.socket = socket;
      if (live.stop) {
        inNextTask().then(function () {
          if (live.stop) window.rrweb.record.takeFullSnapshot(true);
        });
        return;
      }
      loadRrweb().then(inNextTask).then(function (rrweb) {
        if (!live.socket || live.stop) return;
        live.stop = rrweb.record({
          emit: emit,
          blockSelector: "#cobrowse-widget",
          maskAllInputs: false,
          maskInputOptions: { color: true, date: true, "datetime-local": true, email: true, month: true,
            number: true, range: true, search: true, tel: true, text: true, time: true, url: true,
            week: true, textarea: true, select: true, password: true, input: true },
          maskInputFn: function (text, element) { return isPrivate(element) ? PLACEHOLDER : text; },
          maskTextSelector: privateSelector,
          maskTextFn: function () { return PLACEHOLDER; },
          // Scripts are never sent: the agent's copy must not run them, and inline scripts
          // may hold data of their own.
          slimDOMOptions: { script: true, comment: true },
          recordCanvas: false,
          collectFonts: false,
          // rrweb's default keeps one pointer position per 50 ms and drops the last one when it
          // comes sooner, so the agent would see the pointer short of where it stopped. Every
          // position is kept instead (browsers send at most one mousemove a frame). They travel
          // in batches of 50 ms rather than rrweb's 500 ms, which is a recording's pace, not a
          // live view's: the agent follows the pointer a tenth of a second behind at most.
          sampling: { mousemove: 0, mousemoveCallback: 50 },
        }) || null;
      }).catch(function (error) {
        console.error("Cobrowse: the live view is not available:", error);
      });
    },
    stop: function () {
      live.socket = null;
      live.queue = [];
      live.encoded = null;
      if (live.stop) {
        live.stop();
        live.stop = null;
      }
    },
  };

  // Remote control. Python decides whether an agent's action may run (cobrowse/core/control.py:
  // consent, the element, the visitor's own input); these functions only describe the target
  // (inspect) and then act on it the way a person's input would (perform), so that the page's
  // framework notices: the full pointer sequence, values set through the prototype's setter
  // followed by a bubbling input event, keyCode/which for old code, and Enter submitting forms
  // through requestSubmit, since script-made events have no default action.
  var FOCUSABLE = "a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]";
  var TEXT_TYPES = /^(text|search|email|url|tel|number|)$/;
  var KEY_CODES = { Enter: 13, Tab: 9, Escape: 27, Backspace: 8, Delete: 46, ArrowLeft: 37, ArrowUp: 38,
    ArrowRight: 39, ArrowDown: 40, Home: 36, End: 35 };
  var steer = { visitorAt: 0, target: null, dirty: null, pointer: null };
  // The visitor's own input (trusted events only: the agent's are script-made) holds agents off.
  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"].forEach(function (type) {
    window.addEventListener(type, function (event) {
      // Input on the widget itself (Allow, Stop control) is not the visitor using the page.
      if (event.isTrusted && !(event.target && event.target.id === "cobrowse-widget")) steer.visitorAt = Date.now();
    }, { capture: true, passive: true });
  });
  function deepActive() {
    var element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    return element || document.body;
  }
  function targetOf(action) {
    if (action.kind === "key") return deepActive();
    var node = null;
    if (action.id >= 0) {
      node = window.rrweb && window.rrweb.record ? window.rrweb.record.mirror.getNode(action.id) : null;
    } else {
      node = document.elementFromPoint(action.x, action.y);
    }
    if (node && node.nodeType === 3) node = node.parentNode;
    return node && node.nodeType === 1 && node.isConnected ? node : null;
  }
  function isEditable(element) {
    if (element.isContentEditable) return true;
    if (element.disabled || element.readOnly) return false;
    if (element.localName === "textarea") return true;
    return element.localName === "input" && TEXT_TYPES.test((element.getAttribute("type") || "").toLowerCase());
  }
  function facts(element) {
    if (!element) return { found: false, visitorIdleMs: Date.now() - steer.visitorAt };
    var link = element.closest("a[href], area[href]");
    return {
      found: true,
      tag: element.localName,
      type: (element.getAttribute("type") || "").toLowerCase(),
      private: isPrivate(element),
      noControl: !!element.closest("[data-cobrowse-no-control], #cobrowse-widget"),
      editable: isEditable(element),
      link: link ? String(link.href && link.href.baseVal !== undefined ? new URL(link.href.baseVal, document.baseURI) : link.href) : null,
      visitorIdleMs: Date.now() - steer.visitorAt,
    };
  }
  function fire(target, type, init, Kind) {
    var options = Object.assign({ bubbles: true, cancelable: true, composed: true, view: window }, init);
    var event = new (Kind || MouseEvent)(type, options);
    if (options.keyCode !== undefined) {
      // Chromium ignores keyCode and which in the init dictionary; old code still reads them.
      Object.defineProperty(event, "keyCode", { value: options.keyCode });
      Object.defineProperty(event, "which", { value: options.keyCode });
      Object.defineProperty(event, "charCode", { value: options.charCode || 0 });
    }
    return target.dispatchEvent(event);
  }
  // A field the agent typed into gets its change event when the agent moves on, as a person's.
  function settle(next) {
    if (steer.dirty && steer.dirty !== next) {
      var field = steer.dirty;
      steer.dirty = null;
      fire(field, "change", {}, Event);
    }
  }
  function focusOn(element) {
    var focusable = element.closest(FOCUSABLE);
    settle(focusable);
    if (focusable) focusable.focus({ preventScroll: true });
    else if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  }
  function pointerInit(action, buttons, detail) {
    return { clientX: action.x, clientY: action.y, screenX: action.x, screenY: action.y, button: 0, buttons: buttons,
      detail: detail, pointerId: 1, pointerType: "mouse", isPrimary: true };
  }
  function click(element, action, detail) {
    fire(element, "pointerover", pointerInit(action, 0, 0), PointerEvent);
    fire(element, "mouseover", pointerInit(action, 0, 0));
    var down = fire(element, "pointerdown", pointerInit(action, 1, detail), PointerEvent);
    if (fire(element, "mousedown", pointerInit(action, 1, detail)) && down) focusOn(element);
    fire(element, "pointerup", pointerInit(action, 0, detail), PointerEvent);
    fire(element, "mouseup", pointerInit(action, 0, detail));
    // A click event runs the element's activation behaviour: links, checkboxes, radios, buttons.
    fire(element, "click", pointerInit(action, 0, detail));
  }
  function setValue(field, value, caret) {
    var proto = field.localName === "textarea" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
    Object.getOwnPropertyDescriptor(proto, "value").set.call(field, value);
    try { field.setSelectionRange(caret, caret); } catch (error) { /* number and email have no caret */ }
  }
  function edit(field, inputType, data) {
    if (!fire(field, "beforeinput", { inputType: inputType, data: data }, InputEvent)) return;
    if (field.isContentEditable) {
      document.execCommand(inputType === "insertText" ? "insertText" : inputType === "insertLineBreak" ? "insertLineBreak" : "delete", false, data);
      return;
    }
    var value = field.value;
    var start = field.selectionStart === null ? value.length : field.selectionStart;
    var end = field.selectionEnd === null ? value.length : field.selectionEnd;
    if (inputType === "deleteContentBackward" && start === end) start = Math.max(0, start - 1);
    if (inputType === "deleteContentForward" && start === end) end = Math.min(value.length, end + 1);
    var text = data || "";
    setValue(field, value.slice(0, start) + text + value.slice(end), start + text.length);
    steer.dirty = field;
    fire(field, "input", { inputType: inputType, data: data }, InputEvent);
  }
  function moveFocus(back) {
    var all = Array.prototype.filter.call(document.querySelectorAll(FOCUSABLE), function (element) {
      return element.tabIndex >= 0 && !element.disabled && element.getClientRects().length && !element.closest("#cobrowse-widget");
    });
    var at = all.indexOf(deepActive());
    var next = back ? all[at <= 0 ? all.length - 1 : at - 1] : all[(at + 1) % all.length];
    if (next) { settle(next); next.focus(); }
  }
  function enter(element) {
    if (element.localName === "textarea" || element.isContentEditable) return edit(element, element.isContentEditable ? "insertLineBreak" : "insertText", element.isContentEditable ? null : "\n");
    if (element.localName === "input" && element.form) {
      settle(null);
      var form = element.form;
      var submitter = form.querySelector("button:not([type]), button[type=submit], input[type=submit], input[type=image]");
      if (submitter && submitter.disabled) return;
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    } else if (/^(a|button|summary)$/.test(element.localName) || element.getAttribute("role") === "button") {
      element.click();
    }
  }
  function press(element, action) {
    var key = action.key;
    var printable = key.length === 1;
    var init = { key: key, code: printable ? "" : key, shiftKey: action.shiftKey, ctrlKey: action.ctrlKey,
      altKey: action.altKey, metaKey: action.metaKey,
      keyCode: printable ? key.toUpperCase().charCodeAt(0) : KEY_CODES[key], charCode: 0 };
    if (fire(element, "keydown", init, KeyboardEvent)) {
      if (printable) {
        init.keyCode = init.charCode = key.charCodeAt(0);
        if (fire(element, "keypress", init, KeyboardEvent) && !action.ctrlKey && !action.metaKey) edit(element, "insertText", key);
      } else if (key === "Enter") {
        enter(element);
      } else if (key === "Tab") {
        moveFocus(action.shiftKey);
      } else if (key === "Backspace" || key === "Delete") {
        if (isEditable(element)) edit(element, key === "Backspace" ? "deleteContentBackward" : "deleteContentForward", null);
      } else if (/^(ArrowLeft|ArrowRight|Home|End)$/.test(key) && element.setSelectionRange && element.selectionStart !== null) {
        var caret = key === "Home" ? 0 : key === "End" ? element.value.length :
          element.selectionStart + (key === "ArrowLeft" ? -1 : 1);
        caret = Math.max(0, Math.min(element.value.length, caret));
        element.setSelectionRange(caret, caret);
      }
    }
    init.keyCode = printable ? key.toUpperCase().charCodeAt(0) : KEY_CODES[key];
    init.charCode = 0;
    fire(element, "keyup", init, KeyboardEvent);
  }
  function scrollable(element, dx, dy) {
    for (var node = element; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
      var style = getComputedStyle(node);
      if ((dy && /(auto|scroll)/.test(style.overflowY) && node.scrollHeight > node.clientHeight) ||
          (dx && /(auto|scroll)/.test(style.overflowX) && node.scrollWidth > node.clientWidth)) return node;
    }
    return null;
  }
  var control = {
    // Facts about the element an action (JSON) is for, as JSON, for Python to decide on.
    inspect: function (actionJson) {
      var action = JSON.parse(actionJson);
      steer.target = targetOf(action);
      return JSON.stringify(facts(steer.target));
    },
    // Perform the action (JSON) that Python allowed on the element inspect() found.
    perform: function (actionJson) {
      var action = JSON.parse(actionJson);
      var element = steer.target;
      steer.target = null;
      if (action.kind === "move") {
        if (steer.pointer) steer.pointer.style.transform = "translate(" + action.x + "px, " + action.y + "px)";
        // The pointer is drawn anywhere; the page hears it only where agents may act.
        var shown = element && facts(element);
        if (shown && !shown.private && !shown.noControl) fire(element, "mousemove", pointerInit(action, 0, 0));
        return;
      }
      if (!element) return;
      if (action.kind === "click") click(element, action, 1);
      // The clicks of a double click come as clicks of their own: only the dblclick is left.
      else if (action.kind === "dblclick") fire(element, "dblclick", pointerInit(action, 0, 2));
      else if (action.kind === "key") press(element, action);
      else if (action.kind === "choose" && action.index < element.options.length) {
        focusOn(element);
        element.selectedIndex = action.index;
        fire(element, "input", {}, Event);
        fire(element, "change", {}, Event);
      } else if (action.kind === "wheel") {
        if (fire(element, "wheel", Object.assign(pointerInit(action, 0, 0), { deltaX: action.dx, deltaY: action.dy, deltaMode: 0 }), WheelEvent)) {
          var box = scrollable(element, action.dx, action.dy);
          (box || window).scrollBy(action.dx, action.dy);
        }
      }
    },
    // The element that shows the agent's pointer (in the widget's shadow root), or null.
    pointer: function (element) { steer.pointer = element || null; },
  };

  window.Cobrowse = {
    Events: Object.freeze(events),
    States: Object.freeze({
      INIT: "INIT", READY: "READY", STARTING: "STARTING",
      ACTIVE_WAIT: "ACTIVE:WAIT", ACTIVE_ACTIVE: "ACTIVE:ACTIVE",
      ACTIVE_ESCALATING: "ACTIVE:ESCALATING", ACTIVE_ESCALATED: "ACTIVE:ESCALATED",
      DISCONNECTING: "DISCONNECTING", ERROR: "ERROR",
    }),
    API: {
      Session: session,
      checkEnvironment: function () { return { ICB: true, ACB: true }; },
      DefaultUI: {
        navigatingAwayPopupEnabled: popup("navigatingAway"),
        sessionEndedPopupEnabled: popup("sessionEnded"),
      },
    },
    ready: function (callback) {
      if (typeof callback !== "function") return readyPromise;
      var called = readyPromise.then(callback);
      called.catch(function () {}); // The callback style has no way to hear a failure.
      return called;
    },
    // Internal: read by Python at boot.
    _options: JSON.stringify(options),
    _attach: function (listen, removeListener, commandFn) {
      if (boot.failure) return; // Too late: the page has been told co-browse is unavailable.
      core = { listen: listen, removeListener: removeListener, command: commandFn };
      if (feed) {
        NAMES.forEach(function (name) {
          core.listen(name, "feed", function (json) { relay(name, json); });
        });
      }
      pending.forEach(function (item) {
        if (item[0] === "listen") core.listen(item[1], keyOf(item[2]), deliverer(item[1], item[2]));
        else if (item[0] === "remove") core.removeListener(item[1], keyOf(item[2]));
        else command("popup", { which: item[1], enabled: item[2] });
      });
      pending = [];
      var booted = command("boot");
      if (!booted.result) bootFailed("the widget failed to start: " + booted.description);
      else if (!boot.settled) startBootTimer(); // The server has as long to restore the session.
    },
    // Internal: Python calls this once the state has left INIT (READY, a session resumed
    // after a page load, or ERROR when the boot guard gave up).
    _settle: function () {
      boot.settled = true;
      clearTimeout(boot.timer);
      if (boot.failure) rejectReady(new Error(boot.failure));
      else resolveReady(window.Cobrowse);
    },
    // Internal: the boot script calls this when the widget's Python raised.
    _fail: function (message) { bootFailed("the widget failed to start: " + message); },
    _live: liveView,
    _control: control,
  };

  // -- The boot guard ---------------------------------------------------------------------
  // Cobrowse.ready() always settles: it resolves once Python has left INIT, or rejects with an
  // Error saying what failed: the page's Content-Security-Policy blocked the runtime, the
  // runtime threw while starting, the server could not be reached, or nothing happened within
  // data-boot-timeout seconds. Then the state is ERROR, StateChanged INIT -> ERROR fires, and
  // start() answers {result: false}. Whatever the runtime throws is caught here, reported once
  // on the console, and kept from the page's own error handlers.
  var BOOT_SCRIPT = [
    "try:",
    "    import cobrowse.browser",
    "    cobrowse.browser.main()",
    "except Exception as error:",
    "    import js",
    "    js.window.Cobrowse._fail(repr(error))",
    "",
  ].join("\n");
  // Violations of these directives stop the runtime; others (an image, a style) do not.
  var FATAL_DIRECTIVES = /^(script-src|connect-src|worker-src|child-src|default-src)/;
  // A failure that a Content-Security-Policy report may yet explain waits this long for it:
  // browsers fire the report and the failure it causes in no fixed order.
  var CSP_REPORT_GRACE_MS = 100;
  var boot = { settled: false, failure: null, candidate: null, timer: null, thrown: false, workersBlocked: false };
  // The core runs on MicroPython whatever data-runtime says: Pyodide's start is not waited for.
  var BOOT_SECONDS = 30;
  var bootSeconds = Number(attr("data-boot-timeout", String(BOOT_SECONDS)));
  if (!(bootSeconds > 0)) {
    console.error("Cobrowse: data-boot-timeout must be a number of seconds above 0; using " + BOOT_SECONDS);
    bootSeconds = BOOT_SECONDS;
  }
  var runtimeFiles = ["pyscript/", "micropython/", "pyodide/"].map(function (dir) { return base + dir; });

  function describe(error) {
    return error && error.message ? error.message : String(error);
  }
  function unavailable() {
    return { result: false, description: "Co-browse is unavailable: " + boot.failure };
  }

  // Fail now, or, with waitForCsp, after a grace in which a CSP report may give the reason. A
  // report that the page's Python workers were blocked explains the failure as theirs: it was
  // said already, and the widget goes on without them.
  function bootFailed(message, cause, waitForCsp) {
    if (boot.failure) return;
    if (waitForCsp) {
      if (!boot.candidate) {
        boot.candidate = [message, cause];
        setTimeout(function () {
          var candidate = boot.candidate;
          boot.candidate = null;
          if (!boot.workersBlocked) bootFailed(candidate[0], candidate[1]);
        }, CSP_REPORT_GRACE_MS);
      }
      return;
    }
    boot.failure = message;
    clearTimeout(boot.timer);
    console.error("Cobrowse: co-browse is unavailable on this page: " + message, cause || "");
    if (core) {
      // Python is up but stuck in INIT (a session that cannot be resumed): it moves to ERROR
      // itself, fires StateChanged and calls _settle, which rejects.
      command("bootFailed", { reason: message });
      return;
    }
    rejectReady(new Error(message));
    var changed = JSON.stringify({ state: "ERROR", previousState: "INIT", accessCode: null, SID: null,
      siteCode: options.siteCode });
    setTimeout(function () {
      queuedListeners("StateChanged").forEach(function (fn) { deliverer("StateChanged", fn)(changed); });
    }, 0);
  }

  // The listeners of one event that the page attached, and did not remove, before Python came.
  function queuedListeners(name) {
    var listeners = [];
    pending.forEach(function (item) {
      if (item[1] !== name) return;
      var at = listeners.indexOf(item[2]);
      if (item[0] === "listen" && at === -1) listeners.push(item[2]);
      if (item[0] === "remove" && at !== -1) listeners.splice(at, 1);
    });
    return listeners;
  }

  // The runtime has bootSeconds to start; then a session this tab resumes has as long again
  // for the server to restore it.
  function startBootTimer() {
    clearTimeout(boot.timer);
    boot.timer = setTimeout(function () {
      var stuck = core ? "the co-browse server at " + server + " did not answer" : "the co-browse runtime did not start";
      bootFailed(stuck + " within " + bootSeconds + " s (data-boot-timeout)");
    }, bootSeconds * 1000);
  }
  startBootTimer();

  function isOurs(url) {
    return typeof url === "string" && runtimeFiles.some(function (prefix) { return url.indexOf(prefix) === 0; });
  }
  // The runtime's files: the first script URL on the stack (after the message, which may
  // hold URLs of its own) says whose code threw.
  function thrownByRuntime(filename, error) {
    var stack = error && typeof error.stack === "string" ? error.stack : "";
    var message = describe(error);
    var at = stack.indexOf(message);
    var first = (at === -1 ? stack : stack.slice(at + message.length)).match(/(https?|blob):[^\s)]+/);
    return isOurs(first ? first[0] : filename);
  }
  function swallowRuntimeError(event, error) {
    if (!thrownByRuntime(event.filename, error)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!boot.settled) {
      bootFailed("the co-browse runtime failed to start: " + describe(error), error, true);
    } else if (!boot.failure && !boot.thrown) {
      boot.thrown = true;
      console.error("Cobrowse: the co-browse runtime threw (later errors are not reported):", error);
    }
  }
  window.addEventListener("error", function (event) { swallowRuntimeError(event, event.error || event.message); }, true);
  window.addEventListener("unhandledrejection", function (event) { swallowRuntimeError(event, event.reason); }, true);

  document.addEventListener("securitypolicyviolation", function (event) {
    var directive = event.effectiveDirective || event.violatedDirective || "";
    var blocked = event.blockedURI || "";
    var ours = isOurs(event.sourceFile) || isOurs(blocked) || blocked.indexOf(root) === 0 ||
      blocked.indexOf(server.replace(/^http/, "ws")) === 0;
    if (!ours || !FATAL_DIRECTIVES.test(directive)) return;
    if (blocked.indexOf("blob") === 0) {
      // Only the page's own Python workers (data-runtime="pyodide") use blob: URLs; the widget
      // works without them, so this is said once and is no failure of the boot.
      if (!boot.workersBlocked) {
        boot.workersBlocked = true;
        console.error("Cobrowse: the page's Content-Security-Policy blocked the Python workers of " +
          "data-runtime=\"pyodide\" (" + directive + " does not allow blob:); see Content-Security-Policy in the cobrowse README");
      }
      return;
    }
    if (boot.failure || boot.settled) return;
    var what = blocked === "eval" ? "'unsafe-eval'" : blocked === "wasm-eval" ? "'wasm-unsafe-eval'" : blocked;
    bootFailed("the page's Content-Security-Policy blocked the co-browse runtime (" + directive + " does not allow " +
      what + (event.sourceFile ? ", needed by " + event.sourceFile : "") + "); see Content-Security-Policy in the cobrowse README");
  }, true);

  // Start PyScript with our config. The server's manifest names the Python files (the core's
  // "files", the page's own Python's "worker-files"); their URLs are made absolute here, because PyScript resolves relative ones against the
  // visitor's page, which may be on another origin than this server. PyScript reads configs
  // when it is imported, so the script tag goes in first; a modulepreload fetches PyScript
  // meanwhile. Module URLs carry the server's build hash, so browsers keep them for good, and
  // are preloaded now rather than once the interpreter is up.
  var root = new URL("..", base).href;
  var pyscriptUrl = base + "pyscript/core.js";
  var interpreterUrl = base + "micropython/micropython.mjs";
  function hint(rel, href, priority) {
    var link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    link.crossOrigin = "anonymous";
    if (priority) link.fetchPriority = priority;
    if (rel === "preload") link.as = "fetch";
    document.head.appendChild(link);
  }

  // The page's own Python under data-runtime="pyodide": every <script type="py" worker> without
  // a config of its own gets this one (CPython from this server, the [worker-files] package and
  // the feed's channel) before PyScript sees it. PyScript is imported after this has run, so
  // this observer sees each tag added later before PyScript's own observer does. Main-thread
  // <script type="py"> tags, which freeze the page while CPython starts, get it as <py-config>.
  var PAGE_PYTHON = 'script[type="py"]';
  function configurePagePython(config) {
    function configure(node) {
      if (node.matches(PAGE_PYTHON + "[worker]") && !node.hasAttribute("config")) node.setAttribute("config", config);
    }
    function configureAll(node) {
      if (node.nodeType !== 1) return;
      configure(node);
      Array.prototype.forEach.call(node.querySelectorAll(PAGE_PYTHON), configure);
    }
    configureAll(document.documentElement);
    new MutationObserver(function (records) {
      records.forEach(function (record) { Array.prototype.forEach.call(record.addedNodes, configureAll); });
    }).observe(document.documentElement, { childList: true, subtree: true });
    if (!document.querySelector("py-config, " + PAGE_PYTHON + "[config]:not([worker])")) {
      var shared = document.createElement("py-config");
      shared.setAttribute("type", "json");
      shared.textContent = config;
      document.head.appendChild(shared);
    }
  }

  // PyScript finds the interpreter (and MicroPython its wasm) only once its own code has run:
  // fetched now, they are there when it asks.
  hint("modulepreload", pyscriptUrl);
  hint("modulepreload", interpreterUrl);
  hint("preload", base + "micropython/micropython.wasm");
  var build = "";
  fetch(root + "cobrowse/manifest.json").then(function (response) {
    if (!response.ok) throw new Error("cobrowse/manifest.json: HTTP " + response.status);
    build = response.headers.get("X-Cobrowse-Build") || "";
    return response.json();
  }).then(function (manifest) {
    var tables = { files: {}, "worker-files": {} };
    Object.keys(tables).forEach(function (table) {
      var files = manifest[table] || {};
      Object.keys(files).forEach(function (path) {
        var url = new URL(path, root);
        if (build) url.searchParams.set("v", build);
        tables[table][url.href] = files[path];
        // Needed only once the interpreter runs: after PyScript's own code.
        if (table === "files") hint("preload", url.href, "low");
      });
    });
    var tag = document.createElement("script");
    tag.type = "mpy";
    tag.setAttribute("config", JSON.stringify({
      interpreter: interpreterUrl,
      files: tables.files,
      // PyScript's error plugin writes Python errors into the page as a banner: never ours.
      plugins: ["!error"],
    }));
    tag.textContent = BOOT_SCRIPT;
    document.head.appendChild(tag);
    if (feed) {
      configurePagePython(JSON.stringify({
        interpreter: base + "pyodide/pyodide.mjs",
        files: tables["worker-files"],
        cobrowse: { channel: feed.name },
      }));
    }
    return import(pyscriptUrl).catch(function (error) {
      bootFailed("could not load PyScript from " + pyscriptUrl + ": " + describe(error), error, true);
    });
  }, function (error) {
    if (error instanceof TypeError) {
      bootFailed("the co-browse server at " + root + " is unreachable (" + describe(error) + ")", error, true);
    } else {
      bootFailed("the co-browse server at " + root + " could not serve the widget: " + describe(error), error);
    }
  });
})();
