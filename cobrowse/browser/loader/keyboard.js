/*!
 * keyboard.js: an agent's key, pressed the way Chromium presses a real one (the order and fields
 * of tests/browser/data/chromium_keys.json). press(action, skip): keydown for each held
 * modifier, keydown, keypress (characters and Enter), the key's default action (beforeinput and
 * the edit, implicit submission, a click, the focus or the caret moving, an option chosen, a
 * radio of the group checked, the page scrolled), keyup on the element that then has the focus,
 * Space's click on a button or checkbox after that keyup, and keyup for each modifier. A link
 * follows Enter on keydown, with no keypress. A cancelled keydown or keypress cancels the
 * default action, as in the browser. skip(element) leaves elements out of the Tab order.
 */

import { deepActive, fire } from "./dispatch.js";
import { announceChange, edit, isEditable, moveCaret } from "./editing.js";
import { radioGroup, tab } from "./focus.js";
import { keyFields, MODIFIERS, pressCode, typesText } from "./keys.js";

const CARET_KEYS = /^(ArrowLeft|ArrowRight|ArrowUp|ArrowDown|Home|End|PageUp|PageDown)$/;
// The inputs whose Enter submits their form (implicit submission) and which count as its fields.
const SUBMITTING = /^(text|search|email|url|tel|number|password|date|month|week|time|datetime-local)$/;
const CLICKED_BY_SPACE = /^(button|submit|reset|checkbox|image|color|file)$/;

function isLink(element) {
  return !!element.closest("a[href], area[href]") && !element.isContentEditable;
}

function clickedBySpace(element) {
  if (element.localName === "input" && element.type === "radio") return !element.checked;
  return element.localName === "button" || (element.localName === "input" && CLICKED_BY_SPACE.test(element.type));
}

// An arrow on a radio focuses and checks the next (or previous) radio of its group, round.
function moveInGroup(radio, key) {
  const group = radioGroup(radio).filter((other) => !other.disabled);
  const step = /^Arrow(Down|Right)$/.test(key) ? 1 : -1;
  const next = group[(group.indexOf(radio) + step + group.length) % group.length];
  if (next === radio) return;
  next.focus();
  next.click();
}

// Enter in a form's field clicks the form's default button (which submits it) or, in a form
// with one field and no button, submits it; a changed value gets its change event first.
function submitImplicitly(field) {
  const form = field.form;
  if (!form || !SUBMITTING.test(field.type)) return;
  const elements = Array.from(form.elements);
  const button = elements.find((element) => /^(submit|image)$/.test(element.type) && element.localName !== "output");
  announceChange(field);
  if (button) {
    if (!button.disabled) button.click();
  } else if (elements.filter((element) => element.localName === "input" && SUBMITTING.test(element.type)).length === 1) {
    form.requestSubmit();
  }
}

function enter(element, flags) {
  if (element.isContentEditable) return edit(element, flags.shiftKey ? "insertLineBreak" : "insertParagraph", null);
  if (element.localName === "textarea") return isEditable(element) && edit(element, "insertLineBreak", null);
  if (element.localName === "input" && SUBMITTING.test(element.type)) {
    if (fire(element, "beforeinput", { inputType: "insertLineBreak", data: null }, InputEvent)) submitImplicitly(element);
  } else if (/^(button|summary)$/.test(element.localName) ||
             (element.localName === "input" && /^(submit|reset|button|image)$/.test(element.type))) {
    element.click();
  }
}

// Type-ahead in a closed <select>: the next option whose text starts with the character.
function chooseByKey(select, key) {
  const options = Array.from(select.options);
  const count = options.length;
  let index = select.selectedIndex;
  if (key.length === 1) {
    const wanted = key.toLowerCase();
    for (let step = 1; step <= count; step++) {
      const option = options[(index + step) % count];
      if (!option.disabled && option.text.trim().toLowerCase().startsWith(wanted)) { index = option.index; break; }
    }
  } else {
    const enabled = options.filter((option) => !option.disabled).map((option) => option.index);
    const back = /^(ArrowUp|ArrowLeft|Home|PageUp)$/.test(key);
    if (/^(Home|End|PageUp|PageDown)$/.test(key)) index = back ? enabled[0] : enabled[enabled.length - 1];
    else index = back ? enabled.filter((at) => at < index).pop() : enabled.find((at) => at > index);
  }
  if (index === undefined || index === select.selectedIndex) return;
  select.selectedIndex = index;
  fire(select, "input", {}, Event);
  fire(select, "change", {}, Event);
}

