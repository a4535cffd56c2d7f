"""The agent tools on both runtimes: the console's "Agent tool" radio group, a pointer that lands
on the element it was aimed at whatever the visitor's window and scroll, the "look here" ring,
strokes anchored to the document that every agent sees and either side clears, the visitor's
switch, what data-agent-tools allows, Cobrowse.API.Session.agentTools, and what screen readers
hear. Nothing of it is ever in the page's own DOM or in the live view."""

from playwright.sync_api import expect

from cobrowse.core.constants import AGENT_COLOURS
from support.axe import assert_accessible
from support.browser import boot, join, point, replay, start, wait_heard, widget

PAGE = """
<h1 id="title">Tools</h1>
<div style="height: 300px"></div>
<p><button id="target" type="button" style="width: 240px; height: 60px">Look here</button></p>
<div style="height: 1500px"></div>
"""

OVERLAY = "document.getElementById('cobrowse-widget').shadowRoot"


def visitor_and_agent(new_page, server, site, runtime, name, **attributes):
    """A visitor on the page in a session, and Alice watching it: ``(visitor, agent, code)``."""
    visitor = new_page(site.page(server, runtime, PAGE, path="/tools-%s-%s.html" % (name, runtime), **attributes))
    visitor.set_viewport_size({"width": 1000, "height": 700})
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    agent.set_viewport_size({"width": 1400, "height": 900})
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Tools", timeout=15000)
    return visitor, agent, code


def pointer_in_target(visitor):
    """Whether the tip of Alice's pointer on the visitor's page is inside #target."""
    return visitor.evaluate("""() => {
        const pointer = %s.querySelector('.cobrowse-pointer');
        if (!pointer || pointer.hidden) return false;
        const tip = pointer.getBoundingClientRect();
        const box = document.getElementById('target').getBoundingClientRect();
        return tip.left >= box.left && tip.left <= box.right && tip.top >= box.top && tip.top <= box.bottom;
    }""" % OVERLAY)


def stroke_points_in_target(visitor):
    """For each stroke on the visitor's page, whether all its points lie on #target."""
    return visitor.evaluate("""() => {
        const box = document.getElementById('target').getBoundingClientRect();
        return Array.from(%s.querySelectorAll('polyline'), (line) => {
            const origin = line.ownerSVGElement.getBoundingClientRect();
            return Array.from(line.points).every((p) => origin.left + p.x >= box.left - 1 && origin.left + p.x <= box.right + 1
                && origin.top + p.y >= box.top - 1 && origin.top + p.y <= box.bottom + 1);
        });
    }""" % OVERLAY)


def scroll_to(visitor, agent, y):
    """The visitor scrolls to ``y``; wait until the replay has followed, at the visitor's size."""
    visitor.evaluate("(y) => window.scrollTo(0, y)", y)
    width = visitor.evaluate("window.innerWidth")
    html = replay(agent).locator("html")
    for _ in range(100):
        if html.evaluate("(node) => [window.scrollY, window.innerWidth]") == [y, width]:
            agent.wait_for_timeout(100)  # The replay's scale follows its size in the same frame.
            return
        agent.wait_for_timeout(50)
    raise AssertionError("the replay did not follow the visitor's scroll to %d" % y)


def scroll_to_target(visitor, agent):
    scroll_to(visitor, agent, 200)


def draw_across(agent, selector="#target"):
    box = replay(agent).locator(selector).bounding_box()
    y = box["y"] + box["height"] / 2
    agent.mouse.move(box["x"] + 10, y)
    agent.mouse.down()
    for step in range(1, 11):
        agent.mouse.move(box["x"] + 10 + step * (box["width"] - 20) / 10, y, steps=2)
    agent.mouse.up()


