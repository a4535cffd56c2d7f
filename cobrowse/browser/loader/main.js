/*!
 * main.js: the loader's entry. It reads the script tag, defines window.Cobrowse at once, then
 * starts PyScript with the vendored runtime and hands everything to Python (cobrowse/browser/),
 * which owns the state machine, event dispatch, the link hook, the widget UI and the server
 * connection. What stays in JS is what must not wait on Python: the bridge and its queue
 * (bridge.js), the boot guard (boot.js), the live view's recording and masking (liveview.js,
 * masking.js), remote control's actuator (actuator.js), the agents' pointers and strokes
 * (overlay.js) and the events feed (feed.js).
 *
 * The runtimes: the co-browse core always runs on MicroPython on the main thread, where it boots
 * in a few hundred milliseconds without a long task. data-runtime="pyodide" is for the page's own
 * Python: its <script type="py" worker> tags get CPython (Pyodide) from this server, off the main
 * thread, and hear the events over the page's events feed. The page never waits for CPython, and
 * never freezes.
 */

import { createActuator } from "./actuator.js";
import { BootGuard } from "./boot.js";
import { Bridge, createCobrowse } from "./bridge.js";
import { createFeed } from "./feed.js";
import { createChildRecorder, createParentFrames, sharedChild, siteOrigins } from "./frames.js";
import { createChildView, createLiveView } from "./liveview.js";
import { createMasking } from "./masking.js";
import { readOptions } from "./options.js";
import { createOverlay } from "./overlay.js";
import { startPyScript } from "./start.js";

// Read while this script runs: it is null once the script has run.
const script = document.currentScript;

// A frame of another of the site's origins, in a page that carries the tag: co-browse runs in
// that page, which shares this frame; here the API says so.
const SHARED_FRAME = "co-browse runs in the page around this frame, which shares it";

function load() {
  const where = readOptions(script);
  const feed = createFeed(where.runtime);
  const masking = createMasking(where.page.mask);
  const control = createActuator(masking.isPrivate);
  const guard = new BootGuard(where);
  const bridge = new Bridge(where.page.siteCode, feed, guard);
  const allowed = siteOrigins(where.page.domains, window.location.hostname);
  const parent = sharedChild(allowed);
  if (parent) {
    window.Cobrowse = createCobrowse(bridge, where.page, null, control, null);
    createChildRecorder(parent, createChildView(where.base, masking));
    bridge.bootFailed(SHARED_FRAME);
    return;
  }
  const liveView = createLiveView(where.base, masking, where.canvasFps, createParentFrames(allowed));
  window.Cobrowse = createCobrowse(bridge, where.page, liveView, control, createOverlay());
  guard.start((message) => bridge.bootFailed(message));
  startPyScript(where, feed, guard);
}

if (!(window.Cobrowse && window.Cobrowse.Events)) load(); // Else the tag was included twice.
