"""A visitor on a phone (Playwright's mobile emulation: 390x844, touch, device scale 3) on both
runtimes: the agent's console shows the visitor's whole viewport, scaled into the agent's window
and never cropped, and the agent's click under control reaches the `click` handlers of a page
that listens to touch and click only, as a finger's tap."""

import pytest
from playwright.sync_api import expect

from cobrowse.core.control import VISITOR_HOLD_MS
from support.browser import boot, click, join, replay, start, take_control, wait_heard

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
# Every site made for phones says so; without it a phone lays the page out 980 px wide.
VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1">'

TOUCH_ONLY = """
<h1 id="title">Phone shop</h1>
<button id="buy" type="button">Buy</button> <button id="probe" type="button">Probe</button>
<p>Bought: <output id="bought">0</output></p>
<div style="height: 1500px"></div>
<p id="bottom">The end</p>
<script>
  // Written for fingers: the page listens to touch and click, never to the mouse.
  window.heardInput = [];
  var buy = document.getElementById("buy");
  ["touchstart", "touchend", "click"].forEach(function (type) {
    buy.addEventListener(type, function (event) {
      window.heardInput.push(type + ":" + (event.pointerType || (event.touches ? "touch" : "")));
    }, { passive: true });
  });
  // What a tap on the probe fires, as the document hears it (enter and leave aside).
  window.probed = [];
  ["pointerover", "pointerdown", "touchstart", "pointerup", "pointerout", "touchend", "mouseover", "mousemove",
   "mousedown", "focusin", "mouseup", "click"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.id === "probe") window.probed.push(type + ":" + (event.pointerType || ""));
    }, true);
  });
  buy.addEventListener("click", function () {
    var bought = document.getElementById("bought");
    bought.textContent = String(Number(bought.textContent) + 1);
  });
</script>
"""


def phone_session(new_page, server, site, runtime, agent_size):
    url = site.page(server, runtime, TOUCH_ONLY, head=VIEWPORT_META, path="/phone-%s-%d.html" % (runtime, agent_size["width"]),
                    title="Phone shop")
    visitor = new_page(url, **PHONE)
    boot(visitor)
    assert visitor.evaluate("[innerWidth, innerHeight, matchMedia('(pointer: coarse)').matches]") == [390, 844, True]
    code = start(visitor)
    agent = new_page(viewport=agent_size)
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Phone shop", timeout=15000)
    return visitor, agent


# Where the replay sits in the agent's window: the box, the replayed viewport (its iframe, as
# scaled), and the window.
REPLAY_BOX = """() => {
  const box = document.getElementById("replay").getBoundingClientRect();
  const frame = document.querySelector("#replay iframe").getBoundingClientRect();
  const round = (rect) => [rect.left, rect.top, rect.right, rect.bottom].map((value) => Math.round(value));
  return { box: round(box), frame: round(frame), window: [innerWidth, innerHeight] };
}"""


@pytest.mark.parametrize("agent_size", [{"width": 1400, "height": 900}, {"width": 900, "height": 600}])
def test_the_console_fits_the_phones_whole_viewport_into_the_agents_window(new_page, server, site, runtime, agent_size):
    visitor, agent = phone_session(new_page, server, site, runtime, agent_size)
    agent.wait_for_function("document.querySelector('#replay iframe').getBoundingClientRect().height > 0")
    where = agent.evaluate(REPLAY_BOX)
    left, top, right, bottom = where["frame"]
    width, height = where["window"]
    # Never cropped: the replayed viewport is inside the agent's window, and all of it is in the box.
    assert 0 <= left and 0 <= top and right <= width and bottom <= height, where
    box_left, box_top, box_right, box_bottom = where["box"]
    assert box_left <= left + 1 and box_top <= top + 1 and right <= box_right + 1 and bottom <= box_bottom + 1, where
    # Scaled in the phone's own proportions (390 x 844).
    assert abs((right - left) / (bottom - top) - 390 / 844) < 0.02, where
    # The page's end, scrolled to on the phone, shows inside the agent's window too.
    visitor.evaluate("document.getElementById('bottom').scrollIntoView({block: 'end'})")
    bottom_line = replay(agent).locator("#bottom")
    expect(bottom_line).to_be_in_viewport()
    scrolled = visitor.evaluate("scrollY")
    assert scrolled > 0
    agent.wait_for_function("(y) => document.querySelector('#replay iframe').contentWindow.scrollY === y", arg=scrolled)


def test_the_agents_click_is_a_tap_that_reaches_a_touch_only_pages_click_handler(new_page, server, site, runtime):
    visitor, agent = phone_session(new_page, server, site, runtime, {"width": 1400, "height": 900})
    take_control(visitor, agent)
    click(agent, "#buy")
    expect(visitor.locator("#bought")).to_have_text("1")
    assert visitor.evaluate("window.heardInput") == ["touchstart:touch", "touchend:touch", "click:touch"]
    expect(replay(agent).locator("#bought")).to_have_text("1")
    # The agent's tap fires what a finger's tap on the phone fires, in the same order.
    visitor.tap("#probe")
    visitor.wait_for_function("window.probed.includes('click:touch')")
    real = visitor.evaluate("window.probed.splice(0)")
    visitor.evaluate("document.activeElement.blur()")
    # The visitor's own tap holds the agent off for a moment (control.VISITOR_HOLD_MS).
    visitor.wait_for_timeout(VISITOR_HOLD_MS + 100)
    click(agent, "#probe")
    visitor.wait_for_function("window.probed.includes('click:touch')")
    assert visitor.evaluate("window.probed") == real
