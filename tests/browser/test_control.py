"""Remote control on both runtimes: an agent asks, the visitor consents, and the agent clicks,
types, chooses and scrolls on the visitor's real page from the replay in the console, with the
mouse and the keyboard, within the limits the visitor's browser enforces."""

import re

import pytest
from playwright.sync_api import expect

from cobrowse.core.constants import MODE_ACB, MODE_ICB
from support.axe import assert_accessible, shadow_nodes
from support.browser import boot, click, consent, heard, join, point, request, start, take_control, wait_heard
from support.browser import replay

SHOP = """
<h1 id="title">Shop</h1>
<p>In basket: <output id="count">0</output></p>
<button id="add" type="button">Add to basket</button>
<form id="newsletter">
  <label>Newsletter <input id="email" name="email" type="email"></label>
  <label><input id="terms" type="checkbox"> Terms</label>
  <label>Size <select id="size"><option>S</option><option>M</option><option>L</option></select></label>
  <label>Note <textarea id="note"></textarea></label>
  <button type="submit">Subscribe</button>
</form>
<p id="editor" contenteditable="true">Hi</p>
<svg width="60" height="30"><rect id="shape" width="60" height="30" fill="#48c"></rect></svg>
<form id="checkout">
  <label>Password <input id="password" type="password"></label>
  <label>Card <input id="card" autocomplete="cc-number"></label>
  <label>Secret <input id="secret" data-cobrowse-mask></label>
  <label>File <input id="file" type="file"></label>
  <div data-cobrowse-no-control><button id="order" type="button">Place order</button></div>
</form>
<div id="box" style="height: 80px; overflow: auto"><div style="height: 600px">Scroll me</div></div>
<p><a id="next" href="{next}">Next page</a> <a id="away" href="{away}">Elsewhere</a></p>
<div style="height: 1500px"></div>
<script>
  window.log = [];
  var note = function (what) { window.log.push(what); };
  document.getElementById("add").addEventListener("click", function () {
    var count = document.getElementById("count");
    count.textContent = String(Number(count.textContent) + 1);
  });
  document.getElementById("newsletter").addEventListener("submit", function (event) {
    event.preventDefault();
    note("submit:" + new FormData(event.target).get("email") + ":" + (event.submitter ? event.submitter.textContent : ""));
  });
  document.getElementById("terms").addEventListener("change", function (event) { note("terms:" + event.target.checked); });
  document.getElementById("size").addEventListener("change", function (event) { note("size:" + event.target.value); });
  document.getElementById("shape").addEventListener("click", function () { note("svg"); });
  document.getElementById("add").addEventListener("dblclick", function () { note("dblclick"); });
  document.getElementById("email").addEventListener("keydown", function (event) {
    if (event.keyCode === 13 && event.which === 13) note("enter-keycode");
  });
  document.getElementById("email").addEventListener("change", function () { note("email-change"); });
  ["password", "card", "secret", "file", "order"].forEach(function (id) {
    var element = document.getElementById(id);
    ["click", "mousedown", "focus", "input"].forEach(function (type) {
      element.addEventListener(type, function () { note("touched:" + id); });
    });
  });
</script>
"""


# Reaches the widget's MicroPython from the page through PyScript's hooks, so that a test can
# read which modules it has imported. PyScript is imported only once the loader has added the
# widget's script tag with its config (imported earlier, PyScript would start a default
# interpreter of its own); the interpreter becomes ready only after fetches, later than this.
PYTHON_HOOK = """<script>
new MutationObserver(function (records, observer) {
  if (!document.querySelector('script[type="mpy"]')) return;
  observer.disconnect();
  import("%s/static/pyscript/core.js").then(function (core) {
    core.hooks.main.onReady.add(function (wrap, element) {
      if (element.type === "mpy") window.widgetPython = wrap.interpreter;
    });
  });
}).observe(document.head, { childList: true });
</script>"""


