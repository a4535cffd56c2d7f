# make setup: everything the project needs, installed idempotently (quick once done).
# make run:   serve the demo site, the widget and the agent console on 127.0.0.1:8000.
# make test:  the whole test suite (unit, MicroPython, server, browser on both runtimes).
# make test-fast: the tests that start no process (no server, Redis, node or browser): seconds.
# make bench: every benchmark in bench/ that takes under 10 minutes, figures in bench/results/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
RUNTIMES := static/.vendored
APPS := tests/browser/apps/dist/.built
LOADER := static/cobrowse.js
LOADER_SOURCES := $(filter-out %/shared.js,$(wildcard cobrowse/browser/loader/*.js))
SHARED := cobrowse/browser/loader/shared.js cobrowse/console/shared.js

.PHONY: setup precompressed run test test-fast bench chromium services clean

setup: $(VENV)/.installed $(RUNTIMES) $(APPS) $(SHARED) $(LOADER) precompressed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The runtimes are copied, not linked, so static/ is exactly what the server serves.
$(RUNTIMES): node_modules/.package-lock.json Makefile patches/pyscript_no_eval.py patches/rrweb_sliced_snapshot.py
	rm -rf static/pyscript static/micropython static/pyodide static/rrweb
	mkdir -p static/pyscript static/micropython static/pyodide static/rrweb
	cp node_modules/@pyscript/core/dist/*.js node_modules/@pyscript/core/dist/*.css static/pyscript/
	$(PYTHON) patches/pyscript_no_eval.py static/pyscript
	cp node_modules/@micropython/micropython-webassembly-pyscript/micropython.mjs \
	   node_modules/@micropython/micropython-webassembly-pyscript/micropython.wasm static/micropython/
	cp node_modules/pyodide/pyodide.mjs node_modules/pyodide/pyodide.asm.mjs node_modules/pyodide/pyodide.asm.wasm \
	   node_modules/pyodide/python_stdlib.zip node_modules/pyodide/pyodide-lock.json static/pyodide/
	$(PYTHON) patches/rrweb_sliced_snapshot.py node_modules/rrweb/dist/rrweb.umd.cjs static/rrweb/rrweb.sliced.js
	node_modules/.bin/esbuild static/rrweb/rrweb.sliced.js --minify --log-level=warning --outfile=static/rrweb/rrweb.min.js
	rm static/rrweb/rrweb.sliced.js
	cp node_modules/rrweb/dist/style.min.css static/rrweb/rrweb.min.css
	touch $@

# A gzip copy beside each compressible static file, which the server sends to clients that take
# gzip; only missing or stale copies are written, so this is quick once done.
precompressed: $(VENV)/.installed $(RUNTIMES) $(LOADER)
	$(PY) -m cobrowse.server.compression static

# The values the core shares with JavaScript, as an ES module for the loader and the console.
$(SHARED) &: tools/shared_values.py $(wildcard cobrowse/core/*.py)
	$(PYTHON) tools/shared_values.py

# The loader: one classic script, bundled by esbuild from its ES modules.
$(LOADER): node_modules/.package-lock.json tools/build_loader.mjs $(LOADER_SOURCES) cobrowse/browser/loader/shared.js
	node tools/build_loader.mjs $@

# The browser tests' apps, built from npm packages with esbuild as real sites build theirs.
$(APPS): node_modules/.package-lock.json $(wildcard tests/browser/apps/build.mjs tests/browser/apps/react/* tests/browser/apps/vue/* tests/browser/apps/knockout/* tests/browser/apps/jquery/* tests/browser/apps/chart/*)
	node tests/browser/apps/build.mjs
	touch $@

# Browser tests drive Debian's Chromium; Playwright cannot download a browser here.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The Redis tests start their own redis-server and nginx (Debian's) as child processes.
services:
	@command -v redis-server >/dev/null && test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server nginx >/dev/null; }

run: setup
	$(PY) -m cobrowse serve --host $(HOST) --port $(PORT)

# The suite mostly waits (on browsers, servers and the product's timeouts), so it runs on more
# processes than there are cores. --dist loadgroup hands each test to the next free worker, the
# slow ones first, and keeps an xdist_group (tests sharing a costly fixture) on one worker.
# Bytecode caches are written (in git-ignored __pycache__ folders) even where the environment
# sets PYTHONDONTWRITEBYTECODE: without them every worker and every server process compiles
# all its modules, and pytest rewrites every test module's asserts, again each time (some 2 s
# of CPU per worker).
TEST_WORKERS ?= 4
TEST_ENV := PYTHONDONTWRITEBYTECODE=
test: setup chromium services
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

test-fast: setup
	$(TEST_ENV) $(PY) -m pytest -m "not process"

# Every benchmark that finishes in under 10 minutes here, one after the other (scale.py runs
# load.py three times and failover.py); each writes its figures to bench/results/.
BENCHES := boot maincpu control liveview files scale stacks

bench: setup chromium services
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test,bench]'
	@for name in $(BENCHES); do echo "== bench/$$name.py"; $(PY) bench/$$name.py || exit 1; done

clean:
	rm -rf $(VENV) node_modules static/pyscript static/micropython static/pyodide static/rrweb static/*.gz $(RUNTIMES) \
	   tests/browser/apps/dist $(LOADER) $(SHARED)
