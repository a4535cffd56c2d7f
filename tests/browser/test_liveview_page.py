"""The live view on both runtimes: the agent sees the page as the visitor sees it.

Same-origin iframes, scrolling, the window's size, the pointer and clicks, the site's own
stylesheets and images, and the visitor leaving the site. The replay is rrweb's: an iframe in
the console (same-origin with it, so the tests read its document directly), and rrweb's
``.replayer-mouse`` element for the visitor's pointer.
"""

import re

from playwright.sync_api import expect

from support.browser import boot, join, start, wait_heard
from support.browser import replay

REPLAY = "document.querySelector('#replay iframe')"
# Generous: two runtimes, two browsers and a server share two cores.
SLOW = 20000


def watched(new_page, server, site, runtime, body, name, head=""):
    """A visitor on a new page of the site, in a session an agent has joined and is watching.

    The page's body must hold an element ``#title``; the agent's replay has shown it on return.
    """
    visitor = new_page(site.page(server, runtime, body, path="/liveview-%s-%s.html" % (name, runtime), head=head))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_be_attached(timeout=SLOW)
    return visitor, agent


def wait_replay(agent, predicate, arg=None):
    """Wait until ``predicate(iframe, arg)`` holds in the console; ``iframe`` is the replay's."""
    agent.wait_for_function(
        "([arg]) => { const iframe = %s; return !!iframe && (%s)(iframe, arg); }" % (REPLAY, predicate),
        arg=[arg], timeout=SLOW,
    )


FRAMED = """
<h1 id="title">A page with a frame</h1>
<iframe id="frame" src="{src}" width="400" height="200" title="Inner"></iframe>
"""

FRAME = """<!doctype html><title>Frame</title><link rel="icon" href="data:,">
<p id="inside">Inside the frame</p><ul id="items"></ul>"""


def test_a_same_origin_iframe_and_its_changes_appear(new_page, server, site, runtime):
    frame_path = "/liveview-frame-%s.html" % runtime
    site.pages[frame_path] = FRAME
    visitor, agent = watched(new_page, server, site, runtime, FRAMED.format(src=frame_path), "iframe")

    inner = replay(agent).frame_locator("#frame")
    expect(inner.locator("#inside")).to_have_text("Inside the frame", timeout=SLOW)
    frame = visitor.frame_locator("#frame")
    frame.locator("#inside").evaluate("(element) => { element.textContent = 'Changed inside the frame'; }")
    frame.locator("#items").evaluate("(list) => list.insertAdjacentHTML('beforeend', '<li id=\"added\">Added</li>')")
    expect(inner.locator("#inside")).to_have_text("Changed inside the frame", timeout=SLOW)
    expect(inner.locator("#added")).to_have_text("Added", timeout=SLOW)


LONG = """
<h1 id="title">A long page</h1>
<div style="height: 6000px; background: linear-gradient(#fff, #9ab)"></div>
<p id="bottom">The end</p>
"""


def scrolled_to(visitor, y):
    visitor.wait_for_function("(y) => Math.abs(window.scrollY - y) < 1", arg=y, timeout=SLOW)


def test_scrolling_is_followed(new_page, server, site, runtime):
    visitor, agent = watched(new_page, server, site, runtime, LONG, "scroll")
    same_position = "(iframe, y) => Math.abs(iframe.contentWindow.scrollY - y) <= 2"

    visitor.mouse.move(200, 200)
    visitor.mouse.wheel(0, 1500)
    scrolled_to(visitor, 1500)
    wait_replay(agent, same_position, 1500)
    visitor.mouse.wheel(0, -700)
    scrolled_to(visitor, 800)
    wait_replay(agent, same_position, 800)


def replay_box(agent):
    """The replay's size as the visitor's (the iframe's attributes) and as shown (its box)."""
    return agent.evaluate("""() => {
      const iframe = %s, box = iframe.getBoundingClientRect();
      return {width: Number(iframe.getAttribute('width')), height: Number(iframe.getAttribute('height')),
              shownWidth: box.width, shownHeight: box.height, left: box.left, right: box.right,
              room: document.documentElement.clientWidth};
    }""" % REPLAY)


def assert_shown_whole(box):
    """The whole of the visitor's window fits the console, at the visitor's proportions."""
    assert box["left"] >= 0 and box["right"] <= box["room"] + 0.5, box
    assert box["shownWidth"] <= box["width"] + 0.5, box
    assert abs(box["shownWidth"] / box["shownHeight"] - box["width"] / box["height"]) < 0.01, box


