/*!
 * feed.js: the events feed (cobrowse/core/feed.py). With data-runtime="pyodide", the page's own
 * Python runs on CPython in PyScript workers and hears every event over a channel of this page's
 * own. The events are kept, so that a worker that starts late still hears them all, in order.
 */

import { EVENT_NAMES } from "./shared.js";

// The feed of this page, or null when it has no use for one (or no BroadcastChannel).
export function createFeed(runtime) {
  if (runtime !== "pyodide" || typeof BroadcastChannel !== "function") return null;
  const name = "cobrowse-events-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
  const events = [];
  const channel = new BroadcastChannel(name);
  channel.onmessage = (message) => {
    let hello = null;
    try {
      hello = JSON.parse(message.data);
    } catch (error) {
      return; // Not a message of the feed.
    }
    if (!hello || hello.kind !== "hello") return;
    channel.postMessage(JSON.stringify({ kind: "welcome", to: hello.from, events: events }));
  };
  function relay(event, json) {
    events.push([event, json]);
    channel.postMessage(JSON.stringify({ kind: "event", name: event, json: json }));
  }
  return {
    // The channel's name, given to the workers in their config.
    name: name,
    // Hear every event through the core's listen(name, key, deliver) and relay it.
    follow(listen) {
      EVENT_NAMES.forEach((event) => listen(event, "feed", (json) => relay(event, json)));
    },
  };
}
