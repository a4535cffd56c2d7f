"""axe-core in the browser tests: run it on a page and fail on what would shut people out.

Public names:

- ``assert_accessible(page, context=None)``: run axe-core on ``page`` (or only inside the CSS
  selector ``context``) and fail, listing every rule and element, on any serious or critical
  violation. Returns axe's results for further checks.
- ``run_axe(page, context=None)``: the results alone, without judging them.
- ``shadow_nodes(results, host)``: how many of the elements axe checked lie inside the open
  shadow root of the element ``host`` (a CSS selector), to prove it looked in there.

axe-core comes from npm (pinned in package.json and package-lock.json, installed by
``make setup``) and is injected with Playwright's ``add_script_tag`` from ``node_modules``: no
CDN. axe walks open shadow roots by itself, so the widget is checked where it lives. It does
not run inside frames: the only frame we show is the console's sandboxed replay of the
visitor's page, whose content is the customer's, not ours; the frame element itself is checked.
``add_script_tag`` adds an inline script: on a page whose Content-Security-Policy forbids them,
open the page in a context made with ``bypass_csp=True`` to check it.
"""

from support.processes import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def run_axe(page, context=None):
    """axe-core's results for ``page``, or for the part of it that ``context`` selects."""
    assert AXE.exists(), "%s is missing: run `make setup` (npm ci)" % AXE
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "(context) => axe.run(context === null ? document : context, {iframes: false})",
        context,
    )


def blocking_violations(results):
    """The violations that are serious or critical, as readable lines."""
    lines = []
    for violation in results["violations"]:
        if violation["impact"] in BLOCKING:
            for node in violation["nodes"]:
                lines.append("%s (%s): %s at %s: %s" % (
                    violation["id"], violation["impact"], violation["help"], node["target"], node["failureSummary"],
                ))
    return lines


def assert_accessible(page, context=None):
    """Fail on any serious or critical axe-core violation on ``page`` (or in ``context``)."""
    results = run_axe(page, context)
    lines = blocking_violations(results)
    assert not lines, "axe-core found serious or critical violations:\n" + "\n".join(lines)
    return results


def shadow_nodes(results, host):
    """How many elements axe checked inside ``host``'s shadow root, over every rule's verdict.

    axe names an element in a shadow root by a list of selectors: the host's, then the
    element's inside the root.
    """
    count = 0
    for kind in ("violations", "passes", "incomplete"):
        for rule in results.get(kind, []):
            for node in rule["nodes"]:
                target = node["target"][0] if node["target"] else None
                if isinstance(target, list) and target and target[0] == host:
                    count += 1
    return count
