"""Live view benchmark: how far behind the visitor's page the agent's replayed copy runs.

Run it with ``.venv/bin/python bench/liveview.py [--runtime pyodide]`` (about 2 to 3 minutes). It
starts a cobrowse server (``python -m cobrowse serve``), a customer site on another origin
(``http://localhost:PORT``) and one headless Chromium (``/usr/bin/chromium``). It measures five
things in the same run:

1. Latency. The visitor's page embeds the widget (MicroPython unless ``--runtime pyodide``),
   starts a session through ``Cobrowse.API.Session.start()``, and an agent joins it from the
   console (``/agent?key=KEY``) in another browser context. A driver in the visitor's page then
   changes the DOM at a steady rate (10 and 100 changes per second, ``--seconds`` 10 s each):
   ``el.textContent = "tick-" + n`` (or, with ``--mode append``, it appends
   ``<span data-n=N>tick-N</span>``), stamping each change with ``performance.timeOrigin +
   performance.now()`` just before making it. Each change is made in a MessageChannel task, as a
   change caused by an event or a network response would be (see the driver for why), at a
   random fraction of a frame after its slot. In the console, a MutationObserver watches the
   document of the replay iframe inside ``#replay`` (installed again whenever that iframe or its
   document is replaced) and stamps each tick the first time it is there, with the same clock.
   Both contexts run in one Chromium on one machine, so the two stamps are on one wall clock; the
   script checks this by reading the agent's clock between two readings of the visitor's and
   reports the offset. Latency is arrival minus change; a tick that has not arrived
   ``--drain-ms`` after the last one is lost. Two more stamps split it: when the visitor's page
   hands the tick's ``view`` message to ``WebSocket.send`` (a wrapper of
   ``WebSocket.prototype.send``) and when the console's socket delivers it (a listener registered
   before the console's own).
2. The visitor's main-thread time for the first full snapshot, on pages of 1,000 and 10,000
   elements (rows of five elements), each for ``--rounds`` fresh visitors. When the agent joins,
   cobrowse.js fetches rrweb and calls ``rrweb.record(...)``: that call is timed in the page (a
   wrapper installed on ``window.rrweb`` as rrweb defines it). It sets up rrweb's observers and
   serializes the whole DOM, with masking, into the Meta and FullSnapshot events,
   synchronously. cobrowse.js then encodes them in a task of their own and, the message being
   long, sends it from the next; the ``JSON.stringify`` and ``WebSocket.send`` of that message
   are timed by wrappers. The three together are the main-thread time the target applies to; the
   visitor's longest task between the agent's click on Join and the page in the agent's replay
   (a ``longtask`` PerformanceObserver) is reported next to it, and so is the main thread's CPU
   time from the start of ``record()`` to the send (the thread time of its tasks in a Chromium
   trace), which unlike wall time does not grow while other processes hold the machine's CPUs
   (at the join, the agent's console and the server are busy too). On the first round,
   ``--repeats`` more ``rrweb.record.takeFullSnapshot(true)`` calls (what a reconnect or the
   server's ``snapshot`` request costs; a late joiner costs nothing, being served from the
   server's log of the view) are timed the same way, and ticks are driven at 10/s for
   ``--big-seconds`` right after the join, to show whether a big snapshot leaves the replay behind. The time from the start of ``record()`` until the page
   is in the agent's replay is split into: until the message is sent, until the console receives
   it, until the console starts its replayer, until the page is in the replayed DOM.
3. Bytes per second the visitor sends: the UTF-8 size of every frame payload the visitor's page
   sends (Playwright's ``page.on("websocket")`` and ``framesent``) during each rate, over the
   nominal duration. The server turns permessage-deflate off, so payload bytes are what goes on
   the wire, plus 2 to 14 bytes of frame header each.
4. The baseline: rrweb's own record-to-replay path with no session in between. Two pages of the
   customer site in one browser context load ``/static/rrweb/rrweb.min.js`` from the cobrowse
   server. The recorder page calls ``rrweb.record`` with cobrowse.js's options and posts every
   event to a ``BroadcastChannel`` as soon as it is emitted; the replayer page feeds them to an
   ``rrweb.Replayer`` in live mode with the console's own clock handling (copied from
   ``showView()`` in cobrowse/console/console.js: a replayer per Meta event, each event stamped
   with its arrival time). Each page is a window of its own: as two tabs of one window, the
   replayer's would be a background tab, whose frames and timers Chromium throttles to about one
   a second. The same driver and observer measure the same latency at the same rates,
   interleaved with the cobrowse runs. Its first snapshot is measured too: ``rrweb.record`` with
   the same options on the same pages without the widget, then ``JSON.stringify`` of its events.
   The baseline's options are the loader's own (``recordOptions`` of
   cobrowse/browser/loader/liveview.js with masking.js, bundled by esbuild), so the two cannot
   drift apart.
5. The pointer's latency, on both paths in turn after the rates. Playwright moves the mouse in
   the visitor's page (and in the baseline's recorder) ``--moves`` times (50) at ``--move-rate``
   per second (20), to a new position along a zigzag each time, at a random point of the first
   half of each slot. A ``mousemove`` listener that runs before rrweb's stamps each position with
   the same clock as the ticks. In the console (and the baseline's replayer page), a
   MutationObserver on the style of rrweb's pointer (``.replayer-mouse``) stamps each position
   the first time the pointer's ``style.left`` and ``style.top`` hold it. The replayer sets them
   in the replay's page coordinates, which the console's ``fitReplay()`` leaves as they are (it
   scales the wrapper with a transform); the 50 ms the drawn pointer then takes to slide there
   (rrweb's CSS transition) are not counted. Latency is arrival minus move, less the clock offset
   between the two pages; a position not there ``--drain-ms`` after the last move is lost. With
   cobrowse.js's ``sampling`` options, rrweb sends the positions in batches every 50 ms, so a
   position waits up to 50 ms before it leaves the page.

The replayer applies live events on requestAnimationFrame, no sooner than (its clock's start +
the event's timestamp − its baseline). The script records each ``startLive()`` call (a wrapper
of ``Replayer.prototype.startLive``) and reports the replay hold, ``Date.now()`` at that call
minus its baseline: how long after its timestamp any later event is held back at least.

Targets (the issue's): p50 under 50 ms and p99 under 150 ms at 100 changes/s on loopback; the
first snapshot of a 10,000-element page under 250 ms of main-thread time (median of the rounds).
Figures go to ``bench/results/liveview.json`` and ``bench/results/liveview.md``; the tables are
printed. ``--only snapshots`` (or ``--only latency``, which includes the pointer) runs one half;
its figures go to ``liveview-snapshots.*`` (``liveview-latency.*``), so a full run's are kept.
``--only join`` runs ``bench/join.py``: big pages (1,000 to 50,000 elements) joined with rrweb's
snapshot sliced beside rrweb alone: the longest task at join and the time to the agent's view.
Requests that would leave the machine fail at a dead proxy given to Chromium and are listed in
the report.
"""

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright

from cobrowse.core.events import EVENT_NAMES

ROOT = Path(__file__).resolve().parent.parent
# The server process is started the way the tests start it (tests/support/processes.py).
sys.path.insert(0, str(ROOT / "tests"))
from support.chromium import CHROMIUM, CHROMIUM_ARGS, DEAD_PROXY, LOOPBACK  # noqa: E402, F401 - needs the path above.
from support.processes import PageServer, ServerProcess  # noqa: E402
RESULTS = ROOT / "bench" / "results"
AGENT_KEY = "bench-agent-key"
RUNTIMES = ("micropython", "pyodide")
PATHS = ("cobrowse", "baseline")
READY_TIMEOUT_MS = 90_000
VIEW_TIMEOUT_MS = 30_000
WARMUP_SECONDS = 1.0
# The targets of the issue.
TARGET_RATE = 100
TARGET_P50_MS = 50.0
TARGET_P99_MS = 150.0
TARGET_SNAPSHOT_ELEMENTS = 10_000
TARGET_SNAPSHOT_MS = 250.0

