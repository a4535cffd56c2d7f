/*!
 * dispatch.js: how the actuator's modules fire script-made events and find the focused element.
 * fire(target, type, init, Kind) dispatches a bubbling, cancelable, composed event (a MouseEvent
 * unless Kind says otherwise) and returns false when a handler cancelled it; keyCode, which and
 * charCode in init are defined on the event, since Chromium ignores them in the init dictionary
 * and old code still reads them. deepActive() is the focused element, inside open shadow roots and same-origin frames too.
 */

export function fire(target, type, init, Kind) {
  const options = Object.assign({ bubbles: true, cancelable: true, composed: true, view: window }, init);
  const event = new (Kind || MouseEvent)(type, options);
  if (options.keyCode !== undefined) {
    Object.defineProperty(event, "keyCode", { value: options.keyCode });
    Object.defineProperty(event, "which", { value: options.keyCode });
    Object.defineProperty(event, "charCode", { value: options.charCode || 0 });
  }
  return target.dispatchEvent(event);
}

export function deepActive() {
  let element = document.activeElement;
  for (;;) {
    if (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    else if (element && element.localName === "iframe" && frameDocument(element) && frameDocument(element).activeElement) {
      element = frameDocument(element).activeElement;
    } else break;
  }
  return element || document.body;
}

function frameDocument(frame) {
  try {
    return frame.contentDocument;
  } catch (error) {
    return null; // A frame of another origin.
  }
}
