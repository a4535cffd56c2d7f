"""Canvases in the live view, on both runtimes, with a Chart.js chart (from npm, built by
`make setup` into tests/browser/apps/dist/chart.js) that moves four times a second.

- With ``data-canvas="record"``: the agent's replay shows the chart's pictures as they change
  (WebP, as the replayed canvas's CSS background); a canvas the page's masking covers is never
  read, and stays labelled "Canvas not shared".
- Without it: nothing of any canvas is sent, and every replayed canvas is labelled.
"""

import json

from playwright.sync_api import expect

from cobrowse.core.protocol import CANVAS_FRAME_TAG
from support.apps import DIST
from support.browser import boot, capture_frames, join, replay, start, wait_heard

SLOW = 30000

DASHBOARD = """
<h1 id="title">Dashboard</h1>
<canvas id="chart" width="600" height="400"></canvas>
<canvas id="secret" width="200" height="100" data-cobrowse-mask></canvas>
<script>
  const context = document.getElementById("secret").getContext("2d");
  context.font = "20px sans-serif";
  context.fillText("SECRET CHART", 10, 50);
</script>
<script src="/apps/chart.js"></script>
"""

BACKGROUND = "(canvas) => canvas.style.backgroundImage"


def dashboard(new_page, server, site, runtime, **attributes):
    site.pages["/apps/chart.js"] = (DIST / "chart.js").read_text()
    visitor = new_page()
    frames = capture_frames(visitor)
    path = "/canvas-%s-%s.html" % (runtime, "-".join(sorted(attributes)) or "plain")
    visitor.goto(site.page(server, runtime, DASHBOARD, path=path, **attributes))
    boot(visitor)
    visitor.wait_for_function("window.chartTicks > 0")
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Dashboard", timeout=SLOW)
    return visitor, agent, frames


def canvas_frames(frames):
    """The canvas pictures the visitor sent: [(rrweb id, data URL)]."""
    found = []
    for frame in frames:
        if CANVAS_FRAME_TAG in frame and frame.startswith('{"v":1,"type":"view"'):
            for event in json.loads(frame)["events"]:
                if event.get("type") == 5 and event["data"].get("tag") == CANVAS_FRAME_TAG:
                    found.append((event["data"]["payload"]["id"], event["data"]["payload"]["data"]))
    return found


def test_a_recorded_chart_is_shown_as_it_moves_and_a_masked_canvas_never_read(new_page, server, site, runtime):
    visitor, agent, frames = dashboard(new_page, server, site, runtime, data_canvas="record", data_canvas_fps="4")
    chart = replay(agent).locator("#chart")
    expect(chart).to_have_attribute("data-cobrowse-shared", "1", timeout=SLOW)
    first = chart.evaluate(BACKGROUND)
    assert first.startswith('url("data:image/webp;base64,'), first[:60]
    agent.wait_for_function(
        "(first) => { const c = document.querySelector('#replay iframe').contentDocument.getElementById('chart');"
        " return c.style.backgroundImage !== first; }", arg=first, timeout=SLOW)
    sent = canvas_frames(frames)
    assert len({data for _, data in sent}) >= 2
    # One canvas only was read: the chart. The masked one is labelled in the replay.
    assert len({canvas for canvas, _ in sent}) == 1
    secret = replay(agent).locator("#secret")
    assert "Canvas%20not%20shared" in secret.evaluate(BACKGROUND)
    assert secret.get_attribute("data-cobrowse-shared") is None


def test_without_data_canvas_no_canvas_is_sent_and_each_is_labelled(new_page, server, site, runtime):
    visitor, agent, frames = dashboard(new_page, server, site, runtime)
    chart = replay(agent).locator("#chart")
    agent.wait_for_function(
        "() => { const c = document.querySelector('#replay iframe').contentDocument.getElementById('chart');"
        " return c && c.style.backgroundImage.includes('Canvas%20not%20shared'); }", timeout=SLOW)
    visitor.wait_for_function("window.chartTicks > 8")
    assert canvas_frames(frames) == []
    assert not any("data:image/webp" in frame or "rr_dataURL" in frame for frame in frames)
    assert chart.get_attribute("data-cobrowse-shared") is None
