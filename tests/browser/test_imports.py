"""How the widget's modules import each other, read from their source (no browser needed).

The visitor's MicroPython runs ``cobrowse/core/`` and ``cobrowse/browser/``: only ``ffi`` may
touch JavaScript, no import may go round in a circle (lazy imports inside functions count),
nothing but the package's ``main()`` imports the widget, and what a page imports at boot
leaves out remote control, which is imported when it is first needed.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cobrowse"
FOLDERS = ("core", "browser")
# The modules that may import JavaScript's modules (``js``, ``pyscript``, ``pyodide``).
# ``worker`` is the ``cobrowse`` package's ``__init__`` inside a Pyodide worker, which gets only
# ``core/`` beside it (``server.manifest.worker_files()``), so it cannot import ``ffi``.
TOUCHES_JAVASCRIPT = {"cobrowse.browser.ffi", "cobrowse.browser.worker"}
JAVASCRIPT = ("js", "pyscript", "pyodide", "polyscript")


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for folder in FOLDERS for path in sorted((PACKAGE / folder).glob("*.py"))}
MODULES["cobrowse"] = PACKAGE / "__init__.py"


def imports(name):
    """``(imported, at_boot)`` for each import in module ``name``: the module imported (a
    module of the package when ``from X import Y`` names one), and whether it runs when the
    module is imported (not inside a function)."""
    tree = ast.parse(MODULES[name].read_text())
    lazy = {id(node) for function in ast.walk(tree) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) not in lazy) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "%s: relative imports do not work in the browser's file layout" % name
            for alias in node.names:
                inner = node.module + "." + alias.name
                found.append((inner if inner in MODULES else node.module, id(node) not in lazy))
    return found


def graph(boot_only=False):
    return {name: {target for target, at_boot in imports(name) if target in MODULES and (at_boot or not boot_only)}
            for name in MODULES}


def reached(start, edges):
    seen, todo = set(), [start]
    while todo:
        for target in edges[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_every_module_of_the_browser_is_read():
    assert {"cobrowse.browser.ffi", "cobrowse.browser.widget", "cobrowse.browser.control", "cobrowse.core.session"} <= set(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_ffi_shim_touches_javascript(name):
    touched = sorted({target for target, _ in imports(name) if target.split(".")[0] in JAVASCRIPT})
    if name in TOUCHES_JAVASCRIPT:
        assert touched, "%s no longer imports JavaScript: take it off TOUCHES_JAVASCRIPT" % name
    else:
        assert touched == [], "%s imports %s: go through cobrowse.browser.ffi" % (name, touched)


@pytest.mark.parametrize("name", sorted(name for name in MODULES if name.startswith("cobrowse.core")))
def test_the_core_imports_only_the_core(name):
    ours = {target for target, _ in imports(name) if target.startswith("cobrowse")}
    assert all(target.startswith("cobrowse.core") for target in ours), (name, ours)


def test_no_import_goes_round_in_a_circle():
    edges = graph()
    circles = sorted(name for name in edges if name in reached(name, edges))
    assert circles == [], "these modules import themselves through others: %s" % circles


def test_only_main_imports_the_widget():
    importers = sorted(name for name, targets in graph().items() if "cobrowse.browser.widget" in targets)
    assert importers == ["cobrowse.browser"]


def test_remote_control_is_not_imported_at_boot():
    boot = reached("cobrowse.browser.widget", graph(boot_only=True))
    assert "cobrowse.browser.control" not in boot, sorted(boot)
    assert "cobrowse.browser.control" in reached("cobrowse.browser.widget", graph())
