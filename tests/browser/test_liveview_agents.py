"""The live view as agents come and go, on both runtimes: an agent who joins late or comes back
is shown the page from the server's log of the view, so the visitor takes no new snapshot and
the agents already watching are not disturbed.
"""

from playwright.sync_api import expect

from support.browser import heard, join, wait_heard
from support.browser import assert_no_secret, replay, session_on_checkout, type_secrets, watching


def full_snapshots(frames):
    """How many full snapshots of the page the visitor has sent (rrweb's event type 2)."""
    return sum(frame.count('{"type":2,"data":{"node"') for frame in frames)


def mark_replay(agent):
    """Mark the agent's current replay frame; a rebuilt replay has a new frame without it."""
    agent.evaluate("document.querySelector('#replay iframe').__cobrowseTestMark = true")


def replay_unchanged(agent):
    return agent.evaluate("document.querySelector('#replay iframe').__cobrowseTestMark === true")


def test_a_late_joiner_costs_the_visitor_no_snapshot_and_leaves_the_first_view_alone(new_page, server, site, runtime):
    visitor, frames, code = session_on_checkout(new_page, server, site, runtime, "/liveview-agents-%s.html" % runtime)
    first = watching(new_page, server, code)
    type_secrets(visitor)
    visitor.locator("#name").fill("Typed before Bob")
    visitor.evaluate("document.getElementById('list').insertAdjacentHTML('beforeend', '<li id=\"added\">Added</li>')")
    expect(replay(first).locator("#added")).to_have_text("Added")
    expect(replay(first).locator("#name")).to_have_value("Typed before Bob")
    assert full_snapshots(frames) == 1
    mark_replay(first)

    second = new_page()
    join(second, server, code, "Bob")
    wait_heard(visitor, "AgentConnected", count=2)
    # Bob sees the page as it is now: the snapshot and every change since, from the server.
    expect(replay(second).locator("#added")).to_have_text("Added", timeout=15000)
    expect(replay(second).locator("#name")).to_have_value("Typed before Bob")
    visitor.evaluate("document.getElementById('title').textContent = 'Both see this'")
    for agent in (first, second):
        expect(replay(agent).locator("#title")).to_have_text("Both see this")
    # The visitor took no second snapshot, and Alice's replay was never rebuilt.
    assert full_snapshots(frames) == 1
    assert replay_unchanged(first)
    assert_no_secret(frames, second)


def test_an_agent_who_reloads_the_console_sees_what_changed_meanwhile(new_page, server, site, runtime):
    visitor, frames, code = session_on_checkout(new_page, server, site, runtime, "/liveview-reload-%s.html" % runtime)
    agent = watching(new_page, server, code)

    # The console reloads (it rejoins as the same agent); the page changes in between.
    agent.reload(wait_until="commit")
    visitor.evaluate("document.getElementById('title').textContent = 'Changed while away'")
    expect(agent.get_by_role("button", name="Leave")).to_be_visible(timeout=15000)
    expect(replay(agent).locator("#title")).to_have_text("Changed while away", timeout=15000)
    visitor.locator("#name").fill("After the reload")
    expect(replay(agent).locator("#name")).to_have_value("After the reload")
    # The visitor heard of no new agent and took no new snapshot.
    assert full_snapshots(frames) == 1
    assert len(heard(visitor, "AgentConnected")) == 1
