"""Frames in the live view, on both runtimes.

- Same-origin frames, two levels deep: their content is in the agent's replay, live, with the
  page's masking applied inside them (a frame scan: no masked text or value leaves any frame).
- Links inside them that take the top page off the site fire NavigatingAway (with the leave
  dialog for ``target=_top``); a link that only navigates its frame does not.
- A cross-origin frame without the tag: a labelled placeholder of its size in the replay, and
  nothing of its address but its host on the wire.
"""

import re

from playwright.sync_api import expect

from support.browser import LEAVE_DIALOG, boot, capture_frames, heard, join, replay, start, take_control, wait_heard

SLOW = 30000

SECRETS = {"password": "FRAME-PASSWORD-81", "notes": "FRAME-NOTES-62", "div": "FRAME-DIV-SECRET-44",
           "deep": "DEEP-PASSWORD-93", "deep_div": "DEEP-DIV-SECRET-17", "query": "query-token-5f2c"}

PORTAL = """
<h1 id="title">Your bank</h1>
<iframe id="statements" src="{statements}" width="600" height="400" title="Statements"></iframe>
<iframe id="payment" src="{payment}" width="300" height="150" title="Payment"></iframe>
"""

STATEMENTS = """<!doctype html><title>Statements</title><link rel="icon" href="data:,">
<h2 id="statements-title">Statements</h2>
<form onsubmit="return false">
  <label>Password <input id="password" type="password"></label>
  <label>Notes <textarea id="notes"></textarea></label>
</form>
<div data-cobrowse-mask id="account">Account: {div}</div>
<p><button id="add" type="button" onclick="document.getElementById('count').textContent++">Add</button>
   <span id="count">0</span> <label>Reference <input id="reference"></label></p>
<p><a id="top-away" href="{away}?via=top" target="_top">Partner (whole page)</a>
   <a id="blank-away" href="{away}?via=blank" target="_blank">Partner (new tab)</a>
   <a id="frame-only" href="{away}?via=frame">Partner (in this frame)</a></p>
<iframe id="deeper" src="{deeper}" width="500" height="160" title="Details"></iframe>
"""

DEEPER = """<!doctype html><title>Details</title><link rel="icon" href="data:,">
<h3 id="deep-title">Statement details</h3>
<label>PIN <input id="deep-password" type="password"></label>
<p class="private" id="deep-private">{deep_div}</p>
<p id="deep-public">Nothing private here</p>
"""


def portal(new_page, server, site, runtime):
    """A visitor on the portal, in a session an agent has joined: (visitor, agent, frames)."""
    prefix = "/frames-%s" % runtime
    site.pages[prefix + "-deeper.html"] = DEEPER.format(**SECRETS)
    site.pages[prefix + "-statements.html"] = STATEMENTS.format(
        div=SECRETS["div"], away=site.elsewhere + "/elsewhere.html", deeper=prefix + "-deeper.html")
    # The payment provider: another origin, without the tag, its address carrying a token.
    payment = site.elsewhere + "/elsewhere.html?session=" + SECRETS["query"]
    body = PORTAL.format(statements=prefix + "-statements.html", payment=payment)
    visitor = new_page()
    frames = capture_frames(visitor)
    visitor.goto(site.page(server, runtime, body, path=prefix + ".html", data_mask="#notes, .private"))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Your bank", timeout=SLOW)
    return visitor, agent, frames


def test_frames_two_levels_deep_are_replayed_live_and_masked_inside(new_page, server, site, runtime):
    visitor, agent, frames = portal(new_page, server, site, runtime)
    statements = visitor.frame_locator("#statements")
    deeper = statements.frame_locator("#deeper")
    statements.locator("#password").fill(SECRETS["password"])
    statements.locator("#notes").fill(SECRETS["notes"])
    deeper.locator("#deep-password").fill(SECRETS["deep"])
    deeper.locator("#deep-public").evaluate("(p) => { p.textContent = 'Changed two frames down'; }")

    replayed = replay(agent).frame_locator("#statements")
    expect(replayed.locator("#statements-title")).to_have_text("Statements", timeout=SLOW)
    replayed_deeper = replayed.frame_locator("#deeper")
    expect(replayed_deeper.locator("#deep-public")).to_have_text("Changed two frames down", timeout=SLOW)
    expect(replayed_deeper.locator("#deep-title")).to_have_text("Statement details")
    # The frame scan: nothing private left the visitor's page, from any frame.
    sent = "\n".join(frames)
    for name, secret in SECRETS.items():
        assert secret not in sent, "%s left the visitor's browser" % name
    shown = replayed.locator("html").inner_html() + replayed_deeper.locator("html").inner_html()
    for name, secret in SECRETS.items():
        assert secret not in shown, "%s reached the agent's view" % name


