"""The files the server serves over HTTP, through Starlette's ``StaticFiles``.

Starlette does the ETags, If-None-Match and If-Modified-Since (304), Last-Modified, Range,
content types and path safety. ``Folder`` adds what a cross-origin embed and a cache need:
``Access-Control-Allow-Origin: *``, ``Cross-Origin-Resource-Policy``, ``X-Content-Type-Options``,
a Cache-Control per file, and gzip to clients that take it (each encoding with its own ETag, and
``Vary: Accept-Encoding``).

Public names:

- ``ROOT``: the folder of the site (``index.html``, ``demo/``, ``static/``): the checkout, or the
  copy an installed wheel carries in ``cobrowse/site/`` (see setup.py).
- ``Folder(directory, cache=..., allowed=None)``: the files of ``directory`` (only those named in
  ``allowed``, if given) as an ASGI app; ``body_response(scope, name, body, headers)`` serves a
  body made in memory the same way.
- ``SiteFiles(root, compiler)``: every file the server serves, by ``routes()``: the demo site,
  the loader and runtimes, the browser's Python files (``manifest``; the core's also as
  bytecode, ``bytecode``), the agent console's files; ``console_page`` is the console itself,
  which ``app`` guards with the agent key.
- ``build_hash(compiler)``: the build of the browser's Python files the loader asks for.
- ``CACHE_LOADER``, ``CACHE_IMMUTABLE``, ``CACHE_RUNTIME``, ``CACHE_REVALIDATE``: the
  Cache-Control policies.

Gzip: a file's fresh ``.gz`` copy when it has one (``compression.precompress``, run by ``make
setup`` on ``static/``), else the file compressed once in memory; bodies made in memory likewise.
"""

import functools
import hashlib
import json
import os
from collections.abc import Callable, Collection
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from cobrowse.server import manifest
from cobrowse.server.bytecode import Compiler
from cobrowse.server.compression import SUFFIX, accepts_gzip, compress, compressible, fresh_copy, media_type
from cobrowse.server.manifest import PACKAGE

ROOT = PACKAGE / "site" if (PACKAGE / "site").is_dir() else PACKAGE.parent

# How long browsers may keep what we serve. The loader's URL is fixed in customers' pages, so it
# (and the manifest it reads) is fresh within minutes yet served from cache meanwhile; the Python
# modules are fetched with the build's hash in their URL, so a copy is valid forever; the
# vendored runtimes change only with a release.
CACHE_LOADER = "public, max-age=300, stale-while-revalidate=86400"
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_RUNTIME = "public, max-age=86400"
CACHE_REVALIDATE = "no-cache"

# On every file: the widget is embedded in other origins' pages.
EMBEDDING = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Vary": "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
}
# What a 304 leaves out of the headers of the response it stands for.
BODY_HEADERS = ("content-length", "content-type")

CachePolicy = Callable[[str, Scope], str]


def revalidate(path: str, scope: Scope) -> str:
    return CACHE_REVALIDATE


def tag(body: bytes) -> str:
    return '"%s"' % hashlib.sha256(body).hexdigest()[:16]


@functools.lru_cache(maxsize=128)
def encodings(body: bytes, name: str) -> tuple[str, tuple[bytes, str] | None]:
    """A body made in memory: its ETag, and its gzip with that one's ETag (None if not worth it)."""
    packed = compress(body) if compressible(name, len(body)) else None
    return tag(body), (packed, tag(packed)) if packed is not None else None


@functools.lru_cache(maxsize=128)
def packed_file(path: str, mtime_ns: int, size: int) -> tuple[bytes, str]:
    """A file without a fresh gzip copy beside it, compressed in memory, and its ETag."""
    packed = compress(Path(path).read_bytes())
    return packed, tag(packed)


class Folder(StaticFiles):
    """The files of one folder, or only those named in ``allowed``, as Starlette serves them, with
    the headers of ``EMBEDDING``, Cache-Control by ``cache(path, scope)`` and gzip when taken.
    Gzip copies are never served by their own name."""

    def __init__(self, directory: Path, cache: CachePolicy = revalidate, allowed: Collection[str] | None = None):
        super().__init__(directory=directory)
        self.root = os.path.realpath(directory)
        self.cache = cache
        self.allowed = allowed

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path.endswith(SUFFIX) or (self.allowed is not None and path not in self.allowed):
            return "", None
        return super().lookup_path(path)

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        path = os.fspath(full_path)
        return self.finish(representation(path, stat_result, scope), scope, os.path.relpath(path, self.root))

    def body_response(self, scope: Scope, name: str, body: bytes, headers: dict[str, str] | None = None) -> Response:
        """Serve ``body``, made in memory, as the file ``name`` of this folder would be served."""
        etag, packed = encodings(body, name)
        headers = {**(headers or {}), "ETag": etag}
        if packed is not None and takes_gzip(scope):
            body, headers["ETag"], headers["Content-Encoding"] = *packed, "gzip"
        return self.finish(Response(body, media_type=media_type(name), headers=headers), scope, name)

    def finish(self, response: Response, scope: Scope, path: str) -> Response:
        """The headers every file gets (its Cache-Control by ``cache`` unless it has one); a 304
        instead if the client's copy is current."""
        response.headers.update(EMBEDDING)
        response.headers.setdefault("Cache-Control", self.cache(path, scope))
        if not self.is_not_modified(response.headers, Headers(scope=scope)):
            return response
        kept = {name: value for name, value in response.headers.items() if name not in BODY_HEADERS}
        return Response(status_code=304, headers=kept)


