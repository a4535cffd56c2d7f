/*!
 * editing.js: what a key does to the text of the focused field, as the browser's own editing
 * does it. Script-made key events have no default action, so the actuator edits through
 * document.execCommand, which changes the field the way typing does: the browser fires a trusted
 * input event with the right inputType, keeps the undo stack, fires change when the field loses
 * the focus, and fires no select event (setSelectionRange would). Public names:
 * isEditable(element), edit(field, inputType, data), moveCaret(field, key, flags),
 * announceChange(field) (the change that implicit submission fires before it submits; the one
 * the browser would fire later for the same value is then dropped) and watchEdits() (installs the
 * listeners that track which field has an unannounced edit).
 */

import { fire } from "./dispatch.js";

const TEXT_TYPES = /^(text|search|email|url|tel|number|)$/;
const COMMANDS = { insertText: "insertText", insertLineBreak: "insertLineBreak", insertParagraph: "insertParagraph",
  deleteContentBackward: "delete", deleteContentForward: "forwardDelete" };
// The field edited since its last change event, and a change already announced for a value.
const edits = { field: null, announced: null };

export function isEditable(element) {
  if (element.isContentEditable) return true;
  if (element.disabled || element.readOnly) return false;
  if (element.localName === "textarea") return true;
  return element.localName === "input" && TEXT_TYPES.test((element.getAttribute("type") || "").toLowerCase());
}

// Where execCommand cannot edit (the document has no selection in the field), the value is set
// through the prototype's setter, which frameworks that wrap the value notice.
function setDirectly(field, inputType, data) {
  const value = field.value;
  let start = field.selectionStart === null ? value.length : field.selectionStart;
  let end = field.selectionEnd === null ? value.length : field.selectionEnd;
  if (inputType === "deleteContentBackward" && start === end) start = Math.max(0, start - 1);
  if (inputType === "deleteContentForward" && start === end) end = Math.min(value.length, end + 1);
  const text = inputType === "insertLineBreak" ? "\n" : data || "";
  const proto = field.localName === "textarea" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, "value").set.call(field, value.slice(0, start) + text + value.slice(end));
  try { field.setSelectionRange(start + text.length, start + text.length); } catch (error) { /* email, number */ }
  edits.field = field;
  fire(field, "input", { inputType: inputType, data: data }, InputEvent);
}

export function edit(field, inputType, data) {
  if (!fire(field, "beforeinput", { inputType: inputType, data: data }, InputEvent)) return;
  if (!document.execCommand(COMMANDS[inputType], false, data) && !field.isContentEditable) setDirectly(field, inputType, data);
}

// Arrows, Home, End, PageUp and PageDown in a field: the caret moves (Shift extends the
// selection, Control moves by word or to either end), by line in a textarea.
export function moveCaret(field, key, flags) {
  const back = /^(ArrowLeft|ArrowUp|Home|PageUp)$/.test(key);
  let unit = /^Arrow(Left|Right)$/.test(key) ? (flags.ctrlKey ? "word" : "character") :
    /^Arrow(Up|Down)$/.test(key) ? "line" : /^(Home|End)$/.test(key) && !flags.ctrlKey ? "lineboundary" : "documentboundary";
  const selection = field.getRootNode().getSelection ? field.getRootNode().getSelection() : getSelection();
  if (unit === "line" && field.localName === "input") unit = "documentboundary";
  selection.modify(flags.shiftKey ? "extend" : "move", back ? "backward" : "forward", unit);
}

export function announceChange(field) {
  if (edits.field !== field) return;
  edits.field = null;
  edits.announced = { field: field, value: field.value };
  fire(field, "change", {}, Event);
}

export function watchEdits() {
  window.addEventListener("input", (event) => {
    edits.field = event.target;
    // Edited again: the browser's next change is for a new value, and is the page's.
    if (edits.announced && edits.announced.field === event.target) edits.announced = null;
  }, { capture: true });
  // Registered before the page's own listeners (the loader runs first), so it can drop the
  // browser's change for a value implicit submission already announced.
  window.addEventListener("change", (event) => {
    const announced = edits.announced;
    if (event.target === edits.field) edits.field = null;
    if (event.isTrusted && announced && announced.field === event.target) {
      edits.announced = null;
      if (announced.value === event.target.value) event.stopImmediatePropagation();
    }
  }, { capture: true });
}
