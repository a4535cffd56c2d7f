/*!
 * boot.js: the boot guard. Cobrowse.ready() always settles: it resolves once Python has left
 * INIT, or rejects with an Error saying what failed: the page's Content-Security-Policy blocked
 * the runtime, the runtime threw while starting, the server could not be reached, or nothing
 * happened within data-boot-timeout seconds. Then the state is ERROR, StateChanged INIT -> ERROR
 * fires, and start() answers {result: false}. Whatever the runtime throws is caught here,
 * reported once on the console, and kept from the page's own error handlers.
 */

// Violations of these directives stop the runtime; others (an image, a style) do not.
const FATAL_DIRECTIVES = /^(script-src|connect-src|worker-src|child-src|default-src)/;
// A failure that a Content-Security-Policy report may yet explain waits this long for it:
// browsers fire the report and the failure it causes in no fixed order.
const CSP_REPORT_GRACE_MS = 100;

export function describe(error) {
  return error && error.message ? error.message : String(error);
}

// The guard of one page's boot; where: {base, root, server, bootSeconds} (options.js).
// start(onFailure) sets it going; onFailure(message) is called once, when the boot failed.
export class BootGuard {
  constructor(where) {
    this.where = where;
    this.runtimeFiles = ["pyscript/", "micropython/", "pyodide/"].map((dir) => where.base + dir);
    this.failure = null; // Why co-browse is unavailable on this page, once it is.
    this.settled = false; // The state has left INIT.
    this.onFailure = null;
    this.attached = false; // Python has taken over: what is left to wait for is the server.
    this.candidate = null; // A failure waiting for a CSP report that may explain it.
    this.timer = null;
    this.thrown = false; // The runtime threw after the boot: said once.
    this.workersBlocked = false; // The CSP blocked the page's Python workers: said once.
  }

  start(onFailure) {
    this.onFailure = onFailure;
    this.startTimer();
    window.addEventListener("error", (event) => this.swallowRuntimeError(event, event.error || event.message), true);
    window.addEventListener("unhandledrejection", (event) => this.swallowRuntimeError(event, event.reason), true);
    document.addEventListener("securitypolicyviolation", (event) => this.onViolation(event), true);
  }

  // Fail now, or, with waitForCsp, after a grace in which a CSP report may give the reason. A
  // report that the page's Python workers were blocked explains the failure as theirs: it was
  // said already, and the widget goes on without them.
  fail(message, cause, waitForCsp) {
    if (this.failure) return;
    if (waitForCsp) {
      if (!this.candidate) {
        this.candidate = [message, cause];
        setTimeout(() => {
          const candidate = this.candidate;
          this.candidate = null;
          if (!this.workersBlocked) this.fail(candidate[0], candidate[1]);
        }, CSP_REPORT_GRACE_MS);
      }
      return;
    }
    this.failure = message;
    clearTimeout(this.timer);
    console.error("Cobrowse: co-browse is unavailable on this page: " + message, cause || "");
    this.onFailure(message);
  }

  // Python has taken over: a session this tab resumes has as long again for the server.
  attach() {
    this.attached = true;
    if (!this.settled) this.startTimer();
  }

  settle() {
    this.settled = true;
    clearTimeout(this.timer);
  }

  // The runtime has bootSeconds to start; then a session this tab resumes has as long again
  // for the server to restore it.
  startTimer() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const stuck = this.attached ? "the co-browse server at " + this.where.server + " did not answer" :
        "the co-browse runtime did not start";
      this.fail(stuck + " within " + this.where.bootSeconds + " s (data-boot-timeout)");
    }, this.where.bootSeconds * 1000);
  }

  isOurs(url) {
    return typeof url === "string" && this.runtimeFiles.some((prefix) => url.indexOf(prefix) === 0);
  }

  // The runtime's files: the first script URL on the stack (after the message, which may hold
  // URLs of its own) says whose code threw.
  thrownByRuntime(filename, error) {
    const stack = error && typeof error.stack === "string" ? error.stack : "";
    const message = describe(error);
    const at = stack.indexOf(message);
    const first = (at === -1 ? stack : stack.slice(at + message.length)).match(/(https?|blob):[^\s)]+/);
    return this.isOurs(first ? first[0] : filename);
  }

  swallowRuntimeError(event, error) {
    if (!this.thrownByRuntime(event.filename, error)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (!this.settled) {
      this.fail("the co-browse runtime failed to start: " + describe(error), error, true);
    } else if (!this.failure && !this.thrown) {
      this.thrown = true;
      console.error("Cobrowse: the co-browse runtime threw (later errors are not reported):", error);
    }
  }

  onViolation(event) {
    const directive = event.effectiveDirective || event.violatedDirective || "";
    const blocked = event.blockedURI || "";
    const ours = this.isOurs(event.sourceFile) || this.isOurs(blocked) || blocked.indexOf(this.where.root) === 0 ||
      blocked.indexOf(this.where.server.replace(/^http/, "ws")) === 0;
    if (!ours || !FATAL_DIRECTIVES.test(directive)) return;
    if (blocked.indexOf("blob") === 0) {
      // Only the page's own Python workers (data-runtime="pyodide") use blob: URLs; the widget
      // works without them, so this is said once and is no failure of the boot.
      if (!this.workersBlocked) {
        this.workersBlocked = true;
        console.error("Cobrowse: the page's Content-Security-Policy blocked the Python workers of " +
          "data-runtime=\"pyodide\" (" + directive + " does not allow blob:); see Content-Security-Policy in the cobrowse README");
      }
      return;
    }
    if (this.failure || this.settled) return;
    const what = blocked === "eval" ? "'unsafe-eval'" : blocked === "wasm-eval" ? "'wasm-unsafe-eval'" : blocked;
    this.fail("the page's Content-Security-Policy blocked the co-browse runtime (" + directive + " does not allow " +
      what + (event.sourceFile ? ", needed by " + event.sourceFile : "") + "); see Content-Security-Policy in the cobrowse README");
  }
}