def takes_gzip(scope: Scope) -> bool:
    return accepts_gzip(Headers(scope=scope).get("accept-encoding", ""))


def representation(path: str, stat: os.stat_result, scope: Scope) -> Response:
    """The file at ``path`` as the client takes it: its fresh gzip copy, else the file compressed
    in memory (if worth it), else the file itself."""
    kind = media_type(path)
    if takes_gzip(scope):
        packed = fresh_copy(path, stat)
        if packed is not None:
            return FileResponse(path + SUFFIX, stat_result=packed, media_type=kind, headers={"Content-Encoding": "gzip"})
        if compressible(path, stat.st_size):
            body, etag = packed_file(path, stat.st_mtime_ns, stat.st_size)
            return Response(body, media_type=kind, headers={"ETag": etag, "Content-Encoding": "gzip"})
    return FileResponse(path, stat_result=stat, media_type=kind)


def build_hash(compiler: Compiler | None = None) -> str:
    """A short hash of the browser's Python files, and of the ``compiler`` that turns them into
    bytecode (if any): the build the loader asks for."""
    digest = hashlib.sha256()
    for name in sorted(manifest.served()):
        digest.update(name.encode() + b"\0" + (PACKAGE.parent / name).read_bytes() + b"\0")
    digest.update(str(compiler and compiler.version).encode())
    return digest.hexdigest()[:16]


def static_cache(path: str, scope: Scope) -> str:
    return CACHE_LOADER if path == "cobrowse.js" else CACHE_RUNTIME


class SiteFiles:
    """Every file the server serves: the demo site, the loader and runtimes, the browser's
    Python files (``manifest``) and the agent console's files; ``routes()`` gives their routes."""

    def __init__(self, root: Path, compiler: Compiler | None = None):
        self.root = root
        self.compiler = compiler or Compiler()
        self.core = set(manifest.core_files())
        self.static = Folder(root / "static", cache=static_cache)
        self.site = Folder(root, allowed={"index.html"})
        self.demo = Folder(root / "demo")
        self.modules = Folder(PACKAGE, cache=self.module_cache,
                              allowed={name.split("/", 1)[1] for name in manifest.served()})
        self.console = Folder(PACKAGE / "console")

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.index),
            Route("/index.html", self.index),
            Route("/cobrowse/manifest.json", self.manifest),
            Route("/pyscript.toml", self.manifest),
            Route("/favicon.ico", favicon),
            Route("/cobrowse/{module:path}.mpy", self.bytecode),
            Mount("/cobrowse", self.modules),
            Mount("/static", self.static),
            Mount("/demo", self.demo),
            Mount("/agent", self.console),
        ]

    async def index(self, request: Request) -> Response:
        return await self.site.get_response("index.html", request.scope)

    async def console_page(self, request: Request) -> Response:
        return await self.console.get_response("index.html", request.scope)

    def module_cache(self, path: str, scope: Scope) -> str:
        """Modules asked for with the current build (``?v=``) are cached for good."""
        current = Request(scope).query_params.get("v") == build_hash(self.compiler)
        return CACHE_IMMUTABLE if current else CACHE_REVALIDATE

    async def manifest(self, request: Request) -> Response:
        """The browser's files, as JSON for the loader (as TOML at ``/pyscript.toml``, for a
        loader a browser cached before): the core's as bytecode where the compiler made it.
        The build hash travels with it: the loader adds it to every module's URL."""
        build = build_hash(self.compiler)
        headers = {"X-Cobrowse-Build": build, "Access-Control-Expose-Headers": "X-Cobrowse-Build",
                   "Cache-Control": CACHE_LOADER}
        compiled = await run_in_threadpool(self.compiled_core)
        config = manifest.config(compiled.__contains__)
        if request.url.path.endswith(".toml"):
            name, body = "pyscript.toml", manifest.as_toml(config).encode()
        else:
            name, body = "manifest.json", json.dumps(config, sort_keys=True).encode()
        return self.site.body_response(request.scope, name, body, headers)

    def compiled_core(self) -> set[str]:
        """The core modules the compiler turns into bytecode (it keeps what it compiled)."""
        return {name for name in self.core if self.compiler.compile(PACKAGE.parent / name) is not None}

    async def bytecode(self, request: Request) -> Response:
        """The bytecode of a core module (``/cobrowse/core/x.mpy``), if it compiles."""
        name = "cobrowse/%s.py" % request.path_params["module"]
        if name not in self.core:
            raise HTTPException(404)
        body = await run_in_threadpool(self.compiler.compile, PACKAGE.parent / name)
        if body is None:
            raise HTTPException(404)
        return self.modules.body_response(request.scope, name[:-len(".py")] + ".mpy", body)


async def favicon(request: Request) -> Response:
    return Response(status_code=204)