def test_the_toolbar_is_a_radio_group_point_first_and_the_arrows_move_in_it(new_page, server, site, runtime):
    visitor, agent, code = visitor_and_agent(new_page, server, site, runtime, "group")
    group = agent.get_by_role("radiogroup", name="Agent tool")
    expect(group.get_by_role("radio")).to_have_count(3)
    expect(group.get_by_role("radio", name="Point")).to_have_attribute("aria-checked", "true")
    expect(agent.get_by_role("button", name="Request control")).to_be_visible()
    group.get_by_role("radio", name="Point").focus()
    agent.keyboard.press("ArrowRight")
    expect(group.get_by_role("radio", name="Draw")).to_be_focused()
    expect(group.get_by_role("radio", name="Draw")).to_have_attribute("aria-checked", "true")
    agent.keyboard.press("ArrowRight")
    expect(group.get_by_role("radio", name="View")).to_have_attribute("aria-checked", "true")
    expect(group.get_by_role("radio", name="Point")).to_have_attribute("aria-checked", "false")
    agent.keyboard.press("ArrowLeft")
    expect(group.get_by_role("radio", name="Draw")).to_have_attribute("aria-checked", "true")
    assert_accessible(agent, ".toolbar")
    # View: nothing the agent does reaches the visitor's page.
    group.get_by_role("radio", name="View").click()
    scroll_to_target(visitor, agent)
    agent.mouse.move(*point(agent, "#target"))
    agent.mouse.click(*point(agent, "#target"))
    agent.wait_for_timeout(500)
    assert visitor.evaluate("%s.querySelectorAll('.cobrowse-pointer, polyline').length" % OVERLAY) == 0


def test_the_pointer_lands_on_the_element_at_another_size_and_scroll_and_rings(new_page, server, site, runtime):
    visitor, agent, code = visitor_and_agent(new_page, server, site, runtime, "point")
    scroll_to_target(visitor, agent)
    agent.mouse.move(*point(agent, "#target"))
    visitor.wait_for_function("() => !!%s.querySelector('.cobrowse-pointer')" % OVERLAY)
    label = visitor.evaluate("%s.querySelector('.cobrowse-pointer .label').textContent" % OVERLAY)
    assert label == "Alice"
    assert pointer_in_target(visitor)
    expect(visitor.locator("#cobrowse-widget [role=status]").first).to_have_text("Alice is pointing at your screen")
    # The visitor scrolls and the window shrinks: the pointer stays on the element.
    visitor.evaluate("window.scrollTo(0, 120)")
    visitor.wait_for_timeout(100)
    assert pointer_in_target(visitor)
    visitor.set_viewport_size({"width": 600, "height": 500})
    scroll_to(visitor, agent, 250)
    agent.mouse.move(*point(agent, "#target"), steps=3)
    visitor.wait_for_function("() => %s.querySelector('.cobrowse-pointer') !== null" % OVERLAY)
    agent.wait_for_timeout(300)
    assert pointer_in_target(visitor)
    # A click in Point mode rings there, and does nothing else to the page.
    agent.mouse.click(*point(agent, "#target"))
    visitor.wait_for_function("() => !!%s.querySelector('.cobrowse-ring')" % OVERLAY)
    assert visitor.evaluate("document.activeElement === document.body")
    # The pointer leaves with the agent's mouse; nothing of it is in the page's DOM or the replay.
    agent.mouse.move(5, 5)
    visitor.wait_for_function("() => !%s.querySelector('.cobrowse-pointer')" % OVERLAY)
    assert visitor.evaluate("document.querySelectorAll('.cobrowse-pointer, .cobrowse-overlay').length") == 0
    assert "cobrowse-overlay" not in replay(agent).locator("html").inner_html()