def test_remote_control_reaches_elements_inside_a_same_origin_frame(new_page, server, site, runtime):
    visitor, agent, frames = portal(new_page, server, site, runtime)
    replayed = replay(agent).frame_locator("#statements")
    expect(replayed.locator("#add")).to_be_visible(timeout=SLOW)
    take_control(visitor, agent)

    def click(selector):
        box = replayed.locator(selector).bounding_box()
        agent.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    statements = visitor.frame_locator("#statements")
    click("#add")
    expect(statements.locator("#count")).to_have_text("1", timeout=SLOW)
    expect(replayed.locator("#count")).to_have_text("1", timeout=SLOW)
    click("#reference")
    expect(statements.locator("#reference")).to_be_focused(timeout=SLOW)
    agent.keyboard.type("AB-12")
    expect(statements.locator("#reference")).to_have_value("AB-12", timeout=SLOW)
    expect(replayed.locator("#reference")).to_have_value("AB-12", timeout=SLOW)


def test_a_frame_from_another_site_is_a_labelled_placeholder(new_page, server, site, runtime):
    visitor, agent, frames = portal(new_page, server, site, runtime)
    host = re.sub(r"^https?://", "", site.elsewhere)
    payment = replay(agent).frame_locator("#payment")
    expect(payment.locator("body")).to_have_text("Content from %s is not shared" % host, timeout=SLOW)
    # At the frame's own size (the console may scale the whole replay down to fit).
    size = replay(agent).locator("#payment").evaluate("(frame) => [frame.clientWidth, frame.clientHeight]")
    assert size == [300, 150], size
    # Only its host was sent: not its path, nor its query string.
    sent = "\n".join(frames)
    assert '"rr_src":"%s"' % host in sent
    assert "elsewhere.html?session" not in sent and SECRETS["query"] not in sent


def test_links_in_a_frame_that_take_the_top_page_away_fire_navigating_away(new_page, server, site, runtime):
    visitor, agent, frames = portal(new_page, server, site, runtime)
    statements = visitor.frame_locator("#statements")
    # Only the frame navigates: the visitor stays on the page.
    statements.locator("#frame-only").click()
    expect(visitor.frame_locator("#statements").locator("h1")).to_have_text("Another site", timeout=SLOW)
    assert heard(visitor, "NavigatingAway") == []
    visitor.frame_locator("#statements").locator("h1").evaluate("() => history.back()")
    again = visitor.frame_locator("#statements")
    expect(again.locator("#statements-title")).to_have_text("Statements", timeout=SLOW)
    # A new tab: the event, no dialog.
    with visitor.context.expect_page() as opened:
        again.locator("#blank-away").click()
    opened.value.close()
    assert wait_heard(visitor, "NavigatingAway")[-1]["url"].endswith("/elsewhere.html?via=blank")
    expect(visitor.get_by_role("dialog", name=LEAVE_DIALOG)).to_have_count(0)
    # The whole page: the event and the leave dialog, as for a link of the page itself.
    again.locator("#top-away").click()
    assert wait_heard(visitor, "NavigatingAway", 2)[-1]["url"].endswith("/elsewhere.html?via=top")
    dialog = visitor.get_by_role("dialog", name=LEAVE_DIALOG)
    expect(dialog).to_contain_text("This link will take you outside of the co-browsing session")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert visitor.evaluate("location.pathname").startswith("/frames-")


QUOTE_PARENT = """
<h1 id="title">Insurance</h1>
<iframe id="quote" src="{child}" width="500" height="220" title="Quote"></iframe>
<iframe id="forger" src="{forger}" width="200" height="100" title="Advert"></iframe>
"""

