"""patches/rrweb_sliced_snapshot.py: it applies to the vendored rrweb, the served copy carries it,
and an rrweb whose text moved fails `make setup` instead of shipping unpatched."""

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
RRWEB = ROOT / "node_modules" / "rrweb" / "dist" / "rrweb.umd.cjs"


def load_patch():
    spec = importlib.util.spec_from_file_location("rrweb_sliced_snapshot", ROOT / "patches" / "rrweb_sliced_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_patch_applies_to_the_vendored_rrweb_and_the_served_copy_has_it():
    patched = load_patch().patch(RRWEB.read_text())
    for added in ("function* serializeNodeWithIdSliced(", "fullSnapshotSliceMs = 0", "scrollReadFilter(n2)",
                  "slicedWalk.held.push", "lastSlicedWalk"):
        assert patched.count(added) == 1, added
    served = (ROOT / "static" / "rrweb" / "rrweb.min.js").read_text()
    assert "lastSlicedWalk" in served and "fullSnapshotSliceMs" in served


@pytest.mark.parametrize("anchor", [
    "function serializeNodeWithId(n2, options) {",
    "  wrappedEmit = (r2, isCheckout) => {\n    const e2 = r2;\n",
    "    if (n2.scrollLeft) attributes.rr_scrollLeft = n2.scrollLeft;",
    "    return () => {\n      [...handlers, ...iframeObservers.values()]",
])
def test_an_rrweb_whose_text_moved_stops_the_setup(anchor):
    source = RRWEB.read_text()
    assert anchor in source
    with pytest.raises(SystemExit) as stopped:
        load_patch().patch(source.replace(anchor, anchor.replace("(", "( ")))
    assert "check the patch" in str(stopped.value)
