/*
 * storage.js: what the console remembers. The agent's name and when the sign-in ends (localStorage,
 * for every tab, like the sign-in cookie) and the token that rejoins this tab's session after a
 * reload (sessionStorage, this tab only). Storage
 * can be unavailable (private modes, policies): then nothing is remembered, and nothing breaks.
 */

const NAME_KEY = "cobrowse.agentName";
const TOKEN_KEY = "cobrowse.agentToken";
const SIGN_IN_END_KEY = "cobrowse.signInEnds";

function read(storage, key) {
  try {
    return storage.getItem(key) || "";
  } catch (error) {
    return "";
  }
}

function write(storage, key, value) {
  try {
    if (value) {
      storage.setItem(key, value);
    } else {
      storage.removeItem(key);
    }
  } catch (error) {
    // Not remembering is harmless: a reload then needs a new Join.
  }
}

export const loadName = () => read(localStorage, NAME_KEY);
export const saveName = (name) => write(localStorage, NAME_KEY, name);
export const loadToken = () => read(sessionStorage, TOKEN_KEY);
export const saveToken = (token) => write(sessionStorage, TOKEN_KEY, token);
export const loadSignInEnd = () => Number(read(localStorage, SIGN_IN_END_KEY)) || 0;
export const saveSignInEnd = (seconds) => write(localStorage, SIGN_IN_END_KEY, seconds ? String(seconds) : "");