def test_strokes_are_anchored_every_agent_sees_them_and_either_side_clears(new_page, server, site, runtime):
    visitor, agent, code = visitor_and_agent(new_page, server, site, runtime, "draw")
    scroll_to_target(visitor, agent)
    agent.get_by_role("radio", name="Draw").click()
    draw_across(agent)
    visitor.wait_for_function("() => %s.querySelectorAll('polyline').length === 1" % OVERLAY)
    assert stroke_points_in_target(visitor) == [True]
    expect(visitor.locator("#cobrowse-widget [role=status]").first).to_have_text("Alice is drawing on your screen")
    # Strokes are in the document: they scroll with it.
    visitor.evaluate("window.scrollTo(0, 0)")
    assert stroke_points_in_target(visitor) == [True]
    # Bob joins late and sees the stroke; the page's DOM never changed outside the widget.
    bob = new_page()
    join(bob, server, code, "Bob")
    expect(bob.locator("#sketch polyline")).to_have_count(1, timeout=15000)
    expect(agent.locator("#sketch polyline")).to_have_count(1)
    assert "polyline" not in replay(bob).locator("html").inner_html()
    # The visitor's Clear takes it away for everybody.
    widget(visitor).get_by_role("button", name="Clear").click()
    expect(bob.locator("#sketch polyline")).to_have_count(0)
    expect(agent.locator("#sketch polyline")).to_have_count(0)
    assert visitor.evaluate("%s.querySelectorAll('polyline').length" % OVERLAY) == 0
    expect(agent.locator("#tools-note")).to_have_text("The visitor cleared the drawings.")
    # Bob draws; Alice's Clear drawings takes it away for everybody.
    bob.get_by_role("radio", name="Draw").click()
    draw_across(bob)
    expect(agent.locator("#sketch polyline")).to_have_count(1)
    visitor.wait_for_function("() => %s.querySelectorAll('polyline').length === 1" % OVERLAY)
    colours = visitor.evaluate("Array.from(%s.querySelectorAll('polyline'), (l) => l.getAttribute('stroke'))" % OVERLAY)
    assert colours == [AGENT_COLOURS[1]]  # Bob's, the second agent's.
    agent.get_by_role("button", name="Clear drawings").click()
    visitor.wait_for_function("() => %s.querySelectorAll('polyline').length === 0" % OVERLAY)
    expect(bob.locator("#sketch polyline")).to_have_count(0)


def test_the_visitor_s_switch_turns_pointing_and_drawing_off(new_page, server, site, runtime):
    visitor, agent, code = visitor_and_agent(new_page, server, site, runtime, "switch")
    assert visitor.evaluate("Cobrowse.API.Session.agentTools") == ["point", "draw", "control"]
    switch = widget(visitor).get_by_role("switch", name="Agent tools")
    expect(switch).to_have_attribute("aria-checked", "true")
    assert_accessible(visitor, "#cobrowse-widget")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(agent.locator("#tools-note")).to_have_text("The visitor turned pointing off.")
    expect(agent.get_by_role("radio", name="View")).to_have_attribute("aria-checked", "true")
    expect(agent.get_by_role("radio", name="Point")).to_have_attribute("aria-disabled", "true")
    assert visitor.evaluate("Cobrowse.API.Session.agentTools") == ["control"]
    # Nothing reaches the page (the server refuses it too: tests/server/relay/test_tools.py).
    agent.mouse.move(*point(agent, "#title"))
    agent.wait_for_timeout(300)
    assert visitor.evaluate("%s.querySelectorAll('.cobrowse-pointer').length" % OVERLAY) == 0
    switch.click()
    expect(agent.locator("#tools-note")).to_have_text("")
    expect(agent.get_by_role("radio", name="Point")).to_have_attribute("aria-disabled", "false")
    assert visitor.evaluate("Cobrowse.API.Session.agentTools") == ["point", "draw", "control"]


def test_a_page_without_drawing_or_control_offers_neither(new_page, server, site, runtime):
    visitor, agent, code = visitor_and_agent(new_page, server, site, runtime, "allowed", data_agent_tools="point")
    assert visitor.evaluate("Cobrowse.API.Session.agentTools") == ["point"]
    group = agent.get_by_role("radiogroup", name="Agent tool")
    expect(group.get_by_role("radio")).to_have_count(2)
    expect(group.get_by_role("radio", name="Draw")).to_have_count(0)
    expect(agent.get_by_role("button", name="Clear drawings")).to_be_hidden()
    expect(agent.get_by_role("button", name="Request control")).to_be_hidden()
    scroll_to_target(visitor, agent)
    agent.mouse.move(*point(agent, "#target"))
    visitor.wait_for_function("() => !!%s.querySelector('.cobrowse-pointer')" % OVERLAY)
