/*!
 * options.js: what the script tag says: where the server and its files are, which runtime the
 * page's own Python wants, and the options Python reads (Cobrowse._options).
 */

// data-boot-timeout's default, in seconds. The core runs on MicroPython whatever data-runtime
// says: Pyodide's start is not waited for.
const BOOT_SECONDS = 30;
// data-canvas-fps's default: frames a second of a recorded canvas.
const CANVAS_FPS = 2;

// The tag's options; a bad data-runtime or data-boot-timeout is said and replaced by its default.
export function readOptions(script) {
  const attr = (name, fallback) => {
    const value = script && script.getAttribute(name);
    return value === null || value === undefined || value === "" ? fallback : value;
  };
  const base = new URL(".", script.src).href; // .../static/
  const server = attr("data-server", new URL(script.src).origin).replace(/\/+$/, "");
  let runtime = attr("data-runtime", "micropython");
  if (runtime !== "micropython" && runtime !== "pyodide") {
    console.error("Cobrowse: unknown data-runtime " + JSON.stringify(runtime) + "; using micropython");
    runtime = "micropython";
  }
  let bootSeconds = Number(attr("data-boot-timeout", String(BOOT_SECONDS)));
  if (!(bootSeconds > 0)) {
    console.error("Cobrowse: data-boot-timeout must be a number of seconds above 0; using " + BOOT_SECONDS);
    bootSeconds = BOOT_SECONDS;
  }
  // data-canvas="record": the page's canvases in the live view, data-canvas-fps frames a second.
  let canvasFps = null;
  if (attr("data-canvas", "") === "record") {
    canvasFps = Number(attr("data-canvas-fps", String(CANVAS_FPS)));
    if (!(canvasFps > 0 && canvasFps <= 30)) {
      console.error("Cobrowse: data-canvas-fps must be a number of frames a second from above 0 to 30; using " + CANVAS_FPS);
      canvasFps = CANVAS_FPS;
    }
  }
  return {
    base: base,
    canvasFps: canvasFps,
    root: new URL("..", base).href, // The server's root, where the browser's Python files are.
    server: server,
    runtime: runtime,
    bootSeconds: bootSeconds,
    // What Python reads at boot.
    page: {
      siteCode: attr("data-site-code", "default"),
      server: server,
      runtime: runtime,
      domains: attr("data-domains", ""),
      mask: attr("data-mask", ""),
      networkTimeout: attr("data-network-timeout", ""),
      ui: attr("data-ui", "default") === "none" ? "none" : "default",
      agentTools: attr("data-agent-tools", ""),
    },
  };
}