# A frame without the tag that forges rrweb's messages to the parent, as any page could.
FORGER = """<!doctype html><title>Advert</title><link rel="icon" href="data:,"><p>Advert</p>
<script>
  setInterval(() => parent.postMessage({ type: "rrweb", origin: location.origin, isCheckout: true, event: {
    type: 2, timestamp: Date.now(), data: { initialOffset: { left: 0, top: 0 }, node: { type: 0, id: 1, childNodes: [
      { type: 2, id: 2, tagName: "html", attributes: {}, childNodes: [{ type: 2, id: 3, tagName: "body", attributes: {},
        childNodes: [{ type: 3, id: 4, textContent: "FORGED-BY-A-FRAME" }] }] }] } } } }, "*"), 100);
</script>"""

QUOTE_CHILD = """
<h2 id="quote-title">Your quote</h2>
<label>Card <input id="quote-card" autocomplete="cc-number"></label>
<p data-cobrowse-mask id="quote-private">QUOTE-PRIVATE-29</p>
<p id="quote-price">120 EUR</p>
"""


def quote(new_page, server, site, runtime, parent_domains):
    """A parent page whose frame, on another of the site's origins, carries the tag too."""
    child_path = "/quote-child-%s-%s.html" % (runtime, len(parent_domains))
    site.page(server, runtime, QUOTE_CHILD, path=child_path, data_domains="127.0.0.1, localhost")
    visitor = new_page()
    frames = capture_frames(visitor)
    site.pages["/forger.html"] = FORGER
    body = QUOTE_PARENT.format(child=site.elsewhere + child_path, forger=site.elsewhere + "/forger.html")
    visitor.goto(site.page(server, runtime, body, path="/quote-%s-%s.html" % (runtime, len(parent_domains)),
                           data_domains=parent_domains))
    boot(visitor)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code)
    wait_heard(visitor, "AgentConnected")
    expect(replay(agent).locator("#title")).to_have_text("Insurance", timeout=SLOW)
    return visitor, agent, frames


def test_a_frame_of_another_of_the_sites_origins_with_the_tag_is_replayed_with_its_own_masking(
        new_page, server, site, runtime):
    visitor, agent, frames = quote(new_page, server, site, runtime, "127.0.0.1, localhost")
    child = visitor.frame_locator("#quote")
    replayed = replay(agent).frame_locator("#quote")
    expect(replayed.locator("#quote-title")).to_have_text("Your quote", timeout=SLOW)
    child.locator("#quote-card").fill("4111111111111111")
    child.locator("#quote-price").evaluate("(p) => { p.textContent = '99 EUR'; }")
    expect(replayed.locator("#quote-price")).to_have_text("99 EUR", timeout=SLOW)
    sent = "\n".join(frames)
    assert "4111111111111111" not in sent and "QUOTE-PRIVATE-29" not in sent
    # The child runs no session and no widget: its API says why, and it heard no event.
    frame = visitor.frame(url=lambda url: "quote-child" in url)
    failure = frame.evaluate("Cobrowse.ready().then(() => 'ready', (error) => error.message)")
    assert failure == "co-browse runs in the page around this frame, which shares it"
    assert frame.evaluate("document.getElementById('cobrowse-widget')") is None
    assert frame.evaluate("window.heard") == []


def test_a_frame_of_an_origin_not_in_data_domains_is_not_shared_even_with_the_tag(new_page, server, site, runtime):
    visitor, agent, frames = quote(new_page, server, site, runtime, "127.0.0.1")
    host = re.sub(r"^https?://", "", site.elsewhere)
    expect(replay(agent).frame_locator("#quote").locator("body")).to_have_text(
        "Content from %s is not shared" % host, timeout=SLOW)
    visitor.frame_locator("#quote").locator("#quote-price").evaluate("(p) => { p.textContent = '98 EUR'; }")
    expect(replay(agent).frame_locator("#forger").locator("body")).to_have_text(
        "Content from %s is not shared" % host, timeout=SLOW)
    sent = "\n".join(frames)
    assert "Your quote" not in sent and "98 EUR" not in sent and "FORGED-BY-A-FRAME" not in sent
