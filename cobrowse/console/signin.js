/*
 * signin.js: who the agent is. The customer's backend opens the console at /agent#token=JWT: the
 * fragment never reaches a server or a Referer, and it leaves the address bar at once
 * (history.replaceState) before the token is traded with the server for an HttpOnly cookie that
 * expires with the token. Later loads ask the server who the cookie is. The console remembers when
 * the sign-in ends, since the browser drops an expired cookie without a word.
 *
 * Exports signIn() (a promise of {identity: {id, name, role, expires}} or {error}), expired()
 * (whether the remembered sign-in is over) and EXPIRED_TEXT.
 */

import { loadSignInEnd, saveSignInEnd } from "./storage.js";

export const EXPIRED_TEXT = "Your agent token has expired";

// The token in the address's fragment, taken out of the address bar; null if there is none.
function takeFragmentToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token !== null) {
    history.replaceState(history.state, "", location.pathname + location.search);
  }
  return token;
}

export function expired() {
  const end = loadSignInEnd();
  return end > 0 && Date.now() >= end * 1000;
}

async function answer(request) {
  try {
    const response = await request;
    const body = await response.json().catch(() => ({}));
    return { ok: response.ok, body: body || {} };
  } catch (error) {
    return { ok: false, body: { error: "The server could not be reached: reload to try again." } };
  }
}

export async function signIn() {
  const token = takeFragmentToken();
  const { ok, body } = await answer(token !== null
    ? fetch("/api/sign-in", {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: token }),
    })
    : fetch("/api/me", { credentials: "same-origin", cache: "no-store" }));
  if (ok) {
    saveSignInEnd(body.expires);
    return { identity: body };
  }
  if (token === null) {
    // The cookie is gone: say so if it went because the sign-in ended.
    return { error: expired() ? EXPIRED_TEXT : "" };
  }
  return { error: String(body.error || "Your agent token was refused") };
}
