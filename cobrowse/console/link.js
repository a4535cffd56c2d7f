/*
 * link.js: the agent's connection to the server: the WebSocket /ws/agent, speaking the wire
 * protocol of docs/protocol.md (every message JSON {"v": 1, "type": ...}).
 *
 * Exports Link(handlers): `join(code, name)`, `rejoinAfterReload()`, `send(type, fields)`,
 * `joined(id, token)`, `leave()`, `retrySoon(ws)`, and `agentId` (this agent's id in the session,
 * once the server has answered "joined"). handlers: `message(ws, message)` for each message of
 * the current socket, `reconnecting()` while a lost connection is being rejoined, `gone()` when
 * it could not be, `replaced()` when this agent opened the session in another console, and
 * `expired()` when the sign-in ended before a connection (nothing connects then).
 *
 * The socket carries no secret in its URL: the browser sends the sign-in cookie.
 *
 * A lost connection is rejoined with the session's token for up to the network timeout, with
 * the widget's jittered, capped backoff; a socket silent for SILENCE_MS is taken for lost even
 * if the browser has not noticed.
 */

import {
  CLOSE_DRAINING, CLOSE_REPLACED, HEARTBEAT_MS, NETWORK_TIMEOUT_SECONDS, RECONNECT_CAP_SECONDS, RECONNECT_FIRST_SECONDS, SILENCE_MS,
  VERSION,
} from "./shared.js";
import { expired } from "./signin.js";
import { loadToken, saveToken } from "./storage.js";

const NETWORK_TIMEOUT_MS = NETWORK_TIMEOUT_SECONDS * 1000;
const RECONNECT_FIRST_MS = RECONNECT_FIRST_SECONDS * 1000;
const RECONNECT_CAP_MS = RECONNECT_CAP_SECONDS * 1000;

function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return scheme + "//" + location.host + "/ws/agent";
}

export class Link {
  constructor(handlers) {
    this.handlers = handlers;
    // The socket of the join under way or the session joined; null when there is none. Events
    // from any other socket are stale (a failed join, a session left) and are ignored.
    this.socket = null;
    this.agentId = null;
    // The secret that lets this agent rejoin after a lost connection or a reload of this tab.
    this.token = null;
    // While reconnecting: when the connection was lost, and how many attempts were made.
    this.lostAt = null;
    this.attempt = 0;
    this.lastHeard = 0;
    setInterval(() => this.beat(), HEARTBEAT_MS);
  }

  send(type, fields, ws = this.socket) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(Object.assign({ v: VERSION, type: type }, fields)));
    }
  }

  join(code, name) {
    // A join still under way is abandoned in favour of this one.
    const previous = this.drop();
    if (previous) {
      previous.close();
    }
    this.connect({ type: "join", fields: { code: code, name: name } });
  }

  // A reload of this tab during a session rejoins it as the same agent: true if it does.
  rejoinAfterReload() {
    const token = loadToken();
    if (!token) {
      return false;
    }
    this.token = token;
    this.lostAt = Date.now();
    this.connect({ type: "rejoin", fields: { token: token } });
    return true;
  }

  joined(id, token) {
    this.agentId = id;
    this.keepToken(token || null);
    this.lostAt = null;
    this.attempt = 0;
  }

  // Leave the session: the server closes the socket after a leave; dropping it first keeps that
  // close quiet.
  leave() {
    this.send("leave", undefined, this.drop());
  }

  get rejoining() {
    return this.lostAt !== null;
  }

  // Forget the current socket (returned) so that its closing is not taken for a lost connection.
  drop() {
    const ws = this.socket;
    this.socket = null;
    this.agentId = null;
    this.keepToken(null);
    this.lostAt = null;
    return ws;
  }

  // Our old connection still counts as attached (its server may have just died, and the others
  // have not noticed yet): try again after a pause, as the widget does.
  retrySoon(ws) {
    this.socket = null;
    ws.close();
    this.lost(false);
  }

  // The token is kept per tab, so a reload of the console rejoins.
  keepToken(token) {
    this.token = token;
    saveToken(token);
  }

  // Open a socket whose first message is `first`: a join, or a rejoin with the token; not once
  // the sign-in is over.
  connect(first) {
    if (expired()) {
      this.drop();
      this.handlers.expired();
      return;
    }
    const ws = new WebSocket(socketUrl());
    this.socket = ws;
    this.agentId = null;
    ws.addEventListener("open", () => {
      this.lastHeard = Date.now();
      this.send(first.type, first.fields, ws);
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.socket) {
        return;
      }
      this.lastHeard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message && message.v === VERSION && typeof message.type === "string") {
        this.handlers.message(ws, message);
      }
    });
    // A failed connection fires "error" and then "close", so "close" alone covers both.
    ws.addEventListener("close", (event) => {
      if (ws !== this.socket) {
        return;
      }
      if (event.code === CLOSE_REPLACED) {
        this.drop();
        this.handlers.replaced();
      } else {
        this.lost(event.code === CLOSE_DRAINING);
      }
    });
  }

  // The connection dropped: rejoin with the token; the session goes on meanwhile.
  lost(atOnce) {
    const token = this.token;
    this.socket = null;
    this.agentId = null;
    if (this.lostAt === null) {
      this.lostAt = Date.now();
    }
    if (!token || Date.now() - this.lostAt >= NETWORK_TIMEOUT_MS) {
      this.drop();
      this.handlers.gone();
      return;
    }
    this.handlers.reconnecting();
    const backoff = Math.min(RECONNECT_CAP_MS, RECONNECT_FIRST_MS * 2 ** Math.min(this.attempt, 10));
    const delay = atOnce ? 0 : backoff * (0.5 + Math.random() / 2);
    this.attempt += 1;
    setTimeout(() => {
      if (this.socket === null && this.token === token) {
        this.connect({ type: "rejoin", fields: { token: token } });
      }
    }, delay);
  }

  beat() {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.agentId === null) {
      return;
    }
    if (Date.now() - this.lastHeard > SILENCE_MS) {
      ws.close();
      this.lost();
    } else {
      this.send("ping", undefined, ws);
    }
  }
}