def test_the_window_size_and_its_changes_reach_the_agent(new_page, server, site, runtime):
    visitor, agent = watched(new_page, server, site, runtime, LONG, "size")
    size = visitor.evaluate("[window.innerWidth, window.innerHeight]")
    sized = "(iframe, [w, h]) => iframe.getAttribute('width') == w && iframe.getAttribute('height') == h"
    wait_replay(agent, sized, size)
    assert_shown_whole(replay_box(agent))

    visitor.set_viewport_size({"width": 700, "height": 500})
    wait_replay(agent, sized, [700, 500])
    box = replay_box(agent)
    # A window smaller than the console's room is shown at its own size.
    assert (box["shownWidth"], box["shownHeight"]) == (700, 500), box

    visitor.set_viewport_size({"width": 1900, "height": 1000})
    wait_replay(agent, sized, [1900, 1000])
    assert_shown_whole(replay_box(agent))


POINTER = """
<h1 id="title">Pointer</h1>
<div id="pad" style="width: 600px; height: 400px; background: #def">Click here</div>
"""

# Where rrweb's pointer is over the replayed page, in the visitor's own pixels.
POINTER_AT = """(iframe, [x, y]) => {
  const mouse = document.querySelector('.replayer-mouse');
  const frame = iframe.getBoundingClientRect(), at = mouse.getBoundingClientRect();
  const scale = frame.width / Number(iframe.getAttribute('width'));
  return Math.abs((at.left - frame.left) / scale - x) <= 3 && Math.abs((at.top - frame.top) / scale - y) <= 3;
}"""


def test_the_pointer_and_clicks_are_shown(new_page, server, site, runtime):
    visitor, agent = watched(new_page, server, site, runtime, POINTER, "pointer")
    mouse = agent.locator("#replay .replayer-mouse")
    expect(mouse).to_have_count(1)

    visitor.mouse.move(100, 120)
    visitor.mouse.move(300, 250, steps=5)
    wait_replay(agent, POINTER_AT, [300, 250])
    expect(mouse).to_be_visible()
    expect(mouse).not_to_have_class(re.compile(r"\bactive\b"))

    visitor.mouse.click(420, 330)
    wait_replay(agent, POINTER_AT, [420, 330])
    # rrweb marks a click with the class "active", which plays its click animation.
    expect(mouse).to_have_class(re.compile(r"\bactive\b"), timeout=SLOW)


STYLED = """
<h1 id="title">Styled</h1>
<p id="styled">Styled by the site's stylesheet</p>
<img id="logo" src="{image}" alt="Logo">
"""

STYLESHEET = """
#styled { color: rgb(200, 30, 40); font-weight: 700; border-left: 6px solid rgb(10, 120, 60); padding-left: 9px; }
"""

LOGO = """<svg xmlns="http://www.w3.org/2000/svg" width="48" height="32" viewBox="0 0 48 32">
<rect width="48" height="32" fill="#1a56b8"/></svg>"""

STYLE_PROPERTIES = ["color", "font-weight", "border-left-width", "border-left-color", "padding-left"]


def test_the_sites_stylesheets_and_images_are_shown(new_page, server, site, runtime):
    css_path = "/liveview-style-%s.css" % runtime
    image_path = "/liveview-logo-%s.svg" % runtime
    site.pages[css_path] = STYLESHEET
    site.pages[image_path] = LOGO
    visitor, agent = watched(new_page, server, site, runtime, STYLED.format(image=image_path), "styled",
                             head='<link rel="stylesheet" href="%s">' % css_path)

    styles = "(element, names) => names.map((name) => getComputedStyle(element).getPropertyValue(name))"
    seen = visitor.locator("#styled").evaluate(styles, STYLE_PROPERTIES)
    assert seen[0] == "rgb(200, 30, 40)"
    wait_replay(agent, """(iframe, [names, seen]) => {
      const element = iframe.contentDocument.getElementById('styled');
      return !!element && names.every((name, i) => getComputedStyle(element).getPropertyValue(name) === seen[i]);
    }""", [STYLE_PROPERTIES, seen])

    assert visitor.locator("#logo").evaluate("(image) => image.naturalWidth") == 48
    wait_replay(agent, """(iframe) => {
      const image = iframe.contentDocument.getElementById('logo');
      return !!image && image.complete && image.naturalWidth === 48;
    }""")


AWAY = """
<h1 id="title">Shop</h1>
<p><a id="away" href="{away}">Partner shop</a></p>
"""


def test_leaving_the_site_shows_where_the_visitor_went(new_page, server, site, runtime):
    url = site.elsewhere + "/elsewhere.html?from=liveview"
    visitor, agent = watched(new_page, server, site, runtime, AWAY.format(away=url), "away")
    expect(agent.locator("#visitor-url")).to_contain_text("/liveview-away-%s.html" % runtime)
    expect(agent.locator("#live")).to_be_visible()

    visitor.locator("#away").click()
    visitor.get_by_role("dialog", name="Leaving the co-browsing session").get_by_role("button", name="Continue").click()
    visitor.wait_for_url(url)
    expect(agent.get_by_role("status")).to_have_text("The visitor left to " + url, timeout=SLOW)
    # The session is over: the replay of the visitor's page is gone with it.
    expect(agent.locator("#live")).to_be_hidden()
    expect(agent.locator("#replay iframe")).to_have_count(0)
