"""Let PyScript boot under a Content-Security-Policy without 'unsafe-eval' (run by `make setup`).

Why: @pyscript/core 0.7.31 (src/hooks.js, ``createFunction``) composes the hooks meant for
PyScript *workers* into one arrow function with ``Function(`return(w,x)=>(...)`)()``, and
polyscript's ``Hook`` constructor (worker/hook.js) reads those lazy getters on the main thread
for every interpreter, worker or not. The main thread never calls the result: it only turns it
back into source text with ``String(fn)`` when it sends the hooks to a worker. So the ``eval``
is needed for nothing, yet a page without ``'unsafe-eval'`` in ``script-src`` makes it throw
and PyScript stops before any Python runs.

What: the composed source is kept as text and handed out as a function whose ``toString()``
returns it, so a worker receives exactly the code it received before, and the main thread
evaluates no string. The script refuses to run unless it finds the call exactly once, so an
upgrade of PyScript that moves it is noticed at setup rather than in a customer's browser.

Usage: python3 patches/pyscript_no_eval.py static/pyscript
"""

import pathlib
import sys

ORIGINAL = "return Function(`return(w,x)=>(${r})(w,x,...[${s}])`)()"
PATCHED = (
    "{const source=`(w,x)=>(${r})(w,x,...[${s}])`;"
    "return Object.assign(()=>{throw new Error(\"PyScript worker hooks run only in a worker\")},"
    "{toString:()=>source})}"
)


def patch(directory):
    hits = [path for path in sorted(pathlib.Path(directory).glob("core-*.js")) if ORIGINAL in path.read_text()]
    if len(hits) != 1 or hits[0].read_text().count(ORIGINAL) != 1:
        sys.exit("patches/pyscript_no_eval.py: expected the worker-hook Function() call once in %s/core-*.js, "
                 "found it in %d files: check the patch against this PyScript version" % (directory, len(hits)))
    path = hits[0]
    path.write_text(path.read_text().replace(ORIGINAL, PATCHED))
    print("patched %s: no eval on the main thread" % path)


if __name__ == "__main__":
    patch(sys.argv[1])
