"""Big pages in the live view, on both runtimes: the full snapshot is taken and written in
slices (patches/rrweb_sliced_snapshot.py, loader/viewtext.js), so joining never freezes the
visitor's page; no change made while it is sliced is lost; a snapshot longer than one message
reaches the agent in parts; a page past the session's budget is refused once, never retried.

The figures (longest task at join, time to the agent's first view, beside rrweb alone) are
bench/liveview.py's: tests assert what happened, never how long it took.
"""

import json

import pytest
from playwright.sync_api import expect

from support.browser import boot, capture_frames, join, replay, start, wait_heard

# A big page, its view and its replay share two cores with the other tests.
SLOW = 90000

# A table of ``rows`` rows of four cells (five elements a row), built at load by the page.
TABLE = """
<h1 id="title">A big table</h1>
<table><tbody id="rows"></tbody></table>
<p id="last">The end</p>
<script>
  (function () {{
    const rows = document.getElementById("rows");
    const html = [];
    for (let i = 0; i < {rows}; i++) {{
      html.push("<tr><td>row " + i + "</td><td>" + "{cell}" + "</td><td>" + (i * 7) + "</td><td>x</td></tr>");
    }}
    rows.innerHTML = html.join("");
  }})();
</script>
"""

# The page changes throughout the join: a cell's text, a new row, a removed row, every 10 ms.
MUTATE = """() => {
  let n = 0;
  const rows = document.getElementById("rows");
  window.mutating = setInterval(() => {
    n++;
    rows.children[(n * 37) % rows.children.length].firstChild.textContent = "changed " + n;
    const row = document.createElement("tr");
    row.innerHTML = "<td>added " + n + "</td><td></td><td></td><td></td>";
    rows.insertBefore(row, rows.children[(n * 101) % rows.children.length]);
    rows.removeChild(rows.children[(n * 53) % rows.children.length]);
  }, 10);
}"""

# The rows' texts, joined: the page's content, to compare with the replay's.
DIGEST = "(rows) => Array.from(rows.children, (row) => row.textContent).join('|')"


def big_page(new_page, site, server, runtime, rows, cell="", name="big"):
    visitor = new_page()
    frames = capture_frames(visitor)
    path = "/liveview-%s-%d-%s.html" % (name, rows, runtime)
    visitor.goto(site.page(server, runtime, TABLE.format(rows=rows, cell=cell), path=path))
    boot(visitor)
    return visitor, frames


def sent_kinds(frames):
    kinds = []
    for frame in frames:
        if frame.startswith('{"v":1,"type":"view_part"'):
            kinds.append(("view_part", json.loads(frame)["size"]))
        elif frame.startswith('{"v":1,"type":"view"'):
            kinds.append(("view", len(frame)))
    return kinds


@pytest.mark.slow
def test_a_page_changing_throughout_a_sliced_join_is_replayed_with_no_change_lost(new_page, server, site, runtime):
    visitor, frames = big_page(new_page, site, server, runtime, 2000)
    code = start(visitor)
    visitor.evaluate(MUTATE)
    agent = new_page()
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#last")).to_have_text("The end", timeout=SLOW)
    walk = visitor.evaluate("window.rrweb.record.lastSlicedWalk")
    visitor.evaluate("clearInterval(window.mutating)")
    # The page changed while the snapshot was taken in many tasks, and held what came meanwhile.
    assert walk["slices"] > 1 and walk["nodes"] > 10000, walk
    live = visitor.locator("#rows").evaluate(DIGEST)
    agent.wait_for_function(
        "([digest, live]) => { const f = document.querySelector('#replay iframe');"
        " const rows = f && f.contentDocument.getElementById('rows'); return !!rows && eval(digest)(rows) === live; }",
        arg=[DIGEST, live], timeout=SLOW)


@pytest.mark.slow
def test_a_snapshot_longer_than_one_message_reaches_the_agent_in_parts(new_page, server, site, runtime):
    # 10,000 rows, 50,000 elements and some 6 MB of snapshot: over the 4 MiB of one message.
    visitor, frames = big_page(new_page, site, server, runtime, 10000, cell="a cell of some text, " * 3)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    expect(replay(agent).locator("#last")).to_have_text("The end", timeout=SLOW)
    expect(replay(agent).locator("#rows > tr")).to_have_count(10000, timeout=SLOW)
    parts = [size for kind, size in sent_kinds(frames) if kind == "view_part"]
    assert len(parts) > 8 and len(set(parts)) == 1 and parts[0] > 4 * 1024 * 1024, parts[:3]
    # The page is live from there on.
    visitor.locator("#last").evaluate("(p) => { p.textContent = 'Still live'; }")
    expect(replay(agent).locator("#last")).to_have_text("Still live", timeout=SLOW)


@pytest.mark.slow
def test_a_page_past_the_budget_is_refused_once_and_the_agents_are_told_why(new_page, server, site, runtime):
    # Some 10 MB of snapshot: past the 8 MiB a session's log holds.
    visitor, frames = big_page(new_page, site, server, runtime, 10000, cell="a cell of rather more text, " * 12)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    expect(agent.locator("#live-note")).to_contain_text("this page is too large to share: ", timeout=SLOW)
    expect(agent.locator("#live-note")).to_contain_text(" MB")
    # A second agent is told too, from the server's log: the visitor is asked for nothing more.
    later = new_page()
    join(later, server, code, "Bob")
    wait_heard(visitor, "AgentConnected", count=2)
    expect(later.locator("#live-note")).to_contain_text("this page is too large to share: ", timeout=SLOW)
    sizes = {size for kind, size in sent_kinds(frames) if kind == "view_part"}
    assert len(sizes) == 1, sizes
    # Told once: the visitor's page stops recording, and takes no new snapshot.
    assert visitor.evaluate("window.rrweb.record.lastSlicedWalk.nodes") > 50000
    assert not [kind for kind, size in sent_kinds(frames) if kind == "view" and size > 65536]