def python_modules(page):
    """The modules the widget's MicroPython has imported (``sys.modules``)."""
    return page.evaluate("""() => {
        window.widgetPython.runPython("__import__('js').window.widgetModules = ' '.join(__import__('sys').modules)");
        return window.widgetModules.split(' ');
    }""")


def shop(site, server, runtime, name, **attributes):
    next_path = "/control-next-%s-%s.html" % (name, runtime)
    site.page(server, runtime, '<h1 id="title">Next</h1><button id="again" type="button" onclick="window.clicked = true">Again</button>',
              path=next_path, title="Next")
    body = SHOP.replace("{next}", next_path).replace("{away}", site.elsewhere + "/elsewhere.html")
    return site.page(server, runtime, body, path="/control-%s-%s.html" % (name, runtime), title="Shop", **attributes)


def states(visitor):
    return [(event["previousState"], event["state"]) for event in heard(visitor, "StateChanged")]


def watched(new_page, server, site, runtime, name, **attributes):
    """A visitor on the shop in a session and an agent, Alice, watching it."""
    visitor = new_page(shop(site, server, runtime, name, **attributes))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    agent.set_viewport_size({"width": 1400, "height": 900})
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Shop", timeout=15000)
    return visitor, agent


def controlled(new_page, server, site, runtime, name):
    visitor, agent = watched(new_page, server, site, runtime, name)
    take_control(visitor, agent)
    return visitor, agent


def log(visitor):
    return visitor.evaluate("window.log")


def test_asking_allowing_denying_and_stopping_follow_the_contract(new_page, server, site, runtime):
    visitor, agent = watched(new_page, server, site, runtime, "consent")
    assert visitor.evaluate("Cobrowse.API.checkEnvironment()") == {MODE_ICB: True, MODE_ACB: True}
    assert visitor.evaluate("Cobrowse.API.Session.allowControl()") == {
        "result": False, "description": "There is no request for control to allow (state ACTIVE:ACTIVE)"}
    request(agent)
    dialog = consent(visitor)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Alice will be able to click, type and scroll")
    expect(agent.get_by_role("button", name="Request control")).to_be_disabled()
    expect(agent.locator("#control-note")).to_have_text("Waiting for the visitor to allow control\u2026")
    # The dialog has the focus; Esc denies.
    expect(dialog.get_by_role("button", name="Deny")).to_be_focused()
    visitor.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(agent.locator("#status")).to_have_text("The visitor declined your request for control.")
    assert visitor.evaluate("Cobrowse.API.Session.mode") == "ICB"

    request(agent)
    consent(visitor).get_by_role("button", name="Allow").click()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    expect(visitor.get_by_role("button", name="Stop control")).to_be_visible()
    expect(visitor.get_by_text("Alice is controlling this page", exact=True)).to_be_visible()
    expect(visitor.get_by_role("status").filter(has_text="Press Stop control to end it")).to_have_count(1)
    # Remote control speaks through the widget's one live region.
    expect(visitor.locator("#cobrowse-widget [aria-live]")).to_have_count(1)
    expect(visitor.locator(".control-frame")).to_be_visible()
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:ESCALATED"
    assert visitor.evaluate("Cobrowse.API.Session.mode") == "ACB"
    expect(agent.locator("#visitor-state")).to_have_text("Visitor state: You control the page")
    expect(agent.locator("#visitor-state")).to_have_attribute("title", "ACTIVE:ESCALATED")

    visitor.get_by_role("button", name="Stop control").click()
    expect(agent.get_by_role("button", name="Request control")).to_be_enabled()
    expect(agent.locator("#status")).to_have_text("The visitor took back control of the page.")
    expect(visitor.get_by_role("button", name="Stop control")).to_have_count(0)
    assert visitor.evaluate("Cobrowse.API.Session.mode") == "ICB"
    visitor.wait_for_function("window.heard.filter((e) => e[0] === 'StateChanged').length >= 9")
    assert states(visitor)[-5:] == [
        ("ACTIVE:ACTIVE", "ACTIVE:ESCALATING"), ("ACTIVE:ESCALATING", "ACTIVE:ACTIVE"),
        ("ACTIVE:ACTIVE", "ACTIVE:ESCALATING"), ("ACTIVE:ESCALATING", "ACTIVE:ESCALATED"),
        ("ACTIVE:ESCALATED", "ACTIVE:ACTIVE"),
    ]
    # Nothing the agent does reaches the page any more.
    click(agent, "#add")
    visitor.wait_for_timeout(300)
    expect(visitor.locator("#count")).to_have_text("0")


