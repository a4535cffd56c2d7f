/*!
 * frames.js: a page of another origin framed in the co-browsed page, carrying the tag too.
 *
 * rrweb records such a child itself (its cross-origin iframe recording) and posts its events to
 * the parent, whose recorder puts them under the parent's <iframe>. rrweb checks neither side's
 * origin and posts to "*", so both directions are checked here against the site's own hosts
 * (data-domains, matched as cobrowse/core/links.py matches them):
 * - the parent drops, before rrweb hears them, rrweb messages from origins not in its
 *   data-domains (a frame without the tag could otherwise forge content), and asks its allowed
 *   children for a snapshot after each of its own (rrweb has no way to ask: a child that started
 *   first would be lost);
 * - the child (a frame of another origin whose parent's origin is in the child's data-domains)
 *   runs no session and no widget: it records only when its parent asks, posting to that parent.
 *
 * Public names: siteOrigins(domains, pageHost), sharedChild(allowed), createParentFrames(allowed),
 * createChildRecorder(allowed, record).
 */

const CHILD = "cobrowse-child";
const PARENT = "cobrowse-parent";

function matches(pattern, host, port) {
  if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1)) || host === pattern.slice(2);
  if (pattern.includes(":") && (!pattern.startsWith("[") || pattern.includes("]:"))) return pattern === host + ":" + port;
  return pattern === host;
}

// allowed(origin): whether an origin is one of the site's (data-domains, default the page's host).
export function siteOrigins(domains, pageHost) {
  const patterns = String(domains || "").split(",").map((part) => part.trim().toLowerCase()).filter(Boolean);
  if (!patterns.length) patterns.push(pageHost.toLowerCase());
  return (origin) => {
    try {
      const url = new URL(origin);
      if (url.protocol !== "http:" && url.protocol !== "https:") return false;
      return patterns.some((pattern) => matches(pattern, url.hostname.toLowerCase(), url.port));
    } catch (error) {
      return false;
    }
  };
}

// The parent's origin when this page is a frame of another origin that is one of the site's.
export function sharedChild(allowed) {
  if (window.parent === window) return null;
  try {
    if (window.parent.document) return null; // Same origin: the parent records this frame itself.
  } catch (error) {
    // Another origin: go on.
  }
  const ancestors = window.location.ancestorOrigins;
  let origin = ancestors && ancestors.length ? ancestors[0] : null;
  if (!origin && document.referrer) {
    try {
      origin = new URL(document.referrer).origin;
    } catch (error) {
      origin = null;
    }
  }
  return origin && allowed(origin) ? origin : null;
}

function frameOrigin(frame) {
  try {
    return new URL(frame.src, document.baseURI).origin;
  } catch (error) {
    return null;
  }
}

// The parent's side: install() before rrweb records; askChildren() after each full snapshot.
export function createParentFrames(allowed) {
  let recording = false;
  function ask(target, origin) {
    if (origin && origin !== window.location.origin && allowed(origin)) {
      target.postMessage({ type: PARENT, kind: recording ? "snapshot" : "stop" }, origin);
    }
  }
  return {
    install() {
      window.addEventListener("message", (event) => {
        const data = event.data;
        if (!data || (data.type !== "rrweb" && data.type !== CHILD)) return;
        if (!allowed(event.origin)) {
          event.stopImmediatePropagation();
          return;
        }
        // A child that starts after the parent's snapshot says so, and is asked for its own.
        if (data.type === CHILD && recording && event.source) ask(event.source, event.origin);
      }, true);
    },
    askChildren(on) {
      recording = on;
      for (const frame of Array.from(document.querySelectorAll("iframe"))) {
        if (frame.contentWindow) ask(frame.contentWindow, frameOrigin(frame));
      }
    },
  };
}

// The child's side: record(true) starts (or snapshots again) rrweb in child mode, record(false)
// stops it; only its allowed parent is heard.
export function createChildRecorder(parentOrigin, record) {
  window.addEventListener("message", (event) => {
    const data = event.data;
    if (event.source !== window.parent || event.origin !== parentOrigin || !data || data.type !== PARENT) return;
    record(data.kind === "snapshot");
  });
  window.parent.postMessage({ type: CHILD, kind: "hello" }, parentOrigin);
}
