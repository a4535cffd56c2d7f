"""Gzip: the copies ``make setup`` writes beside the static files (cobrowse/server/compression.py)
and how ``files.Folder`` chooses between a copy, the file compressed in memory and the file
itself, driven in-process through its ASGI interface."""

import gzip
import os

import pytest
from starlette.exceptions import HTTPException

from cobrowse.server.compression import accepts_gzip, precompress
from cobrowse.server.files import Folder
from support.loop import run_async

SCRIPT = b"export const greeting = 'hello';\n" * 100


def get(app, path, headers=None):
    """GET ``path`` from the ASGI ``app``: its status, headers (lower-case) and body."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    # ASGI 2.4: a response need not watch for the client leaving meanwhile.
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": b"", "headers": [(name.lower().encode(), value.encode())
                                              for name, value in (headers or {}).items()]}
    try:
        run_async(app(scope, receive, send))
    except HTTPException as refused:  # The application around a folder answers these.
        return refused.status_code, {}, b""
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], {name.decode(): value.decode() for name, value in start["headers"]}, body


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "app.js").write_bytes(SCRIPT)
    (tmp_path / "small.js").write_bytes(b"let x = 1;\n")
    (tmp_path / "data.zip").write_bytes(os.urandom(4096))
    return tmp_path


def test_precompress_writes_copies_of_compressible_files_only_and_only_when_stale(folder):
    assert precompress(folder) == [folder / "app.js"]
    copy = folder / "app.js.gz"
    assert gzip.decompress(copy.read_bytes()) == SCRIPT
    assert not (folder / "small.js.gz").exists() and not (folder / "data.zip.gz").exists()
    assert precompress(folder) == []
    # A file changed after its copy gets a new one.
    (folder / "app.js").write_bytes(SCRIPT * 2)
    os.utime(copy, ns=(0, 0))
    assert precompress(folder) == [folder / "app.js"]
    assert gzip.decompress(copy.read_bytes()) == SCRIPT * 2


def test_a_fresh_copy_is_sent_as_it_is_and_has_its_own_etag(folder):
    copy = folder / "app.js.gz"
    copy.write_bytes(gzip.compress(SCRIPT, 1))
    served = Folder(folder)
    status, headers, body = get(served, "/app.js", {"Accept-Encoding": "gzip"})
    assert status == 200 and body == copy.read_bytes()
    assert headers["content-encoding"] == "gzip" and headers["content-type"].startswith("text/javascript")
    _, plain, body = get(served, "/app.js")
    assert body == SCRIPT and "content-encoding" not in plain and plain["etag"] != headers["etag"]
    assert get(served, "/app.js", {"Accept-Encoding": "gzip", "If-None-Match": headers["etag"]})[0] == 304
    assert get(served, "/app.js", {"Accept-Encoding": "gzip", "If-None-Match": plain["etag"]})[0] == 200


def test_a_stale_copy_is_never_sent_and_the_file_is_compressed_in_memory(folder):
    copy = folder / "app.js.gz"
    copy.write_bytes(gzip.compress(b"an old version"))
    os.utime(copy, ns=(0, 0))
    status, headers, body = get(Folder(folder), "/app.js", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == SCRIPT


def test_files_not_worth_compressing_are_sent_plain_and_copies_are_not_files_of_their_own(folder):
    precompress(folder)
    served = Folder(folder)
    for name in ("small.js", "data.zip"):
        status, headers, _ = get(served, "/" + name, {"Accept-Encoding": "gzip"})
        assert status == 200 and "content-encoding" not in headers, name
        assert headers["vary"] == "Accept-Encoding"
    assert get(served, "/app.js.gz")[0] == 404


@pytest.mark.parametrize("header, taken", [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("GZIP", True), ("identity", False), ("", False),
    ("gzip;q=0", False), ("gzip; q=0.000, identity", False), ("br, *;q=0", False),
])
def test_accept_encoding_is_read_with_its_qualities(header, taken):
    assert accepts_gzip(header) is taken