function scrollable(element) {
  for (let node = element; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(node).overflowY) && node.scrollHeight > node.clientHeight) return node;
  }
  return null;
}

// Space, arrows, PageUp/PageDown, Home and End outside a field scroll the page (or the box the
// focus is in): 40 px a line, seven eighths of the view a page.
function scrollByKey(element, key, flags) {
  const box = scrollable(element);
  const view = box ? box.clientHeight : window.innerHeight;
  const page = Math.round(view * 0.875);
  const steps = { ArrowUp: [0, -40], ArrowDown: [0, 40], ArrowLeft: [-40, 0], ArrowRight: [40, 0],
    PageUp: [0, -page], PageDown: [0, page], " ": [0, flags.shiftKey ? -page : page] };
  const target = box || window;
  if (key === "Home" || key === "End") {
    const height = box ? box.scrollHeight : document.documentElement.scrollHeight;
    target.scrollTo({ top: key === "Home" ? 0 : height, behavior: "instant" });
  } else if (steps[key]) {
    target.scrollBy({ left: steps[key][0], top: steps[key][1], behavior: "instant" });
  }
}

// A key in a field: a character typed, a character deleted, the caret moved (PageUp and
// PageDown in a one-line field scroll the page, as outside a field).
function editByKey(field, key, flags) {
  if (key.length === 1) edit(field, "insertText", key);
  else if (key === "Backspace" || key === "Delete") edit(field, key === "Backspace" ? "deleteContentBackward" : "deleteContentForward", null);
  else if (/^Page/.test(key) && field.localName === "input") scrollByKey(field, key, flags);
  else if (CARET_KEYS.test(key)) moveCaret(field, key, flags);
}

// What the key does once neither its keydown nor its keypress was cancelled; a function to run
// after keyup (Space's click), or nothing.
function keyDefault(element, action, flags, skip) {
  const key = action.key;
  if (key.length === 1 && !typesText(flags)) {
    // A shortcut: the page heard it; of the browser's own, only Select all acts on the page.
    if (key.toLowerCase() === "a" && !flags.altKey) document.execCommand("selectAll");
  } else if (key === "Enter") {
    enter(element, flags);
  } else if (key === "Tab") {
    tab(flags.shiftKey, skip);
  } else if (isEditable(element)) {
    editByKey(element, key, flags);
  } else if (element.localName === "select") {
    if (key.length === 1 ? key !== " " : CARET_KEYS.test(key)) chooseByKey(element, key);
  } else if (element.localName === "input" && element.type === "radio" && /^Arrow/.test(key)) {
    moveInGroup(element, key);
  } else if (key === " " && clickedBySpace(element)) {
    return () => element.click();
  } else if (key === " " && element.localName === "input" && element.type === "radio") {
    // A checked radio: Space does nothing more.
  } else if (key === " " || CARET_KEYS.test(key)) {
    scrollByKey(element, key, flags);
  }
  return null;
}

export function press(action, skip) {
  const flags = { shiftKey: false, ctrlKey: false, altKey: false, metaKey: false };
  const held = MODIFIERS.filter(([name, flag]) => action[flag] && action.key !== name);
  held.forEach(([name, flag]) => {
    flags[flag] = true;
    fire(deepActive(), "keydown", keyFields(name, flags), KeyboardEvent);
  });
  const element = deepActive();
  const fields = keyFields(action.key, flags);
  let after = null;
  if (!fire(element, "keydown", fields, KeyboardEvent)) {
    // A cancelled keydown cancels the keypress and the default action.
  } else if (action.key === "Enter" && isLink(element)) {
    // A link follows Enter on keydown itself: there is no keypress.
    element.click();
  } else {
    const code = pressCode(action.key, flags);
    const init = Object.assign({}, fields, { keyCode: code, charCode: code });
    if (!code || fire(element, "keypress", init, KeyboardEvent)) after = keyDefault(element, action, flags, skip);
  }
  fire(deepActive(), "keyup", fields, KeyboardEvent);
  if (after) after();
  held.reverse().forEach(([name, flag]) => {
    flags[flag] = false;
    fire(deepActive(), "keyup", keyFields(name, flags), KeyboardEvent);
  });
}
