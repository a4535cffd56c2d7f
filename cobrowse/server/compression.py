"""What the server compresses, and the gzip copies ``make setup`` writes beside the static files.

The vendored runtimes (``static/``) are large and change only with ``make setup``: each
compressible file there gets a gzip copy beside it, ``X.gz``, written once by ``precompress``
and sent as it is to clients that take gzip. Anything else compressible (the package's own
files, the manifest, the core's bytecode) is compressed in memory, once per version (``files``).
This module needs only the standard library, so that the wheel's build hook (setup.py) can use it.

Public names:

- ``media_type(name)``: the Content-Type of a file by its name, with the types browsers need for
  ``.mjs``, ``.wasm``, ``.py``, ``.mpy``, ``.toml`` and ``.ts`` registered in ``mimetypes``.
- ``compressible(name, size)``: whether a body of that name and size is worth compressing.
- ``accepts_gzip(accept_encoding)``: whether an Accept-Encoding header takes gzip.
- ``compress(body, level)``: gzip bytes without a timestamp (the same body, the same bytes).
- ``SUFFIX``: ``".gz"``, the gzip copy's suffix; ``fresh_copy(path, stat)``: the stat of the
  gzip copy beside ``path`` if it is at least as new as the file, else None.
- ``precompress(folder)``: write the gzip copy of every compressible file under ``folder`` that
  has none, or an older one. ``python -m cobrowse.server.compression FOLDER...`` does it.
"""

import gzip
import mimetypes
import os
import sys
from pathlib import Path

SUFFIX = ".gz"

mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/x-python", ".py")
mimetypes.add_type("application/x-micropython-bytecode", ".mpy")
mimetypes.add_type("application/toml", ".toml")
mimetypes.add_type("text/plain", ".ts")  # TypeScript declarations (cobrowse.d.ts), not MPEG streams.

# Types worth compressing (wasm compresses to about half), past a size where it pays.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/wasm", "application/toml",
                "application/x-micropython-bytecode")
MINIMUM_SIZE = 1024
REFUSED = ("0", "0.0", "0.00", "0.000")


def media_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def compressible(name: str, size: int) -> bool:
    return size > MINIMUM_SIZE and media_type(name).startswith(COMPRESSIBLE) and not name.endswith(SUFFIX)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (``gzip;q=0`` refuses it)."""
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            quality = params.strip().lower()
            return not quality.startswith("q=") or quality[2:].strip() not in REFUSED
    return False


def compress(body: bytes, level: int = 6) -> bytes:
    return gzip.compress(body, level, mtime=0)


def fresh_copy(path: str, stat: os.stat_result) -> os.stat_result | None:
    """The gzip copy's stat, if there is one as new as the file (else it is stale: not served)."""
    try:
        packed = os.stat(path + SUFFIX)
    except OSError:
        return None
    return packed if packed.st_mtime_ns >= stat.st_mtime_ns else None


def precompress(folder: Path) -> list[Path]:
    """Write the missing or stale gzip copies under ``folder`` (best compression: it is done once);
    the files written."""
    written = []
    for path in sorted(Path(folder).rglob("*")):
        stat = path.stat()
        if path.is_file() and compressible(path.name, stat.st_size) and fresh_copy(str(path), stat) is None:
            path.with_name(path.name + SUFFIX).write_bytes(compress(path.read_bytes(), 9))
            written.append(path)
    return written


def main(argv: list[str]) -> int:
    for folder in argv:
        written = precompress(Path(folder))
        print("cobrowse: %d gzip copies written in %s" % (len(written), folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
