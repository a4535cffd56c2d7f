"""NavigatingAway: which link activations leave the co-browsed site, on both runtimes.

The customer page is on 127.0.0.1 (the site); ``site.elsewhere`` is localhost on the same port,
a loopback origin standing in for a third-party site, so following a link really navigates
without leaving this machine.
"""

import re

from playwright.sync_api import expect

from support.browser import LEAVE_DIALOG, boot, heard, join, start, wait_heard

LINKS = """
<h1>Shop</h1>
<p><a id="plain" href="{away}?via=a">Partner shop</a></p>
<p><img id="map-image" alt="map" usemap="#partners" width="120" height="60"
        src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='120' height='60'/%3E">
<map name="partners"><area id="area" shape="rect" coords="0,0,120,60" href="{away}?via=area" alt="Partner"></map></p>
<svg width="200" height="40"><a id="svg" href="{away}?via=svg"><text x="5" y="25">SVG partner</text></a></svg>
<p><a id="blank" href="{away}?via=blank" target="_blank">Partner in a new tab</a></p>
<p><partner-card></partner-card></p>
<p id="later"></p>
<p><a id="same-site" href="/other.html">Same-site page</a>
   <a id="fragment" href="#later">Fragment</a>
   <a id="mail" href="mailto:help@example.com">Mail</a>
   <a id="phone" href="tel:+15550100">Phone</a>
   <a id="script" href="javascript:void(0)">Script</a></p>
<script>
  // A link inside an open shadow root, as web components render them.
  customElements.define("partner-card", class extends HTMLElement {{
    connectedCallback() {{
      const root = this.attachShadow({{mode: "open"}});
      root.innerHTML = '<a id="shadow" href="{away}?via=shadow"><span>Shadow partner</span></a>';
    }}
  }});
</script>
"""


def away(site):
    return site.elsewhere + "/elsewhere.html"


def links_page(new_page, server, site, runtime, **attributes):
    visitor = new_page(site.page(server, runtime, LINKS.format(away=away(site)), **attributes))
    boot(visitor)
    return visitor


def navigating_away(page):
    return [event["url"] for event in heard(page, "NavigatingAway")]


def cancel_leaving(page):
    """The default UI asks first; cancelling leaves the session as it was."""
    dialog = page.get_by_role("dialog", name=LEAVE_DIALOG)
    expect(dialog).to_contain_text("This link will take you outside of the co-browsing session")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)


def test_every_kind_of_link_leaving_the_site_fires(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime, site_code="LINKS")
    code = start(visitor)
    target = away(site)
    activations = [
        ("a", lambda: visitor.locator("#plain").click()),
        ("area", lambda: visitor.locator("#map-image").click(position={"x": 10, "y": 10})),
        ("svg", lambda: visitor.get_by_text("SVG partner").click()),
        ("shadow", lambda: visitor.get_by_text("Shadow partner").click()),
        ("a", lambda: (visitor.locator("#plain").focus(), visitor.keyboard.press("Enter"))),
    ]
    for count, (via, activate) in enumerate(activations, 1):
        activate()
        events = wait_heard(visitor, "NavigatingAway", count)
        assert events[-1] == {"url": target + "?via=" + via, "accessCode": code, "SID": None, "siteCode": "LINKS"}
        cancel_leaving(visitor)
        assert visitor.url.startswith(site.base)
        assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:WAIT"

    # A link added after the widget loaded counts too.
    visitor.evaluate("""(href) => {
      const link = document.createElement('a');
      link.href = href; link.textContent = 'Late partner';
      document.getElementById('later').appendChild(link);
    }""", target + "?via=later")
    visitor.get_by_text("Late partner").click()
    assert wait_heard(visitor, "NavigatingAway", len(activations) + 1)[-1]["url"] == target + "?via=later"
    cancel_leaving(visitor)
    assert heard(visitor, "SessionEnded") == []


