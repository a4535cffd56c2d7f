"""Record what Chromium fires for real keys: the table tests/browser/test_keys.py holds the
actuator to.

    .venv/bin/python tools/record_keys.py [--only SUBSTRING]

For each ``(key, target)`` of ``support.keytable.CASES`` it opens the test page, focuses the
target, presses the key with Playwright's keyboard (CDP ``Input.dispatchKeyEvent``: trusted
events and the browser's own default actions, US layout) and writes the events, their fields and
the final state to ``tests/browser/data/chromium_keys.json``, with the Chromium version. It takes
one to three minutes. ``--only`` records the cases whose ``key@target`` contains SUBSTRING and
prints them instead of writing the table.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from support.keytable import BODY, CASES, TABLE, outcome, prepare  # noqa: E402

PAGE = "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Keys</title></head><body>%s</body></html>"


URL = "http://keys.test/keys.html"


def record(page, key, target):
    page.goto(URL)
    # Laid out and painted before the key: a key that comes sooner may not scroll.
    page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))")
    prepare(page, target)
    initial = page.evaluate("__state()")
    for one in key.split(" then "):
        page.keyboard.press(one)
    page.wait_for_timeout(60)
    return dict({"key": key, "target": target, "initial": initial}, **outcome(page))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="record only the cases whose key@target contains this")
    options = parser.parse_args()
    cases = [case for case in CASES if options.only in "%s@%s" % case]
    started = time.time()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        # Served from an origin of its own (a link's hash needs one), never from the network.
        page.route("http://keys.test/**", lambda route: route.fulfill(body=PAGE % BODY, content_type="text/html"))
        recorded = [record(page, key, target) for key, target in cases]
        meta = {"chromium": browser.version, "userAgent": page.evaluate("navigator.userAgent"),
                "recorded": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "how": "Playwright keyboard.press (CDP Input.dispatchKeyEvent), US layout, viewport 1280x720, "
                       "headless; tools/record_keys.py"}
        browser.close()
    if options.only:
        print(json.dumps(recorded, indent=1))
        return
    TABLE.write_text(json.dumps({"meta": meta, "cases": recorded}, indent=1, ensure_ascii=False) + "\n")
    print("%d cases from Chromium %s in %.0f s: %s" % (len(recorded), meta["chromium"], time.time() - started, TABLE))


if __name__ == "__main__":
    main()
