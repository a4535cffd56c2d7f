"""Time-sliced full snapshots for the vendored rrweb 2.2.2 (run by `make setup`).

Why: rrweb serializes the whole document in one synchronous call (rrweb-snapshot's
``serializeNodeWithId`` is recursive and ``record()``'s ``takeFullSnapshot`` calls it once), so
the moment an agent joins, the visitor's page is frozen for a time linear in the page: about a
quarter of a second at 10,000 elements, over a second at 50,000, on every join and every new
snapshot. No release of rrweb (nor of PostHog's fork, whose yield budget was never merged) can
slice it, so this patch does.

What (each edit is an exact text that must occur exactly once in ``dist/rrweb.umd.cjs``, or
setup fails: an rrweb upgrade that moves one is noticed at setup, not in a customer's browser):

1. ``serializeNodeWithIdSliced``: a generator twin of ``serializeNodeWithId`` that yields every
   32 nodes. Before visiting a child it skips it when it is no longer a child of that parent
   (moved or removed since the parent's child list was read) or when a (locked) MutationBuffer
   already holds it as added: such a node is the mutation batch's, serialized after the walk
   with its state then. So no change made during the walk is lost or sent twice.
2. ``record({fullSnapshotSliceMs: N})``: ``takeFullSnapshot`` runs that generator N ms per task
   (a MessageChannel between slices). The mutation buffers stay locked for the whole walk (rrweb
   locks them around its synchronous snapshot too), so the changes made meanwhile reach the
   replay as one batch right after the FullSnapshot; every other event emitted meanwhile (input,
   scroll, canvas, iframe attach...) is held and emitted after that batch, in order. A snapshot
   asked for during a walk runs after it; ``stop()`` aborts it. ``record.lastSlicedWalk`` says
   how the last walk went (nodes, slices, ms, longest slice, held events).
3. For the first snapshot, ``record()`` starts its observers before the walk (as for any later
   snapshot), so the changes made while the first walk runs are observed.
4. ``record({isScrolled: fn})``: an element's scroll position is read only when ``fn(element)``
   says it has scrolled. rrweb reads ``scrollLeft``/``scrollTop`` of every element, and after any
   change to the page the first such read forces a layout of the whole document: once per
   slice, on a 50,000-element page that changes, it made slices of a second. The loader tells
   which elements scrolled (a capture-phase scroll listener from boot; the window's own scroll
   travels as the snapshot's initial offset).

Usage: python3 patches/rrweb_sliced_snapshot.py node_modules/rrweb/dist/rrweb.umd.cjs OUT.js
"""

import sys


def once(text, old, new, what):
    if text.count(old) != 1:
        sys.exit("patches/rrweb_sliced_snapshot.py: expected %s once, found it %d times: check the patch "
                 "against this rrweb version" % (what, text.count(old)))
    return text.replace(old, new)


def generator_twin(src):
    """Edit 1: the sliced serializer, inserted before ``snapshot()``."""
    header = "function serializeNodeWithId(n2, options) {"
    if src.count(header) != 1 or src.count("\nfunction snapshot(n2, options) {") != 1:
        sys.exit("patches/rrweb_sliced_snapshot.py: serializeNodeWithId or snapshot moved: check the patch")
    start, end = src.index(header), src.index("\nfunction snapshot(n2, options) {")
    gen = once(src[start:end], header,
               "function* serializeNodeWithIdSliced(n2, options) {\n  const walk = options.walk;\n"
               "  if ((++walk.count & 31) === 0) yield;", "the serializer's header")
    gen = once(gen, "const bypassOptions = {\n      doc,", "const bypassOptions = {\n      walk,\n      doc,",
               "the children's options")
    gen = once(gen, "for (const childN of Array.from(src_default$2.childNodes(n2))) {\n"
                    "        const serializedChildNode = serializeNodeWithId(childN, bypassOptions);",
               "for (const childN of Array.from(src_default$2.childNodes(n2))) {\n"
               "        if (walk.skip(childN, n2)) continue;\n"
               "        const serializedChildNode = yield* serializeNodeWithIdSliced(childN, bypassOptions);",
               "the child loop")
    gen = once(gen, "for (const childN of Array.from(src_default$2.childNodes(shadowRootEl))) {\n"
                    "      const serializedChildNode = serializeNodeWithId(childN, bypassOptions);",
               "for (const childN of Array.from(src_default$2.childNodes(shadowRootEl))) {\n"
               "      if (walk.skip(childN, shadowRootEl)) continue;\n"
               "      const serializedChildNode = yield* serializeNodeWithIdSliced(childN, bypassOptions);",
               "the shadow child loop")
    return src[:end] + "\n" + gen + src[end:]


