"""The agent tools' decisions: what a page allows, the visitor's switch, points and strokes
checked at the edge, the strokes a session keeps, colours and the pace."""

import pytest

from cobrowse.core.constants import AGENT_COLOURS
from cobrowse.core.tools import (MAX_POINTS, MAX_STROKES, Pace, ToolRefused, colour, kept, parse_allowed,
                                 parse_point, parse_stroke, refusal, usable)


@pytest.mark.parametrize("text,tools,unknown", [
    (None, ["point", "draw", "control"], []),
    ("", ["point", "draw", "control"], []),
    ("point,draw,control", ["point", "draw", "control"], []),
    (" Control , point ", ["point", "control"], []),
    ("point,laser", ["point"], ["laser"]),
    (",", [], []),
    ("none", [], []),
])
def test_data_agent_tools(text, tools, unknown):
    assert parse_allowed(text) == (tools, unknown)


def test_what_agents_may_use_and_why_not():
    assert usable(None) == ["point", "draw", "control"]
    off = {"allowed": ["point", "draw", "control"], "on": False}
    assert usable(off) == ["control"]
    assert refusal(off, "point") == "The visitor turned pointing off"
    assert refusal(off, "draw") == "The visitor turned drawing off"
    assert refusal(off, "control") is None
    page = {"allowed": ["point"], "on": True}
    assert refusal(page, "point") is None
    assert refusal(page, "draw") == "This site does not allow agents to draw"
    assert refusal(page, "control") == "This site does not allow remote control"


def test_a_point_is_a_node_and_an_offset():
    assert parse_point({"id": 3, "x": 1.5, "y": -2, "extra": "<b>"}) == {"id": 3, "x": 1.5, "y": -2, "ring": False}
    assert parse_point({"x": 0, "y": 0, "ring": True}) == {"id": -1, "x": 0, "y": 0, "ring": True}
    for bad in ([], {"id": "3", "x": 0, "y": 0}, {"id": True, "x": 0, "y": 0}, {"id": 1, "x": "0", "y": 0},
                {"id": 1, "x": 1e12, "y": 0}, {"id": -2, "x": 0, "y": 0}):
        with pytest.raises(ToolRefused):
            parse_point(bad)


def test_a_stroke_is_checked():
    stroke = {"id": "s", "node": 4, "points": [1, 2, 3, 4], "done": True, "html": "x"}
    assert parse_stroke(stroke) == {"id": "s", "node": 4, "points": [1, 2, 3, 4], "done": True}
    for bad in ({"id": "", "points": [1, 2]}, {"id": "s", "points": [1]}, {"id": "s", "points": [1, "2"]},
                {"id": "s", "points": []}, {"id": "s" * 65, "points": [1, 2]},
                {"id": "s", "points": [0] * (2 * MAX_POINTS + 2)}):
        with pytest.raises(ToolRefused):
            parse_stroke(bad)


def test_a_session_keeps_its_latest_strokes_once_each():
    strokes = []
    for index in range(MAX_STROKES + 5):
        strokes = kept(strokes, {"stroke": {"id": str(index)}})
    assert len(strokes) == MAX_STROKES and strokes[0]["stroke"]["id"] == "5"
    again = kept(strokes, {"stroke": {"id": "7"}, "again": True})
    assert len(again) == MAX_STROKES and again[-1] == {"stroke": {"id": "7"}, "again": True}


def test_each_agent_has_the_colour_of_its_place():
    agents = [{"id": "a"}, {"id": "b"}]
    assert [colour(agents, "a"), colour(agents, "b")] == AGENT_COLOURS[:2]
    assert colour(agents, "gone") == AGENT_COLOURS[0]


def test_the_pace_lets_a_second_s_worth_through_then_its_rate():
    pace = Pace(30)
    assert sum(pace.admit(0) for _ in range(40)) == 30
    assert not pace.admit(0.01)
    assert pace.admit(0.04)
    assert sum(pace.admit(10 + index / 30) for index in range(300)) == 300


def test_the_visitor_s_tools_announce_each_agent_s_pointing_and_drawing_once():
    import json

    from cobrowse.core.visitor_tools import VisitorTools

    tools = VisitorTools(["point", "draw", "control"])
    first = json.loads(tools.told())
    assert first == {"v": 1, "type": "tools", "allowed": ["point", "draw", "control"], "on": True, "fresh": True}
    assert "fresh" not in json.loads(tools.told())
    point = {"type": "point", "id": "a1", "name": "Ada", "at": {"id": 1, "x": 0, "y": 0}}
    assert tools.heard(point) == (True, "Ada is pointing at your screen")
    assert tools.heard(point) == (True, "")
    assert tools.heard({"type": "point", "id": "a1", "name": "Ada"}) == (True, "")
    draw = {"type": "draw", "id": "a1", "name": "Ada", "stroke": {"id": "s1"}}
    assert tools.heard(draw) == (True, "Ada is drawing on your screen")
    assert tools.heard(dict(point, id="b2", name="Bob")) == (True, "Bob is pointing at your screen")
    assert tools.strokes == ["s1"]
    assert json.loads(tools.switch(False))["on"] is False
    assert tools.usable() == ["control"] and tools.strokes == []
    assert tools.heard(point) == (False, "")
    assert tools.heard(draw) == (False, "")
