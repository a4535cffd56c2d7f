"""The files the server serves over HTTP: the loader and runtimes for cross-origin embedding,
the browser's Python files (the manifest, bytecode), caching, compression and 404s."""

import gzip
import json
import re

import pytest

from cobrowse.server import manifest
from cobrowse.server.bytecode import Compiler
from support.processes import ROOT
from support.wire import http_get


# Static files.


def test_loader_is_served_for_cross_origin_embedding(server):
    status, headers, body = http_get(server, "/static/cobrowse.js")
    assert status == 200
    assert body == (ROOT / "static" / "cobrowse.js").read_bytes()
    assert headers["access-control-allow-origin"] == "*"
    assert re.match(r"(text|application)/javascript\b", headers["content-type"])
    assert headers["etag"]
    # The loader's URL is fixed in customers' pages, so it may be cached but never for good.
    assert headers["cache-control"]
    assert "immutable" not in headers["cache-control"]
    assert "content-encoding" not in headers


@pytest.mark.parametrize("path, kind", [
    ("/static/micropython/micropython.mjs", "text/javascript"),
    ("/static/micropython/micropython.wasm", "application/wasm"),
    ("/static/pyodide/pyodide.asm.wasm", "application/wasm"),
    ("/static/pyodide/pyodide.mjs", "text/javascript"),
])
def test_runtime_files_have_their_mime_types_and_are_cached(server, path, kind):
    status, headers, body = http_get(server, path)
    assert status == 200
    assert headers["content-type"].split(";")[0] == kind
    assert headers["access-control-allow-origin"] == "*"
    assert "max-age=" in headers["cache-control"]
    assert body == (ROOT / path.lstrip("/")).read_bytes()


@pytest.mark.parametrize("path", ["/static/cobrowse.js", "/static/micropython/micropython.wasm", "/cobrowse/core/session.py"])
def test_gzip_when_the_client_takes_it(server, path):
    plain_status, plain_headers, plain = http_get(server, path)
    status, headers, packed = http_get(server, path, {"Accept-Encoding": "gzip, deflate"})
    assert plain_status == status == 200
    assert headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain_headers
    assert "Accept-Encoding" in headers["vary"]
    assert len(packed) < len(plain)
    assert int(headers["content-length"]) == len(packed)
    assert gzip.decompress(packed) == plain
    assert headers["content-type"] == plain_headers["content-type"]


def test_the_servers_runtimes_are_sent_as_the_copies_make_setup_wrote(server):
    for path in ("/static/micropython/micropython.wasm", "/static/pyodide/pyodide.asm.mjs"):
        copy = ROOT / (path.lstrip("/") + ".gz")
        assert copy.is_file(), "%s is missing: run make setup" % copy
        status, headers, body = http_get(server, path, {"Accept-Encoding": "gzip"})
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert body == copy.read_bytes(), path


@pytest.mark.parametrize("path", ["/static/cobrowse.js", "/static/micropython/micropython.mjs", "/cobrowse/core/session.py", "/"])
def test_etag_revalidation_gives_304(server, path):
    status, headers, _ = http_get(server, path)
    assert status == 200
    assert "cache-control" in headers
    etag = headers["etag"]
    status, again, body = http_get(server, path, {"If-None-Match": etag})
    assert status == 304
    assert body == b""
    assert again["etag"] == etag
    # A different tag gets the whole file.
    status, _, body = http_get(server, path, {"If-None-Match": '"stale"'})
    assert status == 200 and body


def test_only_the_browser_modules_are_served(server):
    listed = manifest.served()
    assert "cobrowse/core/session.py" in listed and "cobrowse/browser/worker.py" in listed
    for module in listed:
        status, headers, body = http_get(server, "/" + module)
        assert status == 200, module
        assert body == (ROOT / module).read_bytes()
    for secret in ("server/app.py", "server/backends/store.py", "__main__.py", "console/index.html",
                   "../pyproject.toml", "nope.py", "core/../server/app.py"):
        status, _, _ = http_get(server, "/cobrowse/" + secret)
        assert status == 404, secret


