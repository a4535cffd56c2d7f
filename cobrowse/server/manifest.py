"""The browser's file manifest: which Python files of this package the visitor's browser loads,
read from the folders they are in.

Public names:

- ``PACKAGE``: this package's folder (``cobrowse/``); the browser's files are served from it.
- ``core_files()``: the co-browse core, run on MicroPython on the page's main thread: the
  package's ``__init__.py``, ``core/`` and ``browser/`` (less the worker's own ``__init__``).
- ``worker_files()``: the ``cobrowse`` package of the page's own Python under
  ``data-runtime="pyodide"`` (CPython in a PyScript worker): ``core/``, with
  ``browser/worker.py`` as the package's ``__init__.py``.
- ``served()``: every file either list names, as paths like ``cobrowse/core/events.py``.
- ``config(compiled)``: what the loader gets (``/cobrowse/manifest.json``): ``{"files": {...},
  "worker-files": {...}}``, each mapping a file's URL path (relative to the server's root) to
  where the interpreter keeps it (relative to its working folder),
  with the core files for which ``compiled(path)`` is true given as their ``.mpy``.
- ``as_toml(config)``: the same as PyScript's TOML (``/pyscript.toml``), for loaders that
  browsers cached before the manifest was JSON.

A file's path is relative to the folder holding the package (``cobrowse/core/events.py``), as
its URL path on the server and its place in the interpreter's file system: a new module in
``core/`` or ``browser/`` reaches the browser with nothing else to change.
"""

import json
from collections.abc import Callable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
WORKER = "browser/worker.py"


def _path(file: Path) -> str:
    return file.relative_to(PACKAGE.parent).as_posix()


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


def core_files() -> dict[str, str]:
    files = [PACKAGE / "__init__.py"] + _modules("core") + _modules("browser")
    return {_path(file): _path(file) for file in files if _path(file) != "cobrowse/" + WORKER}


def worker_files() -> dict[str, str]:
    files = {_path(file): _path(file) for file in _modules("core")}
    files["cobrowse/" + WORKER] = "cobrowse/__init__.py"
    return files


def served() -> set[str]:
    return set(core_files()) | set(worker_files())


def config(compiled: Callable[[str], bool]) -> dict[str, dict[str, str]]:
    def bytecode(path: str) -> str:
        return path[:-len(".py")] + ".mpy" if compiled(path) else path

    return {
        "files": {bytecode(source): "./" + bytecode(target) for source, target in core_files().items()},
        "worker-files": {source: "./" + target for source, target in worker_files().items()},
    }


def as_toml(manifest: dict[str, dict[str, str]]) -> str:
    lines = ["# The browser's Python files, from the folders of the cobrowse package."]
    for table in ("files", "worker-files"):
        lines.append("[%s]" % table)
        for source in sorted(manifest[table]):
            lines.append("%s = %s" % (json.dumps("./" + source), json.dumps(manifest[table][source])))
    return "\n".join(lines) + "\n"
