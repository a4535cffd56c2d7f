/*!
 * start.js: PyScript's start. The server's manifest names the Python files (the core's "files",
 * the page's own Python's "worker-files"); their URLs are made absolute here, because PyScript
 * resolves relative ones against the visitor's page, which may be on another origin than this
 * server. PyScript reads configs when it is imported, so the script tag goes in first; a
 * modulepreload fetches PyScript meanwhile. Module URLs carry the server's build hash, so
 * browsers keep them for good, and are preloaded now rather than once the interpreter is up.
 */

import { describe } from "./boot.js";

// What the core's <script type="mpy"> runs. What the widget's Python raises reaches the boot
// guard (Cobrowse._fail) rather than the page.
const BOOT_SCRIPT = [
  "try:",
  "    import cobrowse.browser",
  "    cobrowse.browser.main()",
  "except Exception as error:",
  "    import js",
  "    js.window.Cobrowse._fail(repr(error))",
  "",
].join("\n");

const PAGE_PYTHON = 'script[type="py"]';

function hint(rel, href, priority) {
  const link = document.createElement("link");
  link.rel = rel;
  link.href = href;
  link.crossOrigin = "anonymous";
  if (priority) link.fetchPriority = priority;
  if (rel === "preload") link.as = "fetch";
  document.head.appendChild(link);
}

// The page's own Python under data-runtime="pyodide": every <script type="py" worker> without a
// config of its own gets this one (CPython from this server, the [worker-files] package and the
// feed's channel) before PyScript sees it. PyScript is imported after this has run, so this
// observer sees each tag added later before PyScript's own observer does. Main-thread
// <script type="py"> tags, which freeze the page while CPython starts, get it as <py-config>.
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
  new MutationObserver((records) => {
    records.forEach((record) => { Array.prototype.forEach.call(record.addedNodes, configureAll); });
  }).observe(document.documentElement, { childList: true, subtree: true });
  if (!document.querySelector("py-config, " + PAGE_PYTHON + "[config]:not([worker])")) {
    const shared = document.createElement("py-config");
    shared.setAttribute("type", "json");
    shared.textContent = config;
    document.head.appendChild(shared);
  }
}

// The manifest's tables with absolute URLs carrying the build; the core's files are preloaded.
function absolute(manifest, root, build) {
  const tables = { files: {}, "worker-files": {} };
  Object.keys(tables).forEach((table) => {
    const files = manifest[table] || {};
    Object.keys(files).forEach((path) => {
      const url = new URL(path, root);
      if (build) url.searchParams.set("v", build);
      tables[table][url.href] = files[path];
      // Needed only once the interpreter runs: after PyScript's own code.
      if (table === "files") hint("preload", url.href, "low");
    });
  });
  return tables;
}

// Start PyScript with our config: where is options.js's, feed the page's events feed or null.
export function startPyScript(where, feed, guard) {
  const pyscriptUrl = where.base + "pyscript/core.js";
  const interpreterUrl = where.base + "micropython/micropython.mjs";
  // PyScript finds the interpreter (and MicroPython its wasm) only once its own code has run:
  // fetched now, they are there when it asks.
  hint("modulepreload", pyscriptUrl);
  hint("modulepreload", interpreterUrl);
  hint("preload", where.base + "micropython/micropython.wasm");
  let build = "";
  fetch(where.root + "cobrowse/manifest.json").then((response) => {
    if (!response.ok) throw new Error("cobrowse/manifest.json: HTTP " + response.status);
    build = response.headers.get("X-Cobrowse-Build") || "";
    return response.json();
  }).then((manifest) => {
    const tables = absolute(manifest, where.root, build);
    const tag = document.createElement("script");
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
        interpreter: where.base + "pyodide/pyodide.mjs",
        files: tables["worker-files"],
        cobrowse: { channel: feed.name },
      }));
    }
    return import(pyscriptUrl).catch((error) => {
      guard.fail("could not load PyScript from " + pyscriptUrl + ": " + describe(error), error, true);
    });
  }, (error) => {
    if (error instanceof TypeError) {
      guard.fail("the co-browse server at " + where.root + " is unreachable (" + describe(error) + ")", error, true);
    } else {
      guard.fail("the co-browse server at " + where.root + " could not serve the widget: " + describe(error), error);
    }
  });
}
