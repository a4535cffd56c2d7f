/*!
 * masking.js: which elements of the page hold private data. The live view masks them before
 * anything leaves the page, and remote control never acts on them.
 */

const PRIVATE_AUTOCOMPLETE = /\b(cc-number|cc-csc|one-time-code|current-password|new-password)\b/;

// What the agent sees instead of a private value or text.
export const PLACEHOLDER = "\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022";

// The page's private elements: passwords, hidden inputs, card numbers and one-time codes (by
// their autocomplete), [data-cobrowse-mask] and whatever the tag's data-mask selects.
export function createMasking(mask) {
  const selector = ["[data-cobrowse-mask]"].concat(
    mask.split(",").map((part) => part.trim()).filter(Boolean)
  ).join(", ");
  function isPrivate(element) {
    if (!element || !element.getAttribute) return false;
    const type = (element.getAttribute("type") || "").toLowerCase();
    if (type === "password" || type === "hidden") return true;
    if (PRIVATE_AUTOCOMPLETE.test(element.getAttribute("autocomplete") || "")) return true;
    try {
      return !!element.closest(selector);
    } catch (error) {
      return true; // A broken data-mask selector masks everything rather than nothing.
    }
  }
  return { selector, isPrivate };
}
