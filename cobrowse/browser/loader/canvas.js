/*!
 * canvas.js: what the page draws on <canvas>, for the live view, when the tag says
 * data-canvas="record" (off by default).
 *
 * rrweb's own canvas recording is not used: it needs a worker from a blob: URL (a page whose
 * policy has no worker-src blob: silently gets no frame), it calls clear() on WebGL canvases of
 * the page, and replaying it needs scripts in the agent's replay. Instead, fps times a second,
 * each canvas of the page is copied onto a canvas of our own at its CSS size, on white (a
 * transparent chart's WebP is half the size on white), encoded as WebP by the browser off the
 * main thread (toBlob), and sent as an rrweb custom event {id, data} when it
 * changed (CANVAS_FRAME_TAG); the agent's console shows it as the CSS background of the replayed canvas. The
 * page's canvases are only read (drawImage): no context is made or touched. A canvas that is
 * private (data-mask, data-cobrowse-mask) or tainted by another origin's images is never read.
 *
 * Public names: createCanvasSampler(masking, fps, mirrorId, emit).
 */

const QUALITY = 0.6;

// A data: URL of the blob, or null.
function dataURL(blob) {
  return new Promise((resolve) => {
    if (!blob) return resolve(null);
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === "string" ? reader.result : null);
    reader.onerror = () => resolve(null);
    reader.readAsDataURL(blob);
  });
}

// mirrorId(canvas) is the canvas's rrweb id (-1 before the agent has it); emit(payload) sends one.
export function createCanvasSampler(masking, fps, mirrorId, emit) {
  const last = new WeakMap(); // canvas -> the data: URL last sent
  let timer = null;
  let sampling = false;
  const copy = document.createElement("canvas");

  function encode(canvas) {
    const width = Math.max(1, Math.round(canvas.clientWidth || canvas.width));
    const height = Math.max(1, Math.round(canvas.clientHeight || canvas.height));
    copy.width = width;
    copy.height = height;
    const context = copy.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    context.drawImage(canvas, 0, 0, width, height);
    return new Promise((resolve) => copy.toBlob(resolve, "image/webp", QUALITY)).then(dataURL);
  }

  async function sample() {
    sampling = true;
    try {
      for (const canvas of Array.from(document.querySelectorAll("canvas"))) {
        const id = mirrorId(canvas);
        if (id < 0 || masking.isPrivate(canvas) || !canvas.width || !canvas.height) continue;
        let data = null;
        try {
          data = await encode(canvas);
        } catch (error) {
          continue; // Tainted by another origin's image: the browser lets no one read it.
        }
        if (data && last.get(canvas) !== data) {
          last.set(canvas, data);
          emit({ id: id, data: data });
        }
      }
    } finally {
      sampling = false;
    }
  }

  function tick() {
    if (!sampling) sample();
    timer = setTimeout(tick, 1000 / fps);
  }

  return {
    start() {
      if (timer === null) tick();
    },
    // Every canvas is sent again on the next sample (a new snapshot rebuilds the agent's view).
    resend() {
      for (const canvas of Array.from(document.querySelectorAll("canvas"))) last.delete(canvas);
    },
    stop() {
      clearTimeout(timer);
      timer = null;
    },
  };
}
