"""Let PyScript run under a Content-Security-Policy without 'unsafe-eval' (run by `make setup`).

Two changes to the vendored @pyscript/core 0.7.31, each found exactly once or setup fails, so
that an upgrade of PyScript that moves them is noticed at setup rather than in a customer's
browser.

1. The main thread. @pyscript/core 0.7.31 (src/hooks.js, ``createFunction``) composes the hooks meant for
PyScript *workers* into one arrow function with ``Function(`return(w,x)=>(...)`)()``, and
polyscript's ``Hook`` constructor (worker/hook.js) reads those lazy getters on the main thread
for every interpreter, worker or not. The main thread never calls the result: it only turns it
back into source text with ``String(fn)`` when it sends the hooks to a worker. So the ``eval``
is needed for nothing, yet a page without ``'unsafe-eval'`` in ``script-src`` makes it throw
and PyScript stops before any Python runs.

   What: the composed source is kept as text and handed out as a function whose
   ``toString()`` returns it, so a worker receives exactly the code it received before, and
   the main thread evaluates no string.

2. Workers (the page's own Python under data-runtime="pyodide"). A worker gets its hooks as
   text and polyscript turns them back into functions with ``Function()`` inside the worker
   (worker/_template.js). A worker made from a blob: URL, as PyScript's are, is bound by the
   page's policy, so that too needs 'unsafe-eval'. PyScript adds one worker hook of its own:
   it registers the ``_pyscript`` module that only ``pyscript.fs`` (experimental: mounting
   local folders after a permission prompt) imports in a worker.

   What: that default hook is dropped. With no hooks, a worker evaluates no string; the cost
   is that ``pyscript.fs`` is not available in the page's Python workers.

Usage: python3 patches/pyscript_no_eval.py static/pyscript
"""

import pathlib
import sys

MAIN_THREAD = (
    "return Function(`return(w,x)=>(${r})(w,x,...[${s}])`)()",
    "{const source=`(w,x)=>(${r})(w,x,...[${s}])`;"
    "return Object.assign(()=>{throw new Error(\"PyScript worker hooks run only in a worker\")},"
    "{toString:()=>source})}",
)
WORKER = (
    'onBeforeRunAsync:new So([({interpreter:e})=>{e.registerJsModule("_pyscript",{fs:{ERROR:"storage permissions '
    'not granted",NAMESPACE:"@pyscript.fs"},interpreter:e})}]),onAfterRun:new So,onAfterRunAsync:new So,codeBeforeRun',
    "onBeforeRunAsync:new So,onAfterRun:new So,onAfterRunAsync:new So,codeBeforeRun",
)


def patch(directory):
    for original, patched in (MAIN_THREAD, WORKER):
        hits = [path for path in sorted(pathlib.Path(directory).glob("core-*.js")) if original in path.read_text()]
        if len(hits) != 1 or hits[0].read_text().count(original) != 1:
            sys.exit("patches/pyscript_no_eval.py: expected %r once in %s/core-*.js, found it in %d files: "
                     "check the patch against this PyScript version" % (original[:60], directory, len(hits)))
        hits[0].write_text(hits[0].read_text().replace(original, patched))
    print("patched %s: PyScript evaluates no string" % hits[0])


if __name__ == "__main__":
    patch(sys.argv[1])
