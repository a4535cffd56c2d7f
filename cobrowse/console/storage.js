/*
 * storage.js: what the console remembers. The agent's name (localStorage, for every tab) and the
 * token that rejoins this tab's session after a reload (sessionStorage, this tab only). Storage
 * can be unavailable (private modes, policies): then nothing is remembered, and nothing breaks.
 */

const NAME_KEY = "cobrowse.agentName";
const TOKEN_KEY = "cobrowse.agentToken";

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