SLICED_SNAPSHOT = r'''
    takeSlicedFullSnapshot = (isCheckout) => {
      if (slicedWalk) { slicedWalk.again = slicedWalk.again || { isCheckout }; return; }
      wrappedEmit({ type: EventType.Meta, data: { href: window.location.href, width: getWindowWidth(), height: getWindowHeight() } }, isCheckout);
      stylesheetManager.reset();
      shadowDomManager.init();
      canvasManager.lock();
      mutationBuffers.forEach((buf) => buf.lock());
      const walk = slicedWalk = { count: 0, held: [], again: null, aborted: false, started: nowTimestamp(), slices: 0, longestSlice: 0,
        skip: (child, parent) => {
          if (src_default$2.parentNode(child) !== parent) return true;
          for (const buf of mutationBuffers) if (buf.addedSet.has(child)) return true;
          return false;
        } };
      const it = serializeNodeWithIdSliced(document, { walk, doc: document, mirror, blockClass, blockSelector, maskTextClass, maskTextSelector,
        skipChild: false, inlineStylesheet, maskInputOptions, maskTextFn, maskInputFn, slimDOMOptions, dataURLOptions, inlineImages, recordCanvas,
        newlyAddedElement: false,
        onSerialize: (n2) => {
          if (isSerializedIframe(n2, mirror)) iframeManager.addIframe(n2);
          if (isSerializedStylesheet(n2, mirror)) stylesheetManager.trackLinkElement(n2);
          if (hasShadowRoot(n2)) shadowDomManager.addShadowRoot(src_default.shadowRoot(n2), document);
        },
        onIframeLoad: (iframe, childSn) => { iframeManager.attachIframe(iframe, childSn); shadowDomManager.observeAttachShadow(iframe); },
        onStylesheetLoad: (linkEl, childSn) => { stylesheetManager.attachLinkElement(linkEl, childSn); },
        keepIframeSrcFn });
      const channel = new MessageChannel();
      const step = () => {
        if (walk.aborted) return channel.port1.close();
        walk.slices++;
        const sliceStart = performance.now();
        const deadline = sliceStart + fullSnapshotSliceMs;
        let r2;
        do { r2 = it.next(); } while (!r2.done && performance.now() < deadline);
        walk.longestSlice = Math.max(walk.longestSlice, performance.now() - sliceStart);
        if (!r2.done) return channel.port2.postMessage(0);
        channel.port1.close();
        slicedWalk = null;
        if (r2.value) wrappedEmit({ type: EventType.FullSnapshot, data: { node: r2.value, initialOffset: getWindowScroll(window) } }, isCheckout);
        else console.warn("Failed to snapshot the document");
        canvasManager.unlock();
        mutationBuffers.forEach((buf) => buf.unlock());
        for (const [e2, c2] of walk.held) wrappedEmit(e2, c2);
        if (document.adoptedStyleSheets && document.adoptedStyleSheets.length > 0) stylesheetManager.adoptStyleSheets(document.adoptedStyleSheets, mirror.getId(document));
        record.lastSlicedWalk = { nodes: walk.count, slices: walk.slices, ms: nowTimestamp() - walk.started, longestSliceMs: walk.longestSlice, heldEvents: walk.held.length };
        if (walk.again) takeFullSnapshot$1(walk.again.isCheckout);
      };
      channel.port1.onmessage = step;
      step();
    };'''


def sliced_record(src):
    """Edits 2 and 3: record()'s option, its held events, the sliced walk, init and stop."""
    src = once(src, "ignoreCSSAttributes = /* @__PURE__ */ new Set([]), errorHandler: errorHandler2 } = options;",
               "ignoreCSSAttributes = /* @__PURE__ */ new Set([]), errorHandler: errorHandler2, fullSnapshotSliceMs = 0, "
               "isScrolled = null } = options;\n  scrollReadFilter = isScrolled;\n"
               "  let slicedWalk = null;\n  let takeSlicedFullSnapshot = null;", "record()'s options")
    src = once(src, "  wrappedEmit = (r2, isCheckout) => {\n    const e2 = r2;\n",
               "  wrappedEmit = (r2, isCheckout) => {\n"
               "    if (slicedWalk && r2.type !== EventType.Meta && r2.type !== EventType.FullSnapshot) "
               "{ slicedWalk.held.push([r2, isCheckout]); return; }\n    const e2 = r2;\n", "wrappedEmit")
    src = once(src, "  takeFullSnapshot$1 = (isCheckout = false) => {\n    if (!recordDOM) return;\n",
               "  takeFullSnapshot$1 = (isCheckout = false) => {\n    if (!recordDOM) return;\n"
               "    if (fullSnapshotSliceMs > 0) return takeSlicedFullSnapshot(isCheckout);\n", "takeFullSnapshot")
    src = once(src, "\n    const init = () => {\n      takeFullSnapshot$1();\n      handlers.push(observe(document));",
               SLICED_SNAPSHOT + "\n    const init = () => {\n"
               "      if (fullSnapshotSliceMs > 0) { handlers.push(observe(document)); takeFullSnapshot$1(); recording = true; return; }\n"
               "      takeFullSnapshot$1();\n      handlers.push(observe(document));", "record()'s init")
    return once(src, "    return () => {\n      [...handlers, ...iframeObservers.values()]",
                "    return () => {\n      if (slicedWalk) { slicedWalk.aborted = true; slicedWalk = null; }\n"
                "      [...handlers, ...iframeObservers.values()]", "record()'s stop")


def scroll_reads(src):
    """Edit 4: scroll positions read only for elements that scrolled."""
    src = once(src, "function serializeElementNode(n2, options) {",
               "let scrollReadFilter = null;\nfunction serializeElementNode(n2, options) {", "serializeElementNode")
    return once(src, "  if (!newlyAddedElement) {\n    if (n2.scrollLeft) attributes.rr_scrollLeft = n2.scrollLeft;",
                "  if (!newlyAddedElement && (!scrollReadFilter || scrollReadFilter(n2))) {\n"
                "    if (n2.scrollLeft) attributes.rr_scrollLeft = n2.scrollLeft;", "the scroll reads")


def patch(src):
    return scroll_reads(sliced_record(generator_twin(src)))


if __name__ == "__main__":
    with open(sys.argv[1]) as source:
        patched = patch(source.read())
    with open(sys.argv[2], "w") as out:
        out.write(patched)
    print("patched %s: rrweb's full snapshots run in slices" % sys.argv[2])
