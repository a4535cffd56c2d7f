"""Apps built with React, Vue and Knockout from npm: the widget boots on them, the visitor's
typing, checkbox, submit and routes work as without it while an agent watches, and the agent's
replay shows the typed text and each route change (see tests/framework_apps.py)."""

import json
import re

import pytest
from playwright.sync_api import expect

from support.apps import APPS, app_base
from support.browser import replay, watched_app

FILLED = {"name": "Ada Lovelace", "message": "Call me\nafter six", "plan": "pro", "subscribe": True}


def fill_form(visitor):
    """Type into the app as a person does, key by key; Enter in the name field submits."""
    visitor.locator("#name").press_sequentially(FILLED["name"])
    visitor.locator("#message").press_sequentially("Call me")
    visitor.locator("#message").press("Enter")
    visitor.locator("#message").press_sequentially("after six")
    visitor.locator("#plan").select_option(FILLED["plan"])
    visitor.locator("#subscribe").check()
    visitor.locator("#name").press("Enter")


@pytest.mark.parametrize("name", APPS)
def test_the_app_works_in_a_session_and_the_agent_sees_text_and_routes(new_page, server, site, runtime, name):
    visitor, agent = watched_app(new_page, server, site, runtime, name)
    view = replay(agent)

    fill_form(visitor)
    # The app's own state got every keystroke, the checkbox and exactly one submit.
    expect(visitor.locator("#name-echo")).to_have_text(FILLED["name"])
    expect(visitor.locator("#subscribe-echo")).to_have_text("yes")
    expect(visitor.locator("#submit-count")).to_have_text("1")
    assert json.loads(visitor.locator("#submitted").inner_text()) == FILLED
    visitor.locator("#increment").click()
    expect(visitor.locator("#clicks")).to_have_text("1")
    # The agent sees what was typed and what the app rendered from it.
    expect(view.locator("#name")).to_have_value(FILLED["name"])
    expect(view.locator("#message")).to_have_value(FILLED["message"])
    expect(view.locator("#subscribe")).to_be_checked()
    expect(view.locator("#name-echo")).to_have_text(FILLED["name"])
    expect(view.locator("#clicks")).to_have_text("1")
    assert json.loads(view.locator("#submitted").inner_text()) == FILLED

    # A client-side route change: no page load, the agent's view follows.
    visitor.locator("#nav-about").click()
    expect(visitor.locator("#about-title")).to_have_text("About")
    assert visitor.evaluate("location.pathname") == app_base(runtime, name) + "/about"
    expect(view.locator("#about-title")).to_have_text("About")
    expect(view.locator("#route")).to_have_text("about")
    expect(view.locator("#signup")).to_have_count(0)
    visitor.go_back()
    expect(visitor.locator("#route")).to_have_text("form")
    expect(view.locator("#route")).to_have_text("form")
    expect(view.locator("#signup")).to_have_count(1)
    # Still one session, never interrupted by the app's navigation.
    assert visitor.evaluate("Cobrowse.API.Session.getState()") == "ACTIVE:ACTIVE"


def test_an_old_style_enter_key_handler_works_in_a_session(new_page, server, site, runtime):
    """Knockout's keyCode-13 handler still hears the visitor's Enter while the page is recorded."""
    visitor, agent = watched_app(new_page, server, site, runtime, "knockout")
    for item in ("milk", "bread"):
        visitor.locator("#new-todo").press_sequentially(item)
        visitor.locator("#new-todo").press("Enter")
    expect(visitor.locator("#todos li")).to_have_text(["milk", "bread"])
    expect(visitor.locator("#new-todo")).to_have_value("")
    expect(replay(agent).locator("#todos li")).to_have_text(["milk", "bread"])


def test_reloading_a_route_keeps_the_app_and_the_session(new_page, server, site, runtime):
    """A route URL loaded directly (a reload after pushState) serves the app on that route."""
    visitor, agent = watched_app(new_page, server, site, runtime, "vue")
    visitor.locator("#nav-about").click()
    expect(visitor.locator("#route")).to_have_text("about")
    visitor.reload()
    expect(visitor.locator("#about-title")).to_have_text("About")
    visitor.wait_for_function("Cobrowse.API.Session.getState() === 'ACTIVE:ACTIVE'")
    expect(replay(agent).locator("#about-title")).to_have_text("About", timeout=15000)
    expect(agent.locator("#visitor-url")).to_contain_text(re.compile(re.escape(app_base(runtime, "vue") + "/about")))
