"""Remote control of apps built with React, Vue, Knockout and jQuery from npm (support/apps.py),
on both runtimes: the agent types, presses Enter, checks a box and chooses an option in the
replay, and the app's own state gets each of them, as from the visitor's own hands."""

import json

import pytest
from playwright.sync_api import expect

from support.apps import APPS
from support.browser import click, take_control
from support.browser import watched_app
from support.browser import replay


def controlled_app(new_page, server, site, runtime, name):
    visitor, agent = watched_app(new_page, server, site, runtime, name)
    # The visitor's click on Allow is on the widget: it does not hold the agent off.
    take_control(visitor, agent)
    return visitor, agent


@pytest.mark.parametrize("name", APPS)
def test_the_agent_types_checks_chooses_and_submits_in_the_app(new_page, server, site, runtime, name):
    visitor, agent = controlled_app(new_page, server, site, runtime, name)
    click(agent, "#message")
    agent.keyboard.type("Call me")
    click(agent, "#subscribe")
    expect(visitor.locator("#subscribe-echo")).to_have_text("yes")
    click(agent, "#plan")
    agent.get_by_role("listbox", name="Choose an option on the visitor's page").select_option(label="Pro")
    agent.keyboard.press("Enter")
    expect(visitor.locator("#plan")).to_have_value("pro")
    click(agent, "#name")
    agent.keyboard.type("Ada")
    expect(visitor.locator("#name-echo")).to_have_text("Ada")
    agent.keyboard.press("Enter")
    expect(visitor.locator("#submit-count")).to_have_text("1")
    assert json.loads(visitor.locator("#submitted").inner_text()) == {
        "name": "Ada", "message": "Call me", "plan": "pro", "subscribe": True}
    expect(replay(agent).locator("#submit-count")).to_have_text("1")
    click(agent, "#increment")
    expect(visitor.locator("#clicks")).to_have_text("1")


def test_an_old_style_enter_handler_hears_the_agents_enter(new_page, server, site, runtime):
    visitor, agent = controlled_app(new_page, server, site, runtime, "knockout")
    click(agent, "#new-todo")
    agent.keyboard.type("milk")
    agent.keyboard.press("Enter")
    expect(visitor.locator("#todos li")).to_have_text(["milk"])
    expect(visitor.locator("#new-todo")).to_have_value("")


def test_an_old_jquery_app_hears_enter_on_keypress_space_and_escape(new_page, server, site, runtime):
    visitor, agent = controlled_app(new_page, server, site, runtime, "jquery")
    click(agent, "#name")
    agent.keyboard.type("Ada")
    expect(visitor.locator("#name-echo")).to_have_text("Ada")
    # The app's keypress handler (e.which === 13) signs up and stops the form's own submission.
    agent.keyboard.press("Enter")
    expect(visitor.locator("#submit-count")).to_have_text("1")
    assert json.loads(visitor.locator("#submitted").inner_text())["name"] == "Ada"
    # Tab moves on, as a keyboard does; Space toggles the checkbox that has the focus.
    agent.keyboard.press("Tab")
    expect(visitor.locator("#message")).to_be_focused()
    click(agent, "#subscribe")
    expect(visitor.locator("#subscribe-echo")).to_have_text("yes")
    agent.keyboard.press(" ")
    expect(visitor.locator("#subscribe-echo")).to_have_text("no")
    agent.keyboard.press(" ")
    expect(visitor.locator("#subscribe-echo")).to_have_text("yes")
    click(agent, "#help")
    expect(visitor.locator("#help-panel")).to_be_visible()
    agent.keyboard.press("Escape")
    expect(visitor.locator("#help-panel")).to_be_hidden()
    expect(visitor.locator("#escape-count")).to_have_text("1")
    expect(visitor.locator("#submit-count")).to_have_text("1")