# Runs first in every visitor and recorder page. It times rrweb's record() and
# takeFullSnapshot() (wrapping them as window.rrweb is defined), stamps each tick when its view
# message goes to WebSocket.send, keeps the long tasks, and defines the driver.
RECORDER_INIT = r"""
(() => {
  if (window.top !== window || window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = {
    snapshots: [], sends: [], sentAt: {}, viewMessages: 0, viewChars: 0, longtasks: [], errors: [],
  };
  bench.now = now;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longtasks.push([performance.timeOrigin + entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (error) {
    bench.errors.push("longtask observer: " + error);
  }

  // The call is timed synchronously. cobrowse.js queued its flush during the call; the
  // JSON.stringify and WebSocket.send of the first view message after it are timed by the
  // wrappers below. A setTimeout 0 queued now gives the time until the page's next timer task.
  function timed(kind, fn, self, args) {
    performance.mark("bench-snapshot");
    const start = performance.now();
    const result = fn.apply(self, args);
    const end = performance.now();
    const entry = { kind: kind, at: performance.timeOrigin + start, sync_ms: end - start, stringify_ms: null,
                    send_ms: null, chars: null, until_next_task_ms: null };
    bench.snapshots.push(entry);
    bench.pending = entry;
    setTimeout(() => { entry.until_next_task_ms = performance.now() - end; }, 0);
    return result;
  }
  const stringify = JSON.stringify;
  JSON.stringify = function () {
    const start = performance.now();
    const text = stringify.apply(this, arguments);
    if (bench.pending && typeof text === "string" && text.startsWith('{"v":1,"type":"view"')) {
      bench.pending.stringify_ms = performance.now() - start;
    }
    return text;
  };
  let module;
  Object.defineProperty(window, "rrweb", {
    configurable: true, enumerable: true,
    get() { return module; },
    set(value) {
      if (!value || typeof value.record !== "function") { module = value; return; }
      const record = value.record;
      const wrapped = function () { return timed("record", record, this, arguments); };
      Object.assign(wrapped, record);
      wrapped.takeFullSnapshot = function () { return timed("takeFullSnapshot", record.takeFullSnapshot, this, arguments); };
      module = Object.assign({}, value, { record: wrapped });
    },
  });

  // The first view message that carries each tick. Big messages (full snapshots) are not
  // searched, so that the wrapper adds next to nothing to the flush it is part of; messages of
  // 4,096 characters or more are listed with their size.
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data !== "string" || !data.startsWith('{"v":1,"type":"view"')) return send.call(this, data);
    const t = now();
    if (data.length < 65536) {
      for (const match of data.matchAll(/tick-(\d+)/g)) {
        if (!(match[1] in bench.sentAt)) bench.sentAt[match[1]] = t;
      }
    }
    const start = performance.now();
    const result = send.call(this, data);
    const took = performance.now() - start;
    bench.viewMessages += 1;
    bench.viewChars += data.length;
    if (data.length >= 4096) bench.sends.push({ at: t, chars: data.length, send_ms: took });
    if (bench.pending) {
      bench.pending.send_ms = took;
      bench.pending.chars = data.length;
      bench.pending = null;
      performance.mark("bench-snapshot-sent");
    }
    return result;
  };

  // The pointer: every mousemove the page sees, keyed by its position and stamped as it is
  // dispatched. This listener, on the window in the capture phase, runs before rrweb's own on
  // the document.
  bench.moves = {};
  window.addEventListener("mousemove", (event) => {
    const key = event.clientX + "," + event.clientY;
    if (!(key in bench.moves)) bench.moves[key] = now();
  }, true);

  // The driver: `count` changes at `rate` per second on schedule (no drift), each stamped just
  // before it is made. Each change is made in a MessageChannel task, as a change caused by an
  // event or a network response would be: made in the timer task itself, it would inherit the
  // timer's nesting level, and Chromium clamps any setTimeout(0) queued from the 5th nested
  // timer on (such as cobrowse.js's flush) to 4 ms. Each change is also shifted by a random
  // fraction of a frame, so that at 10/s (exactly 6 frames apart) the changes do not all land
  // at one fixed point of the replayer's requestAnimationFrame cycle.
  bench.drive = (rate, count, first, mode) => new Promise((resolve) => {
    const target = document.getElementById("tick");
    const period = 1000 / rate;
    const jitter = Math.min(period / 2, 1000 / 60);
    const sent = [];
    const begin = performance.now() + 20;
    const channel = new MessageChannel();
    let index = 0;
    let late = 0;
    channel.port1.onmessage = () => {
      const n = first + index;
      sent.push([n, now()]);
      if (mode === "append") {
        const span = document.createElement("span");
        span.dataset.n = String(n);
        span.textContent = "tick-" + n;
        target.appendChild(span);
      } else {
        target.textContent = "tick-" + n;
      }
      index += 1;
      if (index >= count) {
        channel.port1.close();
        resolve({ sent: sent, late_ms: late });
        return;
      }
      schedule();
    };
    function schedule() {
      const due = begin + index * period + Math.random() * jitter;
      setTimeout(() => {
        late = Math.max(late, performance.now() - due);
        channel.port2.postMessage(null);
      }, Math.max(0, due - performance.now()));
    }
    schedule();
  });
})();
"""

# Runs first in the console and in the baseline's replayer page. A MutationObserver on the
# replay iframe's document stamps each tick the first time it is in the replayed DOM; it is
# installed again whenever the iframe or its document changes. It also stamps each tick when
# the view message carrying it arrives, and records each startLive() call.
REPLAY_INIT = r"""
(() => {
  if (window.top !== window || window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const bench = window.__bench = {
    arrivals: {}, received: {}, installs: 0, rebuilds: [], startLive: [], viewAt: null,
    viewMessages: 0, viewChars: 0, bigReceived: [], longtasks: [], errors: [],
  };
  bench.now = now;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longtasks.push([performance.timeOrigin + entry.startTime, entry.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (error) {
    bench.errors.push("longtask observer: " + error);
  }
  const TICK = /tick-(\d+)/g;
  function note(map, text, t) {
    for (const match of text.matchAll(TICK)) {
      if (!(match[1] in map)) map[match[1]] = t;
    }
  }
  bench.note = note;

  let observed = null;
  const observer = new MutationObserver((records) => {
    const t = now();
    for (const record of records) {
      if (record.type === "characterData") {
        note(bench.arrivals, record.target.data || "", t);
        continue;
      }
      for (const node of record.addedNodes) {
        if (node.nodeType === 3) {
          note(bench.arrivals, node.data, t);
        } else if (node.nodeType === 1) {
          if (node.localName === "html") bench.rebuilds.push(t);
          note(bench.arrivals, node.textContent || "", t);
        }
      }
    }
    if (bench.viewAt === null && observed && observed.getElementById("tick")) bench.viewAt = t;
  });
  function check() {
    const frame = document.querySelector("#replay iframe");
    const doc = frame && frame.contentDocument;
    if (doc && doc !== observed) {
      observer.disconnect();
      observed = doc;
      observer.observe(doc, { childList: true, subtree: true, characterData: true });
      bench.installs += 1;
      if (doc.documentElement) note(bench.arrivals, doc.documentElement.textContent || "", now());
    }
  }
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  setInterval(check, 100);

  // rrweb's pointer, the .replayer-mouse element in the replayer's wrapper in this document. The
  // replayer sets its style.left, then its style.top, to the visitor's position in replay page
  // coordinates (a transform on the wrapper scales what is drawn, not these). Each position is
  // stamped the first time the element's style holds it. The replayer may set several in one
  // task, so each record's old value is taken as well as the style after the last one.
  bench.pointer = {};
  const pointerAt = (style) => {
    const left = /(?:^|;)\s*left:\s*(-?[\d.]+)px/.exec(style || "");
    const top = /(?:^|;)\s*top:\s*(-?[\d.]+)px/.exec(style || "");
    return left && top ? Number(left[1]) + "," + Number(top[1]) : null;
  };
  new MutationObserver((records) => {
    const t = now();
    for (const record of records) {
      if (!record.target.classList.contains("replayer-mouse")) continue;
      for (const style of [record.oldValue, record.target.getAttribute("style")]) {
        const key = pointerAt(style);
        if (key !== null && !(key in bench.pointer)) bench.pointer[key] = t;
      }
    }
  }).observe(document, { attributes: true, attributeFilter: ["style"], attributeOldValue: true, subtree: true });

  // The console's socket: this listener is registered in the constructor, before the
  // console's own handler.
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = event.data;
        if (typeof data !== "string" || !data.startsWith('{"v":1,"type":"view"')) return;
        const t = now();
        bench.viewMessages += 1;
        bench.viewChars += data.length;
        if (data.length < 65536) note(bench.received, data, t);
        if (data.length >= 4096) bench.bigReceived.push({ at: t, chars: data.length });
      });
    }
  };

  // Replayer.prototype.startLive, wrapped as window.rrweb is defined: the replay clock holds
  // every event back until (now at startLive - baseline) after its own timestamp.
  let module;
  Object.defineProperty(window, "rrweb", {
    configurable: true, enumerable: true,
    get() { return module; },
    set(value) {
      module = value;
      const proto = value && value.Replayer && value.Replayer.prototype;
      if (proto && proto.startLive && !proto.startLive.bench) {
        const startLive = proto.startLive;
        proto.startLive = function (baseline) {
          bench.startLive.push({ at: Date.now(), baseline: baseline });
          return startLive.apply(this, arguments);
        };
        proto.startLive.bench = true;
      }
    },
  });
})();
"""