def test_the_consent_dialog_the_controlled_page_and_the_workspace_pass_axe(new_page, server, site, runtime):
    visitor, agent = watched(new_page, server, site, runtime, "axe")
    assert_accessible(agent)
    request(agent)
    expect(consent(visitor)).to_be_visible()
    # The customer's page is not ours to judge: axe checks the widget, the dialog included.
    results = assert_accessible(visitor, "#cobrowse-widget")
    assert shadow_nodes(results, "#cobrowse-widget") >= 5
    assert_accessible(agent)
    consent(visitor).get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("button", name="Stop control")).to_be_visible()
    assert_accessible(visitor, "#cobrowse-widget")
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    assert_accessible(agent)


def test_the_agent_clicks_types_submits_checks_chooses_and_scrolls(new_page, server, site, runtime):
    visitor, agent = controlled(new_page, server, site, runtime, "act")
    # The agent's pointer, with the agent's name, follows the agent's mouse on the visitor's page.
    x, y = point(agent, "#title")
    agent.mouse.move(x, y)
    agent.mouse.move(x + 40, y + 10, steps=4)
    pointer = visitor.locator(".control-pointer")
    expect(pointer).to_contain_text("Alice")
    visitor.wait_for_function("getComputedStyle(document.querySelector('#cobrowse-widget').shadowRoot"
                              ".querySelector('.control-pointer')).transform !== 'none'")
    click(agent, "#add")
    expect(visitor.locator("#count")).to_have_text("1")
    expect(replay(agent).locator("#count")).to_have_text("1")
    agent.mouse.dblclick(*point(agent, "#add"))
    expect(visitor.locator("#count")).to_have_text("3")
    visitor.wait_for_function("window.log.includes('dblclick')")

    click(agent, "#email")
    expect(visitor.locator("#email")).to_be_focused()
    agent.keyboard.type("ada@example.comm")
    agent.keyboard.press("Backspace")
    expect(visitor.locator("#email")).to_have_value("ada@example.com")
    expect(replay(agent).locator("#email")).to_have_value("ada@example.com")
    agent.keyboard.press("Enter")
    visitor.wait_for_function("window.log.includes('submit:ada@example.com:Subscribe')")
    assert log(visitor)[-3:] == ["enter-keycode", "email-change", "submit:ada@example.com:Subscribe"]

    click(agent, "#terms")
    expect(visitor.locator("#terms")).to_be_checked()
    click(agent, "#size")
    chooser = agent.get_by_role("listbox", name="Choose an option on the visitor's page")
    expect(chooser).to_be_focused()
    agent.keyboard.press("ArrowDown")
    agent.keyboard.press("ArrowDown")
    agent.keyboard.press("Enter")
    expect(visitor.locator("#size")).to_have_value("L")
    click(agent, "#note")
    agent.keyboard.type("two")
    agent.keyboard.press("Enter")
    agent.keyboard.type("lines")
    expect(visitor.locator("#note")).to_have_value("two\nlines")
    click(agent, "#editor")
    agent.keyboard.press("End")
    agent.keyboard.type(" there")
    expect(visitor.locator("#editor")).to_contain_text("there")
    click(agent, "#shape")
    visitor.wait_for_function("window.log.includes('svg')")
    for entry in ("terms:true", "size:L", "email-change"):
        assert entry in log(visitor)

    agent.mouse.move(*point(agent, "#box"))
    agent.mouse.wheel(0, 200)
    visitor.wait_for_function("document.getElementById('box').scrollTop > 0")
    agent.mouse.move(*point(agent, "#title"))
    agent.mouse.wheel(0, 300)
    visitor.wait_for_function("window.scrollY > 0")
    # The keyboard is not trapped in the visitor's page: Shift+Escape returns to the console.
    agent.keyboard.press("Shift+Escape")
    expect(agent.get_by_role("button", name="Release control")).to_be_focused()


