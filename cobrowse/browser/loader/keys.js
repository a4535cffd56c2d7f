/*!
 * keys.js: the fields of a key's events as Chromium gives them on a US keyboard layout
 * (tests/browser/data/chromium_keys.json is the recorded table). keyFields(key, flags) is the
 * init of its keydown and keyup: key, the physical key's code, keyCode and which = the Windows
 * virtual key code (letters upper case, shifted characters their unshifted key's), charCode 0,
 * location (1 for a left modifier), and the modifier flags. pressCode(key) is the keyCode, which
 * and charCode of its keypress, or 0 when the key has none (only characters and Enter have one);
 * typesText(flags) whether a character pressed with these modifiers is typed.
 * MODIFIERS lists the modifier keys and the flag each sets, in the order they are pressed.
 */

const NAMED = { Enter: ["Enter", 13], Tab: ["Tab", 9], Escape: ["Escape", 27], Backspace: ["Backspace", 8],
  Delete: ["Delete", 46], ArrowLeft: ["ArrowLeft", 37], ArrowUp: ["ArrowUp", 38], ArrowRight: ["ArrowRight", 39],
  ArrowDown: ["ArrowDown", 40], Home: ["Home", 36], End: ["End", 35], PageUp: ["PageUp", 33], PageDown: ["PageDown", 34],
  Control: ["ControlLeft", 17], Alt: ["AltLeft", 18], Shift: ["ShiftLeft", 16], Meta: ["MetaLeft", 91] };
const PUNCTUATION = { " ": ["Space", 32], "`": ["Backquote", 192], "-": ["Minus", 189], "=": ["Equal", 187],
  "[": ["BracketLeft", 219], "]": ["BracketRight", 221], "\\": ["Backslash", 220], ";": ["Semicolon", 186],
  "'": ["Quote", 222], ",": ["Comma", 188], ".": ["Period", 190], "/": ["Slash", 191] };
// Each shifted character sits on the key of the unshifted one at the same place.
const SHIFTED = "~!@#$%^&*()_+{}|:\"<>?";
const UNSHIFTED = "`1234567890-=[]\\;',./";

export const MODIFIERS = [["Control", "ctrlKey"], ["Alt", "altKey"], ["Shift", "shiftKey"], ["Meta", "metaKey"]];

function physical(key) {
  if (NAMED[key]) return NAMED[key];
  if (/^[a-z]$/i.test(key)) return ["Key" + key.toUpperCase(), key.toUpperCase().charCodeAt(0)];
  const at = SHIFTED.indexOf(key);
  const base = at >= 0 ? UNSHIFTED[at] : key;
  if (/^[0-9]$/.test(base)) return ["Digit" + base, base.charCodeAt(0)];
  // A character of another layout (é, ß) has no key of its own here.
  return PUNCTUATION[base] || ["", 0];
}

export function keyFields(key, flags) {
  const [code, keyCode] = physical(key);
  return Object.assign({ key: key, code: code, keyCode: keyCode, charCode: 0,
    location: /^(Control|Alt|Shift|Meta)Left$/.test(code) ? 1 : 0 }, flags);
}

// A character comes with no command modifier, or with Alt (macOS's Option) or AltGr (Control
// and Alt on Windows), which make the layout's own characters (@ is Option+L on a German Mac).
export function typesText(flags) {
  return !flags.metaKey && (!flags.ctrlKey || flags.altKey);
}

export function pressCode(key, flags) {
  if (key === "Enter") return flags.ctrlKey || flags.metaKey || flags.altKey ? 0 : 13;
  return key.length === 1 && typesText(flags) ? key.charCodeAt(0) : 0;
}