def test_links_opening_elsewhere_fire_without_ending_the_session(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime)
    start(visitor)
    target = away(site)
    opened = []
    visitor.context.on("page", lambda tab: opened.append(tab))
    visitor.locator("#blank").click()
    visitor.locator("#plain").click(button="middle")
    visitor.locator("#plain").click(modifiers=["Control"])
    wait_heard(visitor, "NavigatingAway", 3)
    assert navigating_away(visitor) == [target + "?via=blank", target + "?via=a", target + "?via=a"]
    # These open another tab: the co-browsed page stays, so nothing asks and nothing ends.
    expect(visitor.get_by_role("dialog", name=LEAVE_DIALOG)).to_have_count(0)
    visitor.wait_for_timeout(300)
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:WAIT"
    assert heard(visitor, "SessionEnded") == []
    assert len(opened) == 3
    for tab in opened:
        tab.wait_for_load_state()
        assert tab.url.startswith(target)
        tab.close()


def test_links_within_the_site_and_other_schemes_do_not_fire(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime)
    start(visitor)
    # The page's own handler keeps these clicks from navigating, after the widget saw them.
    visitor.evaluate("document.addEventListener('click', (event) => event.preventDefault())")
    for selector in ("#same-site", "#fragment", "#mail", "#phone", "#script"):
        visitor.locator(selector).click()
    # data-domains lists the hosts that count as the site: the partner is not one of them here.
    visitor.wait_for_timeout(300)
    assert navigating_away(visitor) == []
    expect(visitor.get_by_role("dialog", name=LEAVE_DIALOG)).to_have_count(0)
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:WAIT"


def test_data_domains_make_other_hosts_part_of_the_site(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime, data_domains="127.0.0.1, localhost")
    start(visitor)
    visitor.evaluate("document.addEventListener('click', (event) => event.preventDefault())")
    visitor.locator("#plain").click()
    visitor.wait_for_timeout(300)
    assert navigating_away(visitor) == []


def test_outside_a_session_links_are_never_intercepted(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime)
    visitor.locator("#plain").click()
    visitor.wait_for_url(away(site) + "?via=a")
    expect(visitor.get_by_role("heading", name="Another site")).to_be_visible()


def record_events(page):
    """Record the visitor's events in the test, since the page itself is about to unload."""
    recorded = []
    page.expose_function("recordCobrowseEvent", lambda name, event: recorded.append((name, event)))
    page.evaluate("""() => ['NavigatingAway', 'SessionEnded'].forEach((name) =>
      Cobrowse.Events[name].listen((event) => window.recordCobrowseEvent(name, event)))""")
    return recorded


def test_confirming_ends_the_session_then_follows_the_link(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime)
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")
    recorded = record_events(visitor)

    visitor.locator("#plain").click()
    dialog = visitor.get_by_role("dialog", name=LEAVE_DIALOG)
    dialog.get_by_role("button", name="Continue").click()
    visitor.wait_for_url(away(site) + "?via=a")
    url = away(site) + "?via=a"
    assert [name for name, _ in recorded] == ["NavigatingAway", "SessionEnded"]
    assert recorded[1][1]["reason"] == "NAVIGATED_AWAY"
    assert recorded[1][1]["accessCode"] == code and recorded[1][1]["agentCount"] == 1
    expect(agent.get_by_role("status")).to_contain_text("The visitor left to " + url)


def test_without_the_popup_leaving_ends_the_session_at_once(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime)
    visitor.evaluate("Cobrowse.API.DefaultUI.navigatingAwayPopupEnabled(false)")
    code = start(visitor)
    agent = new_page()
    join(agent, server, code, "Alice")
    wait_heard(visitor, "AgentConnected")
    recorded = record_events(visitor)

    visitor.get_by_text("SVG partner").click()
    visitor.wait_for_url(away(site) + "?via=svg")
    assert [(name, event.get("reason")) for name, event in recorded] == [("NavigatingAway", None), ("SessionEnded", "NAVIGATED_AWAY")]
    expect(agent.get_by_role("status")).to_contain_text(re.compile("The visitor left to .*via=svg"))


def test_with_no_widget_ui_leaving_is_not_asked(new_page, server, site, runtime):
    visitor = links_page(new_page, server, site, runtime, data_ui="none")
    assert visitor.locator("#cobrowse-widget").count() == 0
    start(visitor)
    recorded = record_events(visitor)
    visitor.locator("#plain").click()
    visitor.wait_for_url(away(site) + "?via=a")
    assert [name for name, _ in recorded] == ["NavigatingAway", "SessionEnded"]
