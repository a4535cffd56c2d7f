"""Build hook: a wheel of cobrowse carries the site its server serves, so that ``pip install``
gives a ``cobrowse serve`` that needs no source checkout.

The server serves the site from the checkout's root: ``index.html``, ``demo/`` and ``static/``
(the loader and the runtimes ``make setup`` vendored from npm, with their gzip copies); the
browser's Python files are the package's own (``cobrowse/server/manifest.py``). The wheel gets a
copy of the site under ``cobrowse/site/``, in the same layout, its gzip copies brought up to date
(``cobrowse/server/compression.py``), and ``cobrowse.server.files`` serves from there when it
exists. Editable installs (``make setup``) keep serving the checkout itself. The rest of the
configuration is in pyproject.toml.
"""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # For cobrowse.server.compression, which needs only the standard library.

from cobrowse.server.compression import precompress  # noqa: E402 - needs the path above.

SITE_FILES = ("index.html",)
SITE_FOLDERS = ("demo", "static")
# What `make setup` vendors and builds; without it the installed server could not run the widget.
VENDORED = ("static/pyscript/core.js", "static/micropython/micropython.mjs", "static/pyodide/pyodide.mjs",
            "static/rrweb/rrweb.min.js", "static/cobrowse.js", "cobrowse/console/shared.js")


class BuildWithSite(build_py):
    def run(self):
        super().run()
        if not self.editable_mode:
            self.copy_site(Path(self.build_lib) / "cobrowse" / "site")

    def copy_site(self, target):
        missing = [name for name in VENDORED if not (ROOT / name).is_file()]
        if missing:
            raise SystemExit("cobrowse: %s missing: run `make setup` before building the wheel" % ", ".join(missing))
        shutil.rmtree(target, ignore_errors=True)
        for name in SITE_FOLDERS:
            shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns(".*"))
        for name in SITE_FILES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
        # The wheel's files do not keep their times, by which a stale gzip copy is told: make sure
        # there is none now.
        precompress(target / "static")


setup(cmdclass={"build_py": BuildWithSite})