@pytest.mark.parametrize("path", [
    "/static/../cobrowse/server/app.py",
    "/static/%2e%2e/cobrowse/server/app.py",
    "/static/..%2fcobrowse/server/app.py",
    "/static/micropython/../../pyproject.toml",
    "/demo/../cobrowse/server/app.py",
    "/agent/../../cobrowse/server/app.py",
    "/static/",
    "/static/micropython",
])
def test_paths_outside_the_served_folders_are_404(server, path):
    status, _, body = http_get(server, path)
    assert status == 404, body[:200]


def test_the_manifest_and_the_demo_index_are_served(server):
    status, headers, body = http_get(server, "/cobrowse/manifest.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    # The core's modules are named as their bytecode; nothing else differs.
    assert json.loads(body) == manifest.config(lambda name: True)
    assert headers["access-control-allow-origin"] == "*"
    # A loader cached before the manifest was JSON reads the same as pyscript.toml.
    status, headers, body = http_get(server, "/pyscript.toml")
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert body.decode() == manifest.as_toml(manifest.config(lambda name: True))
    status, headers, body = http_get(server, "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert body == (ROOT / "index.html").read_bytes()


def test_the_core_is_served_as_bytecode_and_pyodide_gets_python(server):
    # MicroPython loads the core's modules as bytecode, which it need not compile on the page's
    # main thread; the page's own CPython (Pyodide, worker-files) gets the sources.
    config = json.loads(http_get(server, "/cobrowse/manifest.json")[2])
    core = sorted(config["files"])
    assert core == sorted(name[:-len(".py")] + ".mpy" for name in manifest.core_files())
    assert all(config["files"][name] == "./" + name for name in core)
    assert "cobrowse/browser/widget.mpy" in core and "cobrowse/__init__.mpy" in core
    assert config["worker-files"] == manifest.config(lambda name: False)["worker-files"]
    compiler = Compiler()
    for name in core:
        status, headers, body = http_get(server, "/" + name)
        assert status == 200, name
        assert headers["content-type"] == "application/x-micropython-bytecode"
        assert body[:2] == b"M\x06" and body == compiler.compile(ROOT / (name[:-len(".mpy")] + ".py")), name
        status, _, _ = http_get(server, "/" + name, {"If-None-Match": headers["etag"]})
        assert status == 304
    _, packed, body = http_get(server, "/cobrowse/core/session.mpy", {"Accept-Encoding": "gzip"})
    assert packed["content-encoding"] == "gzip"
    assert gzip.decompress(body) == compiler.compile(ROOT / "cobrowse/core/session.py")
    # Only the core's modules have bytecode: not the workers' package, not the server's modules.
    for other in ("browser/worker.mpy", "server/app.mpy", "nope.mpy", "../pyproject.mpy"):
        status, _, _ = http_get(server, "/cobrowse/" + other)
        assert status == 404, other


def test_each_encoding_has_its_own_etag_and_a_refused_gzip_is_respected(server):
    path = "/static/micropython/micropython.mjs"
    _, plain, _ = http_get(server, path)
    _, packed, _ = http_get(server, path, {"Accept-Encoding": "gzip"})
    assert plain["etag"] != packed["etag"]
    status, _, body = http_get(server, path, {"Accept-Encoding": "gzip", "If-None-Match": plain["etag"]})
    assert status == 200 and body, "a plain copy's tag must not validate the gzip copy"
    status, _, _ = http_get(server, path, {"Accept-Encoding": "gzip", "If-None-Match": packed["etag"]})
    assert status == 304
    _, refused, _ = http_get(server, path, {"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused


def test_modules_asked_for_with_the_current_build_are_cached_for_good(server):
    # The loader reads the build from the manifest's response (exposed to cross-origin pages).
    _, listing, _ = http_get(server, "/cobrowse/manifest.json")
    build = listing["x-cobrowse-build"]
    assert re.fullmatch(r"[0-9a-f]{16}", build)
    assert "X-Cobrowse-Build" in listing["access-control-expose-headers"]
    _, current, _ = http_get(server, "/cobrowse/core/session.py?v=" + build)
    assert "immutable" in current["cache-control"]
    # Another build's URL (an old page, a guess) must not be cached for good.
    _, other, body = http_get(server, "/cobrowse/core/session.py?v=0000000000000000")
    assert "immutable" not in other["cache-control"] and body == (ROOT / "cobrowse/core/session.py").read_bytes()