# The ticks an rrweb event carries (for the baseline's post and receive stamps).
TICKS_IN_JS = r"""
function ticksIn(event) {
  const found = [];
  if (event && event.type === 3 && event.data && event.data.source === 0) {
    for (const add of event.data.adds || []) {
      const text = add.node && add.node.textContent;
      if (text) for (const match of String(text).matchAll(/tick-(\d+)/g)) found.push(match[1]);
    }
    for (const change of event.data.texts || []) {
      if (change.value) for (const match of String(change.value).matchAll(/tick-(\d+)/g)) found.push(match[1]);
    }
  }
  return found;
}
"""

LOADER = ROOT / "cobrowse" / "browser" / "loader"
ESBUILD = ROOT / "node_modules" / ".bin" / "esbuild"


def record_options_js():
    """``recordOptions(emit)``: rrweb.record's options exactly as the loader passes them, for the
    baseline. The loader's own modules (liveview.js with masking.js) are bundled for it by
    esbuild, so the baseline cannot drift from the widget; the bench's pages set no ``data-mask``."""
    entry = ('import { recordOptions } from %s;\n'
             'import { createMasking } from %s;\n'
             'const masking = createMasking("");\n'
             'window.recordOptions = (emit) => recordOptions(emit, masking);\n'
             % (json.dumps(str(LOADER / "liveview.js")), json.dumps(str(LOADER / "masking.js"))))
    done = subprocess.run([str(ESBUILD), "--bundle", "--format=iife", "--target=es2017", "--log-level=warning"],
                          input=entry, capture_output=True, text=True, check=True)
    return done.stdout


STYLE = """<style>
  body { font-family: sans-serif; margin: 1rem; }
  .row { display: flex; gap: 0.5rem; padding: 2px 0; border-bottom: 1px solid #eee; }
  .row em { color: #555; } .row small { color: #888; }
</style>"""

# The visible content of the small page, the same for the visitor and the baseline's recorder.
SMALL_BODY = """
<h1>Order status</h1>
<p>Your order is on its way. The tick below is changed by the benchmark's driver.</p>
<p id="tick">tick-0</p>
<form>
  <label>Name <input id="name" value="Ada"></label>
  <label>Password <input id="password" type="password"></label>
</form>
<ul><li>First item</li><li>Second item</li><li>Third item</li></ul>
"""

WIDGET_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer page</title><link rel="icon" href="data:,">
<script src="{server}/static/cobrowse.js" data-site-code="BENCH-1" data-runtime="{runtime}"></script>
<script>
  window.heard = [];
  {names}.forEach(function (name) {{
    Cobrowse.Events[name].listen(function (event) {{ window.heard.push([name, event]); }});
  }});
</script>
{style}
</head><body>
{body}
</body></html>
"""

BASELINE_RECORDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer page (rrweb only)</title><link rel="icon" href="data:,">
<script src="{server}/static/rrweb/rrweb.min.js"></script>
{style}
<script>
{options}
{ticks}
  // rrweb's own path: every event goes to the replayer page as soon as it is emitted.
  const channel = new BroadcastChannel("liveview-bench");
  window.__bench.postedAt = {{}};
  window.__bench.postedChars = 0;
  window.startRecording = function () {{
    window.rrweb.record(recordOptions(function (event) {{
      const t = window.__bench.now();
      channel.postMessage(event);
      for (const n of ticksIn(event)) {{
        if (!(n in window.__bench.postedAt)) window.__bench.postedAt[n] = t;
      }}
      window.__bench.postedChars += JSON.stringify(event).length;
    }}));
  }};
</script>
</head><body>
{body}
</body></html>
"""

BASELINE_REPLAYER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rrweb replayer</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="{server}/static/rrweb/rrweb.min.css">
<script src="{server}/static/rrweb/rrweb.min.js"></script>
<script>
{ticks}
</script>
</head><body>
<div id="replay"></div>
<script>
  // As showView() in cobrowse/console/console.js: the replayer is created on the first Meta or
  // FullSnapshot event (a new Meta starts a fresh one), and each event is stamped with its
  // arrival time here, so that the replay clock, started just before, never holds one back.
  let replayer = null;
  let lastStamp = 0;
  const replayBox = document.getElementById("replay");
  const channel = new BroadcastChannel("liveview-bench");
  channel.onmessage = function (message) {{
    const event = message.data;
    const t = window.__bench.now();
    for (const n of ticksIn(event)) {{
      if (!(n in window.__bench.received)) window.__bench.received[n] = t;
    }}
    if (replayer && event.type === 4) {{
      replayer.destroy();
      replayer = null;
      replayBox.replaceChildren();
    }}
    if (!replayer) {{
      if (event.type !== 4 && event.type !== 2) return;
      replayer = new window.rrweb.Replayer([], {{
        root: replayBox, liveMode: true, mouseTail: false, showWarning: false, UNSAFE_replayCanvas: false,
      }});
      lastStamp = Date.now() - 1;
      replayer.startLive(lastStamp);
    }}
    lastStamp = Math.max(lastStamp, Date.now());
    event.timestamp = lastStamp;
    replayer.addEvent(event);
  }};
</script>
</body></html>
"""

BASELINE_BIG = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customer page (rrweb only)</title><link rel="icon" href="data:,">
<script src="{server}/static/rrweb/rrweb.min.js"></script>
{style}
<script>
{options}
</script>
</head><body>
{body}
</body></html>
"""

ROW_ELEMENTS = 5


