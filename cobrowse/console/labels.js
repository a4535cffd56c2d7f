/*
 * labels.js: what the replay shows in place of what the visitor's page does not share. A frame
 * from another site (only its host comes, as rrweb's rr_src, kept as FRAME_HOST) is labelled
 * "Content from HOST is not shared" at its size, rather than left a blank hole; a canvas shows
 * the pictures the visitor's page samples of it (data-canvas="record") as its CSS background, or
 * is labelled "Canvas not shared". Everything is written with DOM and CSSOM only (no markup, no
 * style element), so it needs nothing of the console's Content-Security-Policy.
 *
 * Exports FRAME_HOST, labelFrames(doc), labelCanvases(doc) and showCanvasFrame(replayer, cast).
 */

import { CANVAS_FRAME_TAG } from "./shared.js";

export const FRAME_HOST = "data-cobrowse-frame-host";

const CANVAS_PICTURE = /^data:image\/(webp|png|jpeg);base64,[A-Za-z0-9+/=]+$/;
const CANVAS_LABEL = "url(\"data:image/svg+xml," + encodeURIComponent(
  "<svg xmlns='http://www.w3.org/2000/svg' width='240' height='40'><rect width='240' height='40' fill='#fff' " +
  "stroke='#999'/><text x='120' y='25' font-family='sans-serif' font-size='14' text-anchor='middle' " +
  "fill='#333'>Canvas not shared</text></svg>") + "\")";

// A frame whose content does come (a site that carries the tag too) is rebuilt over the label.
export function labelFrames(doc) {
  if (!doc) {
    return;
  }
  for (const frame of doc.querySelectorAll("iframe")) {
    const inner = frame.contentDocument;
    const host = frame.getAttribute(FRAME_HOST);
    if (host && inner && inner.body && !inner.body.childNodes.length && !inner.body.dataset.cobrowseLabel) {
      inner.body.dataset.cobrowseLabel = "1";
      const label = inner.createElement("p");
      label.textContent = "Content from " + host + " is not shared";
      Object.assign(inner.body.style, { margin: "0", height: "100vh", display: "flex", alignItems: "center",
        justifyContent: "center", background: "repeating-linear-gradient(45deg, #f4f4f4 0 10px, #e8e8e8 10px 20px)",
        font: "14px sans-serif", color: "#333" });
      Object.assign(label.style, { margin: "0", padding: "4px 8px", background: "#fff", border: "1px solid #999" });
      inner.body.appendChild(label);
    } else if (inner && !host) {
      labelFrames(inner);
    }
  }
}

// A replayed canvas draws nothing itself (the replay runs no script): the picture is its background.
export function showCanvasFrame(replayer, cast) {
  const data = cast && cast.data;
  const frame = data && data.tag === CANVAS_FRAME_TAG ? data.payload : null;
  if (!frame || typeof frame.data !== "string" || !CANVAS_PICTURE.test(frame.data)) {
    return;
  }
  const canvas = replayer.getMirror().getNode(frame.id);
  if (canvas && canvas.nodeName === "CANVAS") {
    canvas.dataset.cobrowseShared = "1";
    Object.assign(canvas.style, { backgroundImage: "url(\"" + frame.data + "\")", backgroundSize: "100% 100%",
      backgroundRepeat: "no-repeat", backgroundColor: "" });
  }
}

export function labelCanvases(doc) {
  for (const canvas of doc ? doc.querySelectorAll("canvas:not([data-cobrowse-shared])") : []) {
    Object.assign(canvas.style, { backgroundImage: CANVAS_LABEL, backgroundSize: "auto", backgroundRepeat: "no-repeat",
      backgroundPosition: "center", backgroundColor: "#eee" });
  }
}
