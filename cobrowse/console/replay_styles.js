/*!
 * replay_styles.js: the visitor's styles in the replay under a strict console policy.
 *
 * rrweb rebuilds the page's styles as <style> elements and style attributes in the replay
 * frame, which inherits the console's Content-Security-Policy: under a style-src without
 * 'unsafe-inline' the browser applies none of them (a blocked <style> has no sheet). Constructed
 * style sheets and CSSOM writes are not governed by a policy, so where the browser blocked them
 * the same rules are applied that way: each blocked <style>'s text as an adopted sheet, in
 * document order (after rrweb's own rules, which it could not insert either), and each style
 * attribute through element.style. Under an open policy nothing is blocked and nothing is done.
 *
 * Public names: applyBlockedStyles(doc), called after the replay applies a snapshot or changes.
 */

// rrweb's own rules (Replayer.insertStyleRules): blocked elements and <noscript> placeholders.
const RRWEB_RULES = ".rr-block { background: currentColor } noscript { display: none !important; }";

const converted = new WeakMap(); // <style> element -> [its text, its constructed sheet]
const own = new WeakMap(); // a document whose styles the policy blocks -> the sheet of rrweb's rules

function blocked(style) {
  return style.sheet === null && style.textContent !== "";
}

// Whether the policy blocks this document's inline styles: a <style> with text and no sheet, or
// a style attribute that applied nothing.
function isStrict(doc, styles) {
  if (own.has(doc) || styles.length) return true;
  const styled = doc.querySelector("[style]");
  return !!styled && styled.getAttribute("style").trim() !== "" && styled.style.length === 0;
}

function sheetFor(view, style) {
  const known = converted.get(style);
  if (known && known[0] === style.textContent) return known[1];
  const sheet = new view.CSSStyleSheet();
  try {
    sheet.replaceSync(style.textContent);
  } catch (error) {
    // Text that is not CSS: the page's browser ignored it too.
  }
  converted.set(style, [style.textContent, sheet]);
  return sheet;
}

export function applyBlockedStyles(doc) {
  const view = doc && doc.defaultView;
  if (!view || typeof view.CSSStyleSheet !== "function") return;
  const styles = Array.from(doc.querySelectorAll("style")).filter(blocked);
  if (!isStrict(doc, styles)) return;
  if (!own.has(doc)) {
    const sheet = new view.CSSStyleSheet();
    sheet.replaceSync(RRWEB_RULES);
    own.set(doc, sheet);
  }
  const ours = [own.get(doc)].concat(styles.map((style) => sheetFor(view, style)));
  const others = Array.from(doc.adoptedStyleSheets).filter((sheet) => !sheet.cobrowseReplay);
  ours.forEach((sheet) => { sheet.cobrowseReplay = true; });
  doc.adoptedStyleSheets = others.concat(ours);
  for (const element of Array.from(doc.querySelectorAll("[style]"))) {
    const text = element.getAttribute("style");
    if (element.style.cssText !== text) element.style.cssText = text;
  }
  for (const frame of Array.from(doc.querySelectorAll("iframe"))) {
    try {
      applyBlockedStyles(frame.contentDocument);
    } catch (error) {
      // A frame the replay cannot reach.
    }
  }
}