def big_body(elements):
    """A page body of about ``elements`` elements: the tick, then rows of 5 elements each."""
    rows = []
    for i in range(max(elements // ROW_ELEMENTS - 1, 1)):
        rows.append('<div class="row" id="r%d"><span>Item %d</span><a href="#r%d">open</a><em>%d units</em>'
                    '<small>note %d</small></div>' % (i, i, i, (i * 7) % 100, i))
    return ('<h1>Catalogue</h1>\n<p id="tick">tick-0</p>\n<div id="rows">\n%s\n</div>\n<p id="end">End of the list.</p>'
            % "\n".join(rows))


class Server(ServerProcess):
    """A cobrowse server process on 127.0.0.1, started as the tests start it."""

    def __init__(self):
        super().__init__(agent_key=AGENT_KEY)


class Site:
    """The customer's site on http://localhost:PORT (another origin than the server)."""

    def __init__(self, server, runtime, sizes):
        pages = self.pages = {}
        common = {"server": server.base, "style": STYLE, "options": record_options_js(), "ticks": TICKS_IN_JS}
        pages["/visitor.html"] = WIDGET_PAGE.format(
            server=server.base, runtime=runtime, names=json.dumps(EVENT_NAMES), style=STYLE, body=SMALL_BODY)
        pages["/recorder.html"] = BASELINE_RECORDER.format(body=SMALL_BODY, **common)
        pages["/replayer.html"] = BASELINE_REPLAYER.format(**common)
        for size in sizes:
            body = big_body(size)
            pages["/visitor-%d.html" % size] = WIDGET_PAGE.format(
                server=server.base, runtime=runtime, names=json.dumps(EVENT_NAMES), style=STYLE, body=body)
            pages["/rrweb-%d.html" % size] = BASELINE_BIG.format(body=body, **common)

        self.server = PageServer(pages, headers={"Cache-Control": "no-cache"})
        self.base = "http://localhost:%d" % self.server.port

    def url(self, path):
        return self.base + path

    def stop(self):
        self.server.stop()


class Watch:
    """Console errors, uncaught errors and requests off this machine, for every page."""

    def __init__(self):
        self.errors = []
        self.outside = []

    def attach(self, page, label):
        page.on("console", lambda message: message.type == "error" and self.errors.append("%s: %s" % (label, message.text)))
        page.on("pageerror", lambda error: self.errors.append("%s: uncaught: %s" % (label, error)))
        page.on("request", self._request)

    def _request(self, request):
        url = request.url
        if url.startswith(("http:", "https:", "ws:", "wss:")) and (urlsplit(url).hostname or "") not in LOOPBACK:
            self.outside.append(url)


class Frames:
    """The payload bytes of every WebSocket frame one page sends."""

    def __init__(self, page):
        self.bytes = 0
        self.frames = 0
        page.on("websocket", lambda ws: ws.on("framesent", self._sent))

    def _sent(self, payload):
        self.frames += 1
        self.bytes += len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload)


def percentile(values, fraction):
    """The ``fraction`` quantile of ``values``, interpolated linearly between ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values):
    """p50, p99, max and mean of ``values``, rounded to 0.1 ms."""
    if not values:
        return {"p50": None, "p99": None, "max": None, "mean": None, "n": 0}
    return {"p50": round(percentile(values, 0.5), 1), "p99": round(percentile(values, 0.99), 1),
            "max": round(max(values), 1), "mean": round(statistics.fmean(values), 1), "n": len(values)}


def clock_offset(first, second):
    """How far ``second``'s clock (timeOrigin + now) is ahead of ``first``'s, and how sure that is.

    ``second`` is read between two readings of ``first``; of five tries the narrowest bracket
    is kept. The result is (offset, half width of the bracket), in ms.
    """
    read = "performance.timeOrigin + performance.now()"
    best = None
    for _ in range(5):
        before = first.evaluate(read)
        middle = second.evaluate(read)
        after = first.evaluate(read)
        width = after - before
        if best is None or width < best[1] * 2:
            best = (middle - (before + after) / 2, width / 2)
    return round(best[0], 2), round(best[1], 2)


def frame_interval(page):
    """The page's median requestAnimationFrame interval over 30 frames (the replay runs on it)."""
    return page.evaluate("""() => new Promise((resolve) => {
        const times = [];
        function frame(t) {
          times.push(t);
          if (times.length < 31) { requestAnimationFrame(frame); return; }
          const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
          resolve(gaps[15]);
        }
        requestAnimationFrame(frame);
      })""")


def boot_and_start(page):
    """Wait for the widget, start a session, and return its access code."""
    page.evaluate("(timeout) => Promise.race([Cobrowse.ready().then(() => true), new Promise((resolve, reject) => "
                  "setTimeout(() => reject(new Error('widget not ready after ' + timeout + ' ms')), timeout))])",
                  READY_TIMEOUT_MS)
    assert page.evaluate("() => Cobrowse.API.Session.start()") == {"result": True}
    page.wait_for_function("window.heard.some((e) => e[0] === 'SessionStarted')", timeout=30_000)
    return page.evaluate("window.heard.filter((e) => e[0] === 'SessionStarted').pop()[1].accessCode")


def join(agent, server, code):
    """Join session ``code`` from the console, as tests/helpers.py does; return the click time."""
    agent.goto(server.console_url)
    agent.get_by_label("Access code").fill(code)
    agent.get_by_label("Your name").fill("Bench agent")
    clicked = agent.evaluate("window.__bench.now()")
    agent.get_by_role("button", name="Join").click()
    expect(agent.get_by_role("heading", name=re.compile(r"^Session .*" + re.escape(code)))).to_be_visible()
    return clicked


def wait_view(agent):
    """Wait until the page is in the agent's replay (the driver's #tick is there)."""
    agent.wait_for_function("window.__bench.viewAt !== null", timeout=VIEW_TIMEOUT_MS)
    return agent.evaluate("window.__bench.viewAt")


class Route:
    """One record-to-replay path: the page that changes and the page that replays."""

    def __init__(self, name, source, replay, frames=None):
        self.name = name
        self.source = source
        self.replay = replay
        self.frames = frames

    def bytes_sent(self):
        """Bytes the source has sent so far: frame payloads, or the baseline's event JSON."""
        if self.frames is not None:
            return self.frames.bytes
        return self.source.evaluate("window.__bench.postedChars")

    def stamps(self, first, count):
        """Per tick: sent (handed to WebSocket.send or posted), received, and in the replay."""
        script = """([first, count, sentKey]) => {
            const pick = (map) => { const out = {}; for (let n = first; n < first + count; n++) if (n in map) out[n] = map[n]; return out; };
            return sentKey === null ? { received: pick(window.__bench.received), arrivals: pick(window.__bench.arrivals) }
                                    : { sent: pick(window.__bench[sentKey]) };
        }"""
        key = "sentAt" if self.frames is not None else "postedAt"
        sent = self.source.evaluate(script, [first, count, key])["sent"]
        replay = self.replay.evaluate(script, [first, count, None])
        return sent, replay["received"], replay["arrivals"]


def run_rate(path, rate, seconds, first, mode, drain_ms):
    """Drive ``rate`` changes per second for ``seconds`` on ``path``; return the figures."""
    count = max(int(round(rate * seconds)), 1)
    path.source.wait_for_timeout(300)
    bytes_before = path.bytes_sent()
    driven = path.source.evaluate("([rate, count, first, mode]) => window.__bench.drive(rate, count, first, mode)",
                                  [rate, count, first, mode])
    try:
        path.replay.wait_for_function(
            "([first, count]) => { for (let n = first; n < first + count; n++) if (!(n in window.__bench.arrivals)) return false; return true; }",
            arg=[first, count], timeout=drain_ms)
    except PlaywrightTimeout:
        pass  # What has not arrived by now is lost.
    path.source.wait_for_timeout(100)  # Lets Playwright deliver the last framesent events.
    sent_bytes = path.bytes_sent() - bytes_before
    changed = {str(n): t for n, t in driven["sent"]}
    handed, received, arrived = path.stamps(first, count)
    total, to_send, transit, to_dom = [], [], [], []
    for n, t in changed.items():
        if n in arrived:
            total.append(arrived[n] - t)
            if n in handed and n in received:
                to_send.append(handed[n] - t)
                transit.append(received[n] - handed[n])
                to_dom.append(arrived[n] - received[n])
    lost = sorted(int(n) for n in changed if n not in arrived)
    return {
        "path": path.name, "rate": rate, "seconds": seconds, "ticks": count, "first": first,
        "lost": len(lost), "lost_ticks": lost[:50],
        "latency_ms": spread(total),
        "change_to_send_ms": spread(to_send), "send_to_receive_ms": spread(transit), "receive_to_dom_ms": spread(to_dom),
        "bytes": sent_bytes, "bytes_per_s": round(sent_bytes / (count / rate)),
        "driver_late_ms": round(driven["late_ms"], 1),
        "samples_ms": [round(value, 1) for value in total],
    }


def pointer_position(n):
    """The ``n``th position of the pointer's path, in CSS pixels of the page: a zigzag over the top
    left of the page, away from the widget in the bottom right corner, 7 px right and 3 px down a
    move. No two of 600 moves in a row share an x, so each position, and no mix of one move's x
    with the move before's y, names one move."""
    return 100 + (7 * n) % 600, 100 + (3 * n) % 300


def run_pointer(path, moves, rate, first, offset, drain_ms):
    """Move the mouse in ``path``'s source page ``moves`` times at ``rate`` per second, along the
    path from its ``first`` position on; return the latency until rrweb's pointer in the replay is
    at each position. ``offset`` is how far the replay page's clock is ahead of the source's (ms).

    Each move is made at a random point of the first half of its slot: at 20/s the moves are as
    frequent as rrweb's batches of positions (one per 50 ms with cobrowse.js's options), and would
    otherwise keep one phase to them, each waiting about as long for its batch."""
    keys = []
    path.source.wait_for_timeout(300)
    bytes_before = path.bytes_sent()
    start = time.monotonic()
    for index in range(moves):
        x, y = pointer_position(first + index)
        keys.append("%d,%d" % (x, y))
        time.sleep(max(0.0, start + (index + random.random() / 2) / rate - time.monotonic()))
        path.source.mouse.move(x, y)
    try:
        path.replay.wait_for_function("(keys) => keys.every((key) => key in window.__bench.pointer)",
                                      arg=keys, timeout=drain_ms)
    except PlaywrightTimeout:
        pass  # What has not arrived by now is lost.
    path.source.wait_for_timeout(100)  # Lets Playwright deliver the last framesent events.
    sent_bytes = path.bytes_sent() - bytes_before
    pick = """([keys, name]) => {
        const out = {};
        for (const key of keys) if (key in window.__bench[name]) out[key] = window.__bench[name][key];
        return out;
    }"""
    moved = path.source.evaluate(pick, [keys, "moves"])
    arrived = path.replay.evaluate(pick, [keys, "pointer"])
    latency = [arrived[key] - offset - moved[key] for key in keys if key in moved and key in arrived]
    return {
        "path": path.name, "rate": rate, "moves": moves, "first": first,
        # Moves the page never saw as a mousemove (Chromium sends at most one a frame) are not
        # counted as lost.
        "not_dispatched": sum(1 for key in keys if key not in moved),
        "lost": sum(1 for key in keys if key in moved and key not in arrived),
        "latency_ms": spread(latency),
        "bytes": sent_bytes, "bytes_per_s": round(sent_bytes / (moves / rate)),
        "samples_ms": [round(value, 1) for value in latency],
    }


def open_baseline(browser, site, watch):
    """rrweb's own path: a replayer page and a recorder page of one context, on one channel.

    The recorder is a window of its own (a popup without opener): as a second tab of the
    replayer's window it would be a background tab, whose frames and timers Chromium throttles.
    """
    context = browser.new_context()
    replayer = context.new_page()
    replayer.add_init_script(REPLAY_INIT)
    watch.attach(replayer, "replayer")
    replayer.goto(site.url("/replayer.html"))
    with context.expect_page() as opened:
        replayer.evaluate("() => { window.open('about:blank', '_blank', 'noopener,popup,width=1280,height=720'); }")
    recorder = opened.value
    recorder.add_init_script(RECORDER_INIT)
    watch.attach(recorder, "recorder")
    recorder.goto(site.url("/recorder.html"))
    recorder.evaluate("window.startRecording()")
    wait_view(replayer)
    return context, recorder, replayer


def holds(page):
    """The replay hold of each startLive() call in ``page`` (None for startLive() without a baseline)."""
    return [round(entry["at"] - entry["baseline"], 1) if entry["baseline"] else None
            for entry in page.evaluate("window.__bench.startLive")]


TRACE_CATEGORIES = ["toplevel", "blink.user_timing"]
TASK_EVENTS = ("RunTask", "ThreadControllerImpl::RunTask")


def main_thread_cpu(trace):
    """The CPU time of a page's main thread for a snapshot, from a Chromium trace: the thread
    time from the "bench-snapshot" mark to the "bench-snapshot-sent" mark, counting only the
    tasks that ran in between (tasks of other work among them, usually tiny, included), and the
    thread time of the longest of those tasks, whole. Unlike wall time, it does not grow while
    other processes hold the CPUs. None for both when the trace lacks the marks or the tasks."""
    events = json.loads(trace)["traceEvents"]
    marks = {}
    for event in events:
        if event.get("name") in ("bench-snapshot", "bench-snapshot-sent"):
            marks.setdefault(event["name"], event)
    if len(marks) < 2 or not all("tts" in mark for mark in marks.values()):
        return {"cpu_ms": None, "longest_task_cpu_ms": None}
    thread = (marks["bench-snapshot"]["pid"], marks["bench-snapshot"]["tid"])
    tasks, end = [], -1
    for event in sorted((event for event in events if event.get("ph") == "X" and event.get("name") in TASK_EVENTS
                         and (event["pid"], event["tid"]) == thread and "tdur" in event and "tts" in event),
                        key=lambda event: event["ts"]):
        if event["ts"] >= end:  # A task nested in another is part of the outer one's time.
            tasks.append(event)
            end = event["ts"] + event["dur"]
    holding = [next((index for index, task in enumerate(tasks) if task["ts"] <= mark["ts"] <= task["ts"] + task["dur"]), None)
               for mark in (marks["bench-snapshot"], marks["bench-snapshot-sent"])]
    if None in holding:
        return {"cpu_ms": None, "longest_task_cpu_ms": None}
    chosen = tasks[holding[0]:holding[1] + 1]
    cpu = sum(task["tdur"] for task in chosen)
    # Less the thread time of the first task before the first mark and of the last after the last.
    cpu -= marks["bench-snapshot"]["tts"] - chosen[0]["tts"]
    cpu -= chosen[-1]["tts"] + chosen[-1]["tdur"] - marks["bench-snapshot-sent"]["tts"]
    return {"cpu_ms": round(cpu / 1000, 1), "longest_task_cpu_ms": round(max(task["tdur"] for task in chosen) / 1000, 1)}


def main_thread_ms(entry):
    """The visitor's main-thread time for one snapshot: the call, then the flush's encode and send."""
    return entry["sync_ms"] + (entry["stringify_ms"] or 0) + (entry["send_ms"] or 0)


def snapshot_cobrowse(browser, server, site, size, args, watch, first_tick, extras):
    """One fresh visitor on a page of ``size`` elements: its first full snapshot when an agent joins.

    With ``extras``, it then also drives ticks at 10/s (the replay hold shows there) and times
    ``args.repeats`` new snapshots.
    """
    visitor_context = browser.new_context()
    agent_context = browser.new_context()
    try:
        visitor_context.add_init_script(RECORDER_INIT)
        agent_context.add_init_script(REPLAY_INIT)
        visitor = visitor_context.new_page()
        watch.attach(visitor, "visitor-%d" % size)
        frames = Frames(visitor)
        visitor.goto(site.url("/visitor-%d.html" % size))
        elements = visitor.evaluate("document.getElementsByTagName('*').length")
        code = boot_and_start(visitor)
        agent = agent_context.new_page()
        watch.attach(agent, "agent-%d" % size)
        browser.start_tracing(page=visitor, categories=TRACE_CATEGORIES)
        clicked = join(agent, server, code)
        view_at = wait_view(agent)
        visitor.wait_for_function("window.__bench.snapshots.length > 0 && window.__bench.snapshots[0].until_next_task_ms !== null")
        cpu = main_thread_cpu(browser.stop_tracing())
        agent.wait_for_timeout(500)
        ticks = None
        repeats = []
        if extras:
            # Ticks right after the join: the replay clock's hold shows here.
            ticks = run_rate(Route("cobrowse", visitor, agent, frames), 10, args.big_seconds, first_tick, args.mode,
                             args.drain_ms)
            # New snapshots, each once the agent has replayed the one before, so that the
            # agent's rebuild does not compete for the CPUs with the visitor's next snapshot.
            for _ in range(args.repeats):
                rebuilt = agent.evaluate("window.__bench.rebuilds.length")
                repeats.append(visitor.evaluate("""() => new Promise((resolve) => {
                    window.rrweb.record.takeFullSnapshot(true);
                    const entry = window.__bench.snapshots[window.__bench.snapshots.length - 1];
                    (function wait() { if (entry.until_next_task_ms !== null) resolve(entry); else setTimeout(wait, 5); })();
                })"""))
                agent.wait_for_function("(count) => window.__bench.rebuilds.length > count", arg=rebuilt,
                                        timeout=VIEW_TIMEOUT_MS)
                agent.wait_for_timeout(300)
        visitor_state = visitor.evaluate("({ snapshots: window.__bench.snapshots, sends: window.__bench.sends, "
                                         "longtasks: window.__bench.longtasks })")
        agent_state = agent.evaluate("({ startLive: window.__bench.startLive, bigReceived: window.__bench.bigReceived, "
                                     "longtasks: window.__bench.longtasks })")
    finally:
        visitor_context.close()
        agent_context.close()
    first = visitor_state["snapshots"][0]
    join_tasks = [round(duration, 1) for start, duration in visitor_state["longtasks"] if clicked <= start <= view_at]
    hold = [entry["at"] - entry["baseline"] for entry in agent_state["startLive"]]
    sent = visitor_state["sends"][0]["at"] if visitor_state["sends"] else None
    received = agent_state["bigReceived"][0]["at"] if agent_state["bigReceived"] else None
    started_live = agent_state["startLive"][0]["at"] if agent_state["startLive"] else None
    return {
        "size": size, "elements": elements, "first_kind": first["kind"],
        "record_ms": round(first["sync_ms"], 1),
        "stringify_ms": round(first["stringify_ms"], 1) if first["stringify_ms"] is not None else None,
        "send_ms": round(first["send_ms"], 1) if first["send_ms"] is not None else None,
        "total_ms": round(main_thread_ms(first), 1),
        "until_next_task_ms": round(first["sync_ms"] + first["until_next_task_ms"], 1),
        "snapshot_chars": first["chars"],
        "record_to_view_ms": round(view_at - first["at"], 1),
        # Where the time between the start of record() and the agent's replay goes.
        "record_to_send_ms": round(sent - first["at"], 1) if sent else None,
        "send_to_receive_ms": round(received - sent, 1) if sent and received else None,
        "receive_to_start_live_ms": round(started_live - received, 1) if received and started_live else None,
        "start_live_to_view_ms": round(view_at - started_live, 1) if started_live else None,
        "cpu_ms": cpu["cpu_ms"],
        "longest_task_cpu_ms": cpu["longest_task_cpu_ms"],
        "join_long_tasks_ms": join_tasks,
        "join_longest_task_ms": max(join_tasks, default=None),
        "agent_longest_task_ms": round(max((duration for start, duration in agent_state["longtasks"]
                                            if clicked <= start <= view_at + 1000), default=0), 1),
        "replay_hold_ms": round(hold[0], 1) if hold else None,
        "new_snapshot_ms": [round(main_thread_ms(entry), 1) for entry in repeats],
        "replay_hold_after_new_snapshots_ms": [round(value, 1) for value in hold[1:]],
        "ticks_after_join": ticks,
    }


def snapshot_baseline(browser, site, size, repeats, watch):
    """rrweb.record alone, with cobrowse.js's options, on the same page: its first snapshot."""
    page = browser.new_page()
    watch.attach(page, "rrweb-%d" % size)
    try:
        page.goto(site.url("/rrweb-%d.html" % size))
        # As in the widget's page, where record() runs seconds after the load: the first layout
        # is done by then.
        page.wait_for_timeout(1000)
        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
        result = page.evaluate("""(repeats) => {
            const events = [];
            performance.mark("bench-snapshot");
            const start = performance.now();
            const stop = window.rrweb.record(recordOptions((event) => events.push(event)));
            const recorded = performance.now();
            const json = JSON.stringify(events);
            const encoded = performance.now();
            performance.mark("bench-snapshot-sent");
            const again = [];
            for (let i = 0; i < repeats; i++) {
              events.length = 0;
              const t0 = performance.now();
              window.rrweb.record.takeFullSnapshot(true);
              JSON.stringify(events);
              again.push(performance.now() - t0);
            }
            stop();
            return { record_ms: recorded - start, stringify_ms: encoded - recorded, chars: json.length, repeat_ms: again };
        }""", repeats)
        result.update(main_thread_cpu(browser.stop_tracing()))
    finally:
        page.context.close()
    result["total_ms"] = result["record_ms"] + result["stringify_ms"]
    return result


def summarize_snapshots(rounds, baselines):
    """Per page size: medians over the rounds of the first snapshot, and the extras of round 1."""
    summary = []
    for size in sorted({entry["size"] for entry in rounds}):
        mine = [entry for entry in rounds if entry["size"] == size]
        base = [entry for entry in baselines if entry["size"] == size]
        extra = next((entry for entry in mine if entry["ticks_after_join"] is not None), mine[0])
        totals = [entry["total_ms"] for entry in mine]
        summary.append({
            "size": size,
            "elements": mine[0]["elements"],
            "rounds": len(mine),
            "record_ms": median([entry["record_ms"] for entry in mine]),
            "stringify_ms": median([entry["stringify_ms"] for entry in mine]),
            "send_ms": median([entry["send_ms"] for entry in mine]),
            "total_ms": median(totals),
            "total_ms_min": min(totals),
            "total_ms_max": max(totals),
            "snapshot_chars": mine[0]["snapshot_chars"],
            "record_to_view_ms": median([entry["record_to_view_ms"] for entry in mine]),
            "record_to_send_ms": median([entry["record_to_send_ms"] for entry in mine]),
            "send_to_receive_ms": median([entry["send_to_receive_ms"] for entry in mine]),
            "receive_to_start_live_ms": median([entry["receive_to_start_live_ms"] for entry in mine]),
            "start_live_to_view_ms": median([entry["start_live_to_view_ms"] for entry in mine]),
            "replay_hold_ms": median([entry["replay_hold_ms"] for entry in mine]),
            # Rounds without a task over 50 ms count as 50 here, an upper bound.
            "join_longest_task_ms": median([entry["join_longest_task_ms"] or 50.0 for entry in mine]),
            "join_longest_task_ms_max": max(entry["join_longest_task_ms"] or 50.0 for entry in mine),
            "cpu_ms": median([entry["cpu_ms"] for entry in mine]),
            "longest_task_cpu_ms": median([entry["longest_task_cpu_ms"] for entry in mine]),
            "rrweb_cpu_ms": median([entry["cpu_ms"] for entry in base]),
            "new_snapshot_ms": median(extra["new_snapshot_ms"]),
            "replay_hold_after_new_snapshots_ms": extra["replay_hold_after_new_snapshots_ms"],
            "latency_after_join_ms": extra["ticks_after_join"]["latency_ms"] if extra["ticks_after_join"] else None,
            "hold_of_that_join_ms": extra["replay_hold_ms"],
            "rrweb_record_ms": median([entry["record_ms"] for entry in base]),
            "rrweb_stringify_ms": median([entry["stringify_ms"] for entry in base]),
            "rrweb_total_ms": median([entry["total_ms"] for entry in base]),
            "rrweb_repeat_ms": median([value for entry in base for value in entry["repeat_ms"]]),
        })
    return summary


def median(values):
    values = [value for value in values if value is not None]
    return round(statistics.median(values), 1) if values else None


def fmt(value, digits=0):
    return ("%%.%df" % digits) % value if value is not None else "n/a"


def latency_table(runs):
    lines = [
        "| Path | Rate (/s) | Ticks | Lost | p50 (ms) | p99 (ms) | max (ms) | mean (ms) | Bytes/s sent "
        "| change→send p50 | send→receive p50 (p99) | receive→DOM p50 (p99) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        lat = run["latency_ms"]
        lines.append("| %s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s (%s) | %s (%s) |" % (
            run["path"], run["rate"], run["ticks"], run["lost"], fmt(lat["p50"], 1), fmt(lat["p99"], 1),
            fmt(lat["max"], 1), fmt(lat["mean"], 1), "{:,}".format(run["bytes_per_s"]),
            fmt(run["change_to_send_ms"]["p50"], 1), fmt(run["send_to_receive_ms"]["p50"], 1),
            fmt(run["send_to_receive_ms"]["p99"], 1), fmt(run["receive_to_dom_ms"]["p50"], 1),
            fmt(run["receive_to_dom_ms"]["p99"], 1)))
    return "\n".join(lines)


def pointer_table(runs):
    lines = [
        "| Path | Moves | Rate (/s) | Lost | p50 (ms) | p99 (ms) | max (ms) | mean (ms) | Bytes/s sent |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        lat = run["latency_ms"]
        lines.append("| %s | %d | %g | %d | %s | %s | %s | %s | %s |" % (
            run["path"], run["moves"], run["rate"], run["lost"], fmt(lat["p50"], 1), fmt(lat["p99"], 1),
            fmt(lat["max"], 1), fmt(lat["mean"], 1), "{:,}".format(run["bytes_per_s"])))
    return "\n".join(lines)


def snapshot_table(summary):
    lines = [
        "| Page | Elements | record() (ms) | stringify + send (ms) | Total (ms), median [min–max] "
        "| Longest task at join (ms), median [max] | Main-thread CPU (ms): total [longest task]; rrweb alone "
        "| New snapshot (ms) | Snapshot (KB) | record() start → agent sees it (ms) [→ sent, → received, → startLive, → seen] "
        "| Replay hold: join; new snapshots (ms) "
        "| Latency after join, 10/s p50 (ms) | rrweb alone: record() + stringify (ms) | rrweb alone: new snapshot (ms) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in summary:
        after = row["latency_after_join_ms"]
        lines.append("| %s | %d | %s | %s + %s | %s [%s–%s] | %s [%s] | %s [%s]; %s | %s | %s | %s [%s, %s, %s, %s] | %s; %s "
                     "| %s (hold %s) | %s + %s | %s |" % (
            "{:,}".format(row["size"]), row["elements"], fmt(row["record_ms"], 1), fmt(row["stringify_ms"], 1),
            fmt(row["send_ms"], 1), fmt(row["total_ms"], 1), fmt(row["total_ms_min"]), fmt(row["total_ms_max"]),
            fmt(row["join_longest_task_ms"], 1), fmt(row["join_longest_task_ms_max"], 1),
            fmt(row["cpu_ms"], 1), fmt(row["longest_task_cpu_ms"], 1), fmt(row["rrweb_cpu_ms"], 1),
            fmt(row["new_snapshot_ms"], 1), fmt(row["snapshot_chars"] / 1000 if row["snapshot_chars"] else None),
            fmt(row["record_to_view_ms"]), fmt(row["record_to_send_ms"]), fmt(row["send_to_receive_ms"]),
            fmt(row["receive_to_start_live_ms"]), fmt(row["start_live_to_view_ms"]), fmt(row["replay_hold_ms"]),
            ", ".join(fmt(value) for value in row["replay_hold_after_new_snapshots_ms"]) or "n/a",
            fmt(after["p50"], 1) if after else "n/a", fmt(row["hold_of_that_join_ms"]),
            fmt(row["rrweb_record_ms"], 1), fmt(row["rrweb_stringify_ms"], 1), fmt(row["rrweb_repeat_ms"], 1)))
    return "\n".join(lines)


def targets(runs, snapshots):
    checks = []
    for run in runs:
        if run["path"] == "cobrowse" and run["rate"] == TARGET_RATE:
            lat = run["latency_ms"]
            checks.append({"target": "p50 under %d ms at %d changes/s" % (TARGET_P50_MS, TARGET_RATE),
                           "value": "%s ms" % fmt(lat["p50"], 1), "pass": lat["p50"] is not None and lat["p50"] < TARGET_P50_MS})
            checks.append({"target": "p99 under %d ms at %d changes/s" % (TARGET_P99_MS, TARGET_RATE),
                           "value": "%s ms" % fmt(lat["p99"], 1), "pass": lat["p99"] is not None and lat["p99"] < TARGET_P99_MS})
            checks.append({"target": "no tick lost at %d changes/s" % TARGET_RATE, "value": "%d lost" % run["lost"],
                           "pass": run["lost"] == 0})
    for row in snapshots:
        if row["size"] == TARGET_SNAPSHOT_ELEMENTS:
            checks.append({"target": "first snapshot of a %s-element page under %d ms of main thread "
                                     "(record() + stringify + send, median of %d)"
                                     % ("{:,}".format(TARGET_SNAPSHOT_ELEMENTS), TARGET_SNAPSHOT_MS, row["rounds"]),
                           "value": "%s ms" % fmt(row["total_ms"], 1),
                           "pass": row["total_ms"] is not None and row["total_ms"] < TARGET_SNAPSHOT_MS})
    return checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtime", choices=RUNTIMES, default="micropython", help="the widget's runtime (default micropython)")
    parser.add_argument("--rates", default="10,100", help="changes per second, comma-separated (default 10,100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each rate runs (default 10)")
    parser.add_argument("--sizes", default="1000,10000", help="elements of the snapshot pages (default 1000,10000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="fresh visitors per page size whose first snapshot is timed (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="new snapshots timed per page size (default 3)")
    parser.add_argument("--big-seconds", type=float, default=3.0,
                        help="ticks at 10/s after the first join on each page size, for the replay hold (default 3)")
    parser.add_argument("--mode", choices=("text", "append"), default="text",
                        help="how the driver changes the page: replace a text, or append a node (default text)")
    parser.add_argument("--drain-ms", type=int, default=3000, help="how long to wait for the last ticks (default 3000)")
    parser.add_argument("--moves", type=int, default=50, help="mouse moves per path for the pointer (default 50)")
    parser.add_argument("--move-rate", type=float, default=20.0, help="mouse moves per second (default 20)")
    parser.add_argument("--only", choices=("latency", "snapshots", "join"),
                        help="run only the latency rates or only the first snapshots; the figures go to "
                             "liveview-latency.* or liveview-snapshots.*; join runs bench/join.py (big pages, "
                             "sliced beside rrweb alone) with --sizes and --rounds, its figures in join.*")
    args = parser.parse_args(argv)
    if args.only == "join":
        import join as join_bench  # Beside this file; it imports this module.
        return join_bench.main(["--runtime", args.runtime, "--rounds", str(args.rounds)]
                               + (["--sizes", args.sizes] if "--sizes" in (argv or sys.argv) else []))
    rates = [int(rate) for rate in args.rates.split(",") if rate]
    sizes = [int(size) for size in args.sizes.split(",") if size]

    started = time.monotonic()
    watch = Watch()
    runs, pointer, rounds, baselines = [], [], [], []
    diagnostics = {}
    server = site = None
    try:
        server = Server()
        site = Site(server, args.runtime, sizes)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [DEAD_PROXY], headless=True)
            diagnostics["browser"] = browser.version

            tick = 1
            if args.only != "snapshots":
                # The cobrowse path: a visitor with the widget, an agent in the console.
                visitor_context = browser.new_context()
                visitor_context.add_init_script(RECORDER_INIT)
                agent_context = browser.new_context()
                agent_context.add_init_script(REPLAY_INIT)
                visitor = visitor_context.new_page()
                watch.attach(visitor, "visitor")
                frames = Frames(visitor)
                cdp = visitor_context.new_cdp_session(visitor)
                extensions = []
                cdp.on("Network.webSocketHandshakeResponseReceived", lambda event: extensions.append(
                    {name.lower(): value for name, value in event["response"].get("headers", {}).items()}
                    .get("sec-websocket-extensions", "")))
                cdp.send("Network.enable")
                visitor.goto(site.url("/visitor.html"))
                code = boot_and_start(visitor)
                print("visitor: session %s on %s" % (code, args.runtime), flush=True)
                agent = agent_context.new_page()
                watch.attach(agent, "agent")
                join(agent, server, code)
                wait_view(agent)
                visitor.wait_for_function("window.__bench.snapshots.length > 0 && window.__bench.snapshots[0].until_next_task_ms !== null")
                first = visitor.evaluate("window.__bench.snapshots[0]")
                diagnostics["small_page_first_snapshot"] = {
                    "elements": visitor.evaluate("document.getElementsByTagName('*').length"),
                    "record_ms": round(first["sync_ms"], 1), "main_thread_ms": round(main_thread_ms(first), 1)}
                print("agent: sees the page", flush=True)

                baseline_context, recorder, replayer = open_baseline(browser, site, watch)
                print("baseline: the replayer sees the page", flush=True)
                paths = {"cobrowse": Route("cobrowse", visitor, agent, frames),
                         "baseline": Route("baseline", recorder, replayer)}
                diagnostics["clock_offset_ms"] = {
                    "agent_vs_visitor": clock_offset(visitor, agent),
                    "replayer_vs_recorder": clock_offset(recorder, replayer)}
                diagnostics["frame_interval_ms"] = {"agent": round(frame_interval(agent), 1),
                                                    "replayer": round(frame_interval(replayer), 1)}
                diagnostics["visibility"] = {"agent": agent.evaluate("document.visibilityState"),
                                             "replayer": replayer.evaluate("document.visibilityState")}
                diagnostics["websocket_extensions"] = extensions

                # A short warm-up at 10/s on each path, not counted.
                for name in PATHS:
                    warm = run_rate(paths[name], 10, WARMUP_SECONDS, tick, args.mode, args.drain_ms)
                    tick += warm["ticks"]
                for number, rate in enumerate(rates):
                    # The paths take turns going first, so that slow drifts of the machine even out.
                    for name in PATHS[number % len(PATHS):] + PATHS[:number % len(PATHS)]:
                        run = run_rate(paths[name], rate, args.seconds, tick, args.mode, args.drain_ms)
                        tick += run["ticks"]
                        runs.append(run)
                        lat = run["latency_ms"]
                        print("%-8s %4d/s  %5d ticks  lost %d  p50 %6s ms  p99 %6s ms  max %6s ms  %s B/s" % (
                            name, rate, run["ticks"], run["lost"], fmt(lat["p50"], 1), fmt(lat["p99"], 1),
                            fmt(lat["max"], 1), "{:,}".format(run["bytes_per_s"])), flush=True)
                # The pointer, on each path in turn. Each run's positions are new to its pages.
                move = 0
                ahead = {"cobrowse": diagnostics["clock_offset_ms"]["agent_vs_visitor"][0],
                         "baseline": diagnostics["clock_offset_ms"]["replayer_vs_recorder"][0]}
                for name in PATHS:
                    run = run_pointer(paths[name], args.moves, args.move_rate, move, ahead[name], args.drain_ms)
                    move += args.moves
                    pointer.append(run)
                    lat = run["latency_ms"]
                    print("%-8s pointer %d moves at %g/s  lost %d  p50 %6s ms  p99 %6s ms  max %6s ms  %s B/s%s" % (
                        name, run["moves"], run["rate"], run["lost"], fmt(lat["p50"], 1), fmt(lat["p99"], 1),
                        fmt(lat["max"], 1), "{:,}".format(run["bytes_per_s"]),
                        "  (%d not dispatched)" % run["not_dispatched"] if run["not_dispatched"] else ""), flush=True)
                diagnostics["replay_hold_ms"] = {"agent": holds(agent), "replayer": holds(replayer)}
                diagnostics["observer_installs"] = {"agent": agent.evaluate("window.__bench.installs"),
                                                    "replayer": replayer.evaluate("window.__bench.installs")}
                cdp.detach()
                visitor_context.close()
                agent_context.close()
                baseline_context.close()

            if args.only != "latency":
                # The sizes alternate within each round, so that a slow stretch of the machine does
                # not land on one size only.
                for number in range(args.rounds):
                    for size in sizes:
                        base = snapshot_baseline(browser, site, size, args.repeats, watch)
                        base.update(size=size, round=number + 1)
                        baselines.append(base)
                        snap = snapshot_cobrowse(browser, server, site, size, args, watch, tick, extras=number == 0)
                        snap["round"] = number + 1
                        if snap["ticks_after_join"]:
                            tick += snap["ticks_after_join"]["ticks"]
                        rounds.append(snap)
                        print("round %d  %6s elements: record %s + stringify %s + send %s = %s ms (CPU %s ms, longest "
                              "task %s ms CPU); longest task at join %s ms; agent sees it after %s ms; replay hold %s ms; "
                              "rrweb alone %s + %s ms (CPU %s ms)%s" % (
                                  number + 1, "{:,}".format(snap["elements"]), fmt(snap["record_ms"], 1),
                                  fmt(snap["stringify_ms"], 1), fmt(snap["send_ms"], 1), fmt(snap["total_ms"], 1),
                                  fmt(snap["cpu_ms"], 1), fmt(snap["longest_task_cpu_ms"], 1),
                                  fmt(snap["join_longest_task_ms"], 1) if snap["join_longest_task_ms"] else "<50",
                                  fmt(snap["record_to_view_ms"]), fmt(snap["replay_hold_ms"]), fmt(base["record_ms"], 1),
                                  fmt(base["stringify_ms"], 1), fmt(base["cpu_ms"], 1),
                                  "; new snapshots %s ms" % snap["new_snapshot_ms"] if snap["new_snapshot_ms"] else ""), flush=True)
            browser.close()
    finally:
        if site:
            site.stop()
        if server:
            server.stop()

    snapshots = summarize_snapshots(rounds, baselines)
    checks = targets(runs, snapshots)
    elapsed = time.monotonic() - started
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "runtime": args.runtime,
        "mode": args.mode,
        "seconds_per_rate": args.seconds,
        "pointer_moves": args.moves,
        "pointer_moves_per_s": args.move_rate,
        "snapshot_rounds": args.rounds,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "browser": diagnostics.get("browser")},
        "definitions": {
            "latency_ms": "performance.timeOrigin + performance.now() when the tick is first in the replay iframe's DOM "
                          "(a MutationObserver in the agent's page) minus the same clock in the visitor's page just "
                          "before the change",
            "pointer_latency_ms": "performance.timeOrigin + performance.now() in the agent's page, less the clock "
                                  "offset, when rrweb's pointer (.replayer-mouse) first has the position in its "
                                  "style.left and style.top (a MutationObserver) minus the same clock in the "
                                  "visitor's page at its mousemove (a listener before rrweb's)",
            "change_to_send_ms": "until the view message carrying the tick is handed to WebSocket.send "
                                 "(baseline: posted to the BroadcastChannel)",
            "send_to_receive_ms": "until the console's socket delivers it (baseline: the replayer page's channel)",
            "receive_to_dom_ms": "until the tick is in the replayed DOM",
            "bytes_per_s": "UTF-8 bytes of the WebSocket frame payloads the visitor's page sent during the run "
                           "(framesent), over the nominal duration; baseline: the JSON of the events posted",
            "record_ms": "synchronous time of cobrowse.js's first rrweb.record(...) call when the first agent joins "
                         "(observers set up, the whole DOM serialized with masking, the events queued)",
            "stringify_ms": "JSON.stringify of the view message carrying that snapshot, in cobrowse.js's flush task",
            "send_ms": "WebSocket.send of that message (from the task after the stringify, the message being long)",
            "total_ms": "record_ms + stringify_ms + send_ms: the visitor's main-thread time for the snapshot",
            "cpu_ms": "the main thread's CPU time (thread time of its tasks in a Chromium trace) from the task "
                      "that runs record() to the one that sends its message; baseline: the task that runs record() "
                      "and JSON.stringify",
            "longest_task_cpu_ms": "the CPU time of the longest of those tasks",
            "join_longest_task_ms": "the visitor's longest task (longtask PerformanceObserver, tasks over 50 ms only) "
                                    "from the agent's click on Join until the page is in the agent's replay; "
                                    "the summary counts rounds without one as 50 ms",
            "until_next_task_ms": "from the start of record() until a setTimeout(0) queued as it returned runs",
            "new_snapshot_ms": "the same for rrweb.record.takeFullSnapshot(true), which cobrowse.js calls on a new "
                               "connection or when the server asks for a snapshot",
            "replay_hold_ms": "Date.now() in the agent's page at startLive minus its baseline (first event's "
                              "timestamp + 50 ms): no later event is applied sooner than this after its timestamp",
        },
        "targets": checks,
        "latency": runs,
        "pointer": pointer,
        "snapshots": snapshots,
        "snapshot_rounds_detail": rounds,
        "baseline_snapshots": baselines,
        "diagnostics": diagnostics,
        "console_errors": watch.errors,
        "requests_off_machine": sorted(set(watch.outside)),
        "server_tracebacks": [line for line in (server.output if server else []) if "Traceback" in line],
        "elapsed_s": round(elapsed, 1),
    }
    name = "liveview-%s" % args.only if args.only else "liveview"
    (RESULTS / (name + ".json")).write_text(json.dumps(report, indent=2) + "\n")

    offsets = diagnostics.get("clock_offset_ms", {})
    small = diagnostics.get("small_page_first_snapshot", {})
    markdown = ["# Live view benchmark", ""]
    if args.only != "snapshots":
        markdown += [
            "%s, %d CPUs, Chromium %s; widget on %s; driver mode `%s`, %g s per rate. Latency = a DOM change in "
            "the visitor's page until the change is in the agent's replayed DOM (both stamped with "
            "`performance.timeOrigin + performance.now()`; the agent's clock read %s ms ± %s from the "
            "visitor's). Bytes/s = WebSocket frame payloads the visitor sent (the server turns "
            "permessage-deflate off); baseline: the events' JSON."
            % (report["date"], os.cpu_count(), diagnostics.get("browser"), args.runtime, args.mode, args.seconds,
               *offsets.get("agent_vs_visitor", ("n/a", "n/a"))),
            "",
            latency_table(runs),
            "",
            "Paths: cobrowse = widget → server → console; baseline = rrweb's record → BroadcastChannel → "
            "Replayer in live mode, with the console's clock handling (events stamped on arrival), in two "
            "windows of one browser context. Replay hold (Date.now() at startLive − its baseline; no event is "
            "applied sooner than this after its timestamp): agent %s ms, baseline %s ms. The small page "
            "(%s elements) took record() %s ms, %s ms of main thread in all, for its first snapshot. Agent "
            "frame interval (the replayer applies events on requestAnimationFrame): %s ms."
            % (diagnostics.get("replay_hold_ms", {}).get("agent"), diagnostics.get("replay_hold_ms", {}).get("replayer"),
               small.get("elements"), small.get("record_ms"), small.get("main_thread_ms"),
               diagnostics.get("frame_interval_ms", {}).get("agent")),
            "",
            "Pointer: %d moves of the mouse at %g/s along a zigzag in the visitor's page (Playwright's "
            "`page.mouse.move`), each stamped by a `mousemove` listener, until rrweb's pointer in the replay has "
            "that position in its `style.left` and `style.top` (a MutationObserver in the agent's page; the clock "
            "offset is taken off). The drawn pointer slides there over a further 50 ms (rrweb's CSS transition)."
            % (args.moves, args.move_rate),
            "",
            pointer_table(pointer),
            "",
        ]
    else:
        markdown += ["%s, %d CPUs, Chromium %s; widget on %s." % (report["date"], os.cpu_count(),
                                                                 diagnostics.get("browser"), args.runtime), ""]
    if args.only != "latency":
        markdown += [
            "First full snapshot: the visitor's main thread for `rrweb.record()` as cobrowse.js calls it when the "
            "first agent joins, plus `JSON.stringify` and `WebSocket.send` of its message in the flush tasks; "
            "median of %d fresh visitors [min–max]. Longest task at join = the visitor's longest task from the "
            "click on Join until the agent sees the page (50 = none over 50 ms). Main-thread CPU = the thread time "
            "of the tasks from the one that runs `record()` to the one that sends its message (a Chromium trace): "
            "unlike wall time, it does not grow while other processes hold the CPUs. New snapshot = the same for "
            "`takeFullSnapshot(true)`, median of %d. Latency after join = ticks at 10/s right after the first "
            "visitor's join, with that join's replay hold. rrweb alone = `rrweb.record()` with the same options on the same page without the "
            "widget, then `JSON.stringify` of its events." % (args.rounds, args.repeats),
            "",
            snapshot_table(snapshots),
            "",
        ]
    markdown += ["Targets:", ""]
    markdown += ["- %s: %s, %s" % (check["target"], check["value"], "PASS" if check["pass"] else "FAIL") for check in checks]
    markdown += [
        "",
        "Console errors: %s" % ("; ".join(watch.errors) if watch.errors else "none"),
        "",
        "Requests off this machine: %s" % (", ".join(report["requests_off_machine"]) or "none"),
        "",
    ]
    (RESULTS / (name + ".md")).write_text("\n".join(markdown))
    print()
    print("\n".join(markdown))
    print("(%.0f s; figures in %s)" % (elapsed, (RESULTS / (name + ".*")).relative_to(ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
