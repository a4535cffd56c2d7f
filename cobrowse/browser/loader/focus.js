/*!
 * focus.js: Tab and Shift+Tab, as the browser moves the focus. tab(back, skip) focuses the next
 * (or previous) element in sequential focus order: positive tabindex first, then document order,
 * editing hosts (contenteditable) included, a group of radios as one stop (its checked radio),
 * disabled, hidden and skip(element) elements left out. radioGroup(radio) is the radios that
 * share its name in its form.
 * Tabbing into a text input selects its text. Past either end a real Tab leaves the page for the
 * browser's own UI; the agent cannot reach that, so the focus leaves the element for the page's
 * body (where the next Tab starts again from the top): it stays inside the visitor's page.
 * FOCUSABLE selects the elements that may take the focus.
 */

import { deepActive } from "./dispatch.js";

export const FOCUSABLE = "a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]";

function inOrder(element) {
  if (element.isContentEditable) {
    // An editing host is focusable (its tabIndex property says -1), the elements inside it are not.
    const parent = element.parentElement;
    return !(parent && parent.isContentEditable) || element.hasAttribute("tabindex") && element.tabIndex >= 0;
  }
  return element.tabIndex >= 0;
}

export function radioGroup(radio) {
  if (!radio.name) return [radio];
  return Array.prototype.filter.call((radio.form || document).querySelectorAll("input[type=radio]"), (other) =>
    other.name === radio.name && other.form === radio.form);
}

// A group of radios is one stop in the order: its checked radio or, none checked, the first
// one met (Tab leaves such a group at once).
function isStop(element, current) {
  if (element.localName !== "input" || element.type !== "radio" || element === current) return true;
  const group = radioGroup(element);
  if (group.some((other) => other.checked)) return element.checked;
  return group.indexOf(current) < 0;
}

function order(skip, current) {
  const all = Array.prototype.filter.call(document.querySelectorAll(FOCUSABLE), (element) =>
    inOrder(element) && !element.disabled && !element.inert && element.getClientRects().length && !skip(element) &&
    !(element.localName === "input" && element.type === "hidden") && isStop(element, current));
  const first = all.filter((element) => element.tabIndex > 0).sort((a, b) => a.tabIndex - b.tabIndex);
  return first.concat(all.filter((element) => !(element.tabIndex > 0)));
}

export function tab(back, skip) {
  const current = deepActive();
  const all = order(skip, current);
  const at = all.indexOf(current);
  const next = at < 0 ? all[back ? all.length - 1 : 0] : all[back ? at - 1 : at + 1];
  if (!next) {
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    return;
  }
  // Its text is selected before the focus events, as a handler of theirs sees it in Chromium.
  if (next.localName === "input" && /^(text|search|url|tel|password)$/.test(next.type)) next.setSelectionRange(0, next.value.length);
  next.focus();
  if (next.localName === "input" && /^(email|number)$/.test(next.type)) next.select();
}