def test_private_fields_no_control_zones_and_outside_links_are_refused(new_page, server, site, runtime):
    visitor, agent = controlled(new_page, server, site, runtime, "limits")
    status = agent.locator("#status")
    for selector in ("#password", "#card", "#secret", "#file"):
        click(agent, selector)
        expect(status).to_have_text("Agents may not use private fields (passwords, card numbers, files, masked data)")
        agent.evaluate("document.getElementById('status').textContent = ''")
    click(agent, "#order")
    expect(status).to_have_text("The site does not allow agents to use this part of the page")
    click(agent, "#away")
    expect(status).to_have_text("That link leaves the site: it is not followed under control")
    visitor.wait_for_timeout(300)
    assert not [entry for entry in log(visitor) if entry.startswith("touched:")]
    assert visitor.url.startswith(site.base)
    # The visitor's own input wins: while the visitor types, the agent's click is held off.
    agent.evaluate("document.getElementById('status').textContent = ''")
    visitor.locator("#note").click()
    add = point(agent, "#add")
    # The agent's click follows the visitor's key at once (the point is known beforehand).
    visitor.keyboard.press("m")
    agent.mouse.click(*add)
    expect(status).to_have_text("Held off: the visitor is using the page")
    expect(visitor.locator("#count")).to_have_text("0")
    visitor.wait_for_timeout(900)
    click(agent, "#add")
    expect(visitor.locator("#count")).to_have_text("1")


def test_control_survives_a_same_site_page_load_and_ends_with_the_session(new_page, server, site, runtime):
    visitor, agent = controlled(new_page, server, site, runtime, "pages")
    click(agent, "#next")
    visitor.wait_for_url(re.compile(r"control-next-pages"))
    visitor.wait_for_function("window.heard.some((e) => e[0] === 'StateChanged')")
    assert states(visitor) == [("INIT", "ACTIVE:ESCALATED")]
    expect(consent(visitor)).to_have_count(0)
    # The new page shows that Alice controls it, as the first one did.
    expect(visitor.get_by_role("button", name="Stop control")).to_be_visible()
    expect(visitor.get_by_text("Alice is controlling this page", exact=True)).to_be_visible()
    expect(replay(agent).locator("#title")).to_have_text("Next", timeout=20000)
    click(agent, "#again")
    visitor.wait_for_function("window.clicked === true")
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    agent.get_by_role("button", name="Release control").click()
    visitor.wait_for_function("Cobrowse.API.Session.getState() === 'ACTIVE:ACTIVE'")
    assert states(visitor)[-1] == ("ACTIVE:ESCALATED", "ACTIVE:ACTIVE")
    assert visitor.evaluate("Cobrowse.API.Session.stop()")["result"] is True
    wait_heard(visitor, "SessionEnded")
    assert visitor.evaluate("sessionStorage.length") == 0


def test_remote_control_is_loaded_only_once_an_agent_asks_for_it(new_page, server, site, runtime):
    # MicroPython compiles each module it imports on the page's main thread: a visitor whom no
    # agent asks for control must not pay for remote control's browser side.
    visitor = new_page(shop(site, server, runtime, "lazy", head=PYTHON_HOOK % server.base))
    boot(visitor)
    loaded = python_modules(visitor)
    assert "cobrowse.browser.widget" in loaded and "cobrowse.browser.control" not in loaded, loaded
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    assert "cobrowse.browser.control" not in python_modules(visitor)
    # The first request still shows the dialog, and control works from there.
    request(agent)
    expect(consent(visitor)).to_be_visible()
    assert "cobrowse.browser.control" in python_modules(visitor)
    consent(visitor).get_by_role("button", name="Allow").click()
    expect(visitor.get_by_role("button", name="Stop control")).to_be_visible()
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()


def test_a_page_without_ui_answers_through_the_api(new_page, server, site, runtime):
    visitor = new_page(shop(site, server, runtime, "api", data_ui="none"))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    for name in ("denyControl", "revokeControl"):
        answer = visitor.evaluate("Cobrowse.API.Session.%s()" % name)
        assert answer["result"] is False and answer["description"], answer
    request(agent)
    visitor.wait_for_function("Cobrowse.API.Session.getState() === 'ACTIVE:ESCALATING'")
    assert visitor.evaluate("Cobrowse.API.Session.denyControl()") == {"result": True, "description": ""}
    expect(agent.locator("#status")).to_have_text("The visitor declined your request for control.")
    request(agent)
    visitor.wait_for_function("Cobrowse.API.Session.getState() === 'ACTIVE:ESCALATING'")
    assert visitor.evaluate("Cobrowse.API.Session.allowControl()") == {"result": True, "description": ""}
    expect(agent.get_by_role("button", name="Release control")).to_be_visible()
    assert visitor.evaluate("Cobrowse.API.Session.revokeControl()") == {"result": True, "description": ""}
    expect(agent.get_by_role("button", name="Request control")).to_be_enabled()
    assert visitor.locator("#cobrowse-widget").count() == 0


@pytest.mark.slow
def test_one_controller_at_a_time_a_request_times_out_and_ends_with_its_agent(new_page, server, site, runtime):
    visitor, alice = watched(new_page, server, site, runtime, "two")
    bob = new_page()
    join(bob, server, visitor.evaluate("Cobrowse.API.Session.accessCode"), "Bob")
    wait_heard(visitor, "AgentConnected", count=2)
    request(alice)
    # While Alice's request is pending, Bob cannot ask, and is told why.
    expect(bob.get_by_role("button", name="Request control")).to_be_disabled()
    expect(bob.locator("#control-note")).to_have_text("Alice asked the visitor for control.")
    # Nobody answers: after 30 s the request ends, for the visitor and for Alice.
    expect(alice.locator("#status")).to_have_text("The visitor did not answer your request for control in time.",
                                                  timeout=40000)
    expect(consent(visitor)).to_have_count(0)
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:ACTIVE"
    # Bob asks, is allowed, and Alice sees that Bob controls the page.
    request(bob)
    visitor.get_by_role("alertdialog", name="Allow Bob to control this page?").get_by_role("button", name="Allow").click()
    expect(alice.locator("#control-note")).to_have_text("Bob controls the visitor's page.")
    expect(alice.get_by_role("button", name="Request control")).to_be_disabled()
    # Bob leaves: control ends with him, and Alice may ask again.
    bob.get_by_role("button", name="Leave").click()
    visitor.wait_for_function("Cobrowse.API.Session.getState() === 'ACTIVE:ACTIVE'")
    expect(visitor.get_by_role("button", name="Stop control")).to_have_count(0)
    expect(alice.get_by_role("button", name="Request control")).to_be_enabled()
    assert states(visitor)[-4:] == [
        ("ACTIVE:ESCALATING", "ACTIVE:ACTIVE"), ("ACTIVE:ACTIVE", "ACTIVE:ESCALATING"),
        ("ACTIVE:ESCALATING", "ACTIVE:ESCALATED"), ("ACTIVE:ESCALATED", "ACTIVE:ACTIVE"),
    ]
