"""Unit tests for cobrowse.core.protocol: encoding, decoding and refusing messages."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobrowse.core.protocol import (
    AGENT_TO_SERVER, MAX_MESSAGE_CHARS, SCHEMAS, SERVER_TO_AGENT, SERVER_TO_VISITOR, VERSION,
    VISITOR_TO_SERVER, ProtocolError, decode, encode,
)

DIRECTIONS = {
    "VISITOR_TO_SERVER": VISITOR_TO_SERVER,
    "SERVER_TO_VISITOR": SERVER_TO_VISITOR,
    "AGENT_TO_SERVER": AGENT_TO_SERVER,
    "SERVER_TO_AGENT": SERVER_TO_AGENT,
}

SESSION = {
    "accessCode": "004213", "SID": None, "siteCode": "ACME", "state": "ACTIVE:WAIT",
    "url": "https://shop.example/", "title": "Shop", "agents": [{"id": "a1", "name": "Alice"}],
}

TOKEN = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0"[:32]

# Every message type with every field it may carry, optional ones included.
FULL = {
    "start": {"siteCode": "ACME-1", "SID": "chat-42", "url": "https://shop.example/cart?x=1#top", "networkTimeout": 30},
    "resume": {"token": TOKEN, "url": "https://shop.example/p/2", "networkTimeout": 45},
    "stop": {"reason": "USER_INITIATED"},
    "navigated_away": {"url": "https://elsewhere.example/"},
    "page": {"url": "https://shop.example/p/1", "title": "Product \u00e9 <1>"},
    "view": {"events": [{"type": 3, "data": {"source": 2, "x": 10.5}}, "any JSON", None]},
    "view_part": {"text": '{"v":1,"type":"view"', "size": 40},
    "ping": {},
    "started": {"accessCode": "004213", "SID": "chat-42", "token": TOKEN},
    "resumed": {"accessCode": "004213", "SID": "chat-42", "token": TOKEN, "agents": [{"id": "a1", "name": "Alice"}],
                "control": {"agent": "a1", "name": "Alice", "state": "granted"}},
    "agent_joined": {"id": "0f" * 16, "name": "Alice <b>Agent</b>"},
    "agent_left": {"id": "0f" * 16, "name": "Alice"},
    "ended": {"reason": "NAVIGATED_AWAY", "url": "https://elsewhere.example/"},
    "session_warning": {"message": "This co-browse session ends in 60 s: it has reached its time limit", "endsIn": 60},
    "error": {"code": "rate_limited", "message": "Too many attempts, wait 42 s", "retryAfter": 42},
    "pong": {},
    "snapshot": {},
    "view_refused": {"size": 9_000_000, "message": "this page is too large to share: 9.0 MB"},
    "join": {"code": "004213", "name": "Alice"},
    "rejoin": {"token": TOKEN},
    "leave": {},
    "end": {},
    "joined": {"id": "a1", "name": "Alice", "session": SESSION, "token": TOKEN},
    "session": {"session": SESSION},
    "control_grant": {"id": "a1"},
    "control_end": {"id": "a1", "reason": "declined"},
    "refused": {"id": "a1", "message": "That link leaves the site: it is not followed under control"},
    "request_control": {},
    "release_control": {},
    "act": {"id": "a1", "action": {"kind": "click", "id": 12, "x": 10, "y": 20.5}},
    "control_request": {"id": "a1", "name": "Alice"},
    "control_notice": {"code": "declined", "message": "The visitor declined your request for control"},
    "point": {"id": "a1", "name": "Alice", "color": "#d4380d", "at": {"id": 12, "x": 4, "y": 5.5, "ring": True}},
    "draw": {"id": "a1", "name": "Alice", "color": "#d4380d",
             "stroke": {"id": "s1", "node": 12, "points": [1, 2, 3.5, 4], "done": True}},
    "clear": {},
    "cleared": {"name": "Alice"},
    "tools": {"allowed": ["point", "draw"], "on": False, "fresh": True},
}

# The optional fields, which a message may leave out.
OPTIONAL = {
    "start": ("SID", "url", "networkTimeout"), "resume": ("url", "networkTimeout"), "page": ("title",),
    "started": ("SID",), "resumed": ("SID", "control"), "act": ("id",), "ended": ("url",), "error": ("retryAfter",),
    "point": ("id", "name", "color", "at"), "draw": ("id", "name", "color"), "tools": ("fresh",),
}

ALL_PAIRS = [(direction, kind) for direction, kinds in DIRECTIONS.items() for kind in kinds]


def message(kind, **fields):
    """Raw JSON text of a message, built without ``encode`` so it can break the rules."""
    return json.dumps({"v": VERSION, "type": kind, **fields})


def refused(text, accept=SERVER_TO_VISITOR):
    """Decode ``text``, expecting a refusal; return the ProtocolError."""
    with pytest.raises(ProtocolError) as caught:
        decode(text, accept)
    return caught.value


def test_every_message_type_has_a_sample_and_a_direction():
    # A new message type needs a sample here, and must travel in at least one direction.
    assert set(FULL) == set(SCHEMAS)
    assert set(SCHEMAS) == {kind for kinds in DIRECTIONS.values() for kind in kinds}


@pytest.mark.parametrize("direction,kind", ALL_PAIRS)
def test_round_trip_with_every_field(direction, kind):
    text = encode(kind, **FULL[kind])
    assert json.loads(text) == {"v": 1, "type": kind, **FULL[kind]}
    assert decode(text, DIRECTIONS[direction]) == {"type": kind, **FULL[kind]}


@pytest.mark.parametrize("direction,kind", ALL_PAIRS)
def test_round_trip_with_required_fields_only(direction, kind):
    required = {name: value for name, value in FULL[kind].items() if name not in OPTIONAL.get(kind, ())}
    # Optional fields given as None are left out of the text.
    text = encode(kind, **required, **{name: None for name in OPTIONAL.get(kind, ())})
    assert json.loads(text) == {"v": 1, "type": kind, **required}
    assert decode(text, DIRECTIONS[direction]) == {"type": kind, **required}


@pytest.mark.parametrize("direction,kind", ALL_PAIRS)
def test_a_type_is_refused_where_it_does_not_travel(direction, kind):
    text = encode(kind, **FULL[kind])
    for other, kinds in DIRECTIONS.items():
        if kind not in kinds:
            error = refused(text, kinds)
            assert error.code == "bad_type"
            assert error.message == "message type %r is not accepted here" % kind


def test_the_directions_are_the_documented_ones():
    assert VISITOR_TO_SERVER == ("start", "resume", "stop", "navigated_away", "page", "view", "view_part", "ping",
                                 "control_grant", "control_end", "refused", "clear", "tools")
    assert SERVER_TO_VISITOR == ("started", "resumed", "agent_joined", "agent_left", "ended", "error", "pong", "snapshot",
                                 "view_refused", "control_request", "control_end", "act", "session_warning", "point",
                                 "draw", "cleared")
    assert AGENT_TO_SERVER == ("join", "rejoin", "leave", "end", "ping", "request_control", "release_control", "act",
                               "point", "draw", "clear")
    assert SERVER_TO_AGENT == ("joined", "session", "view", "ended", "error", "pong", "control_notice",
                               "session_warning", "draw", "cleared")


@pytest.mark.parametrize("kind,field", [("start", "networkTimeout"), ("resume", "networkTimeout"), ("error", "retryAfter")])
@pytest.mark.parametrize("value", [30.0, "30", True, [30]])
def test_integer_fields_take_integers_only(kind, field, value):
    # True is an int to Python but not to the protocol, and 30.0 is not 30.
    fields = {**FULL[kind], field: value}
    accept = [kinds for kinds in DIRECTIONS.values() if kind in kinds][0]
    error = refused(message(kind, **fields), accept)
    assert (error.code, error.message) == ("bad_field", "field %r of %s must be a int" % (field, kind))


@pytest.mark.parametrize("events", [{}, "[]", None])
def test_view_events_must_be_a_list(events):
    error = refused(message("view", events=events), VISITOR_TO_SERVER)
    assert error.code == "bad_field"


def test_protocol_error_is_a_value_error_with_a_code_and_a_sentence():
    error = ProtocolError("bad_field", "something is wrong")
    assert isinstance(error, ValueError)
    assert error.code == "bad_field"
    assert error.message == "something is wrong"
    assert str(error) == "something is wrong"
    assert error.args == ("something is wrong",)


# -- versions ---------------------------------------------------------------------------------


def test_version_one_is_accepted():
    assert VERSION == 1
    assert decode('{"v": 1, "type": "stop", "reason": "R"}', VISITOR_TO_SERVER) == {"type": "stop", "reason": "R"}


@pytest.mark.parametrize("version", [2, 0, -1, "1", True, 1.0, None, [1], {"v": 1}])
def test_another_version_is_refused(version):
    error = refused(json.dumps({"v": version, "type": "stop", "reason": "R"}), VISITOR_TO_SERVER)
    assert error.code == "bad_version"
    assert error.message == "protocol version %r is not supported (this end speaks 1)" % (version,)


def test_a_missing_version_is_refused():
    error = refused('{"type": "stop", "reason": "R"}', VISITOR_TO_SERVER)
    assert error.code == "bad_version"
    assert "protocol version None is not supported" in error.message


# -- malformed text ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "{", "not json", "{'v': 1}", '{"v": 1,}', "[1, 2", '{"v": 1} trailing', "\x00"])
def test_text_that_is_not_json_is_refused(text):
    error = refused(text)
    assert (error.code, error.message) == ("bad_json", "message is not valid JSON")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    # Python's json module reads them; browsers do not, and views are relayed as they came.
    error = refused('{"v": 1, "type": "view", "events": [%s]}' % constant, VISITOR_TO_SERVER)
    assert (error.code, error.message) == ("bad_json", "message is not valid JSON")


@pytest.mark.parametrize("text", ["[]", '[{"v": 1, "type": "ended", "reason": "R"}]', "1", '"started"', "null", "true", "1.5"])
def test_json_that_is_not_an_object_is_refused(text):
    error = refused(text)
    assert (error.code, error.message) == ("bad_message", "a message is a JSON object")


@pytest.mark.parametrize("data", [b'{"v": 1, "type": "ended", "reason": "R"}', None, 1, {"v": 1}])
def test_a_message_that_is_not_text_is_refused(data):
    error = refused(data)
    assert (error.code, error.message) == ("bad_message", "messages are JSON text, not binary")


@pytest.mark.parametrize("text", [
    "[" * 60000,
    '{"a":' * 12000,
    "[" * 5000 + "]" * 5000,
    '{"v": 1, "type": "session", "session": ' + '{"a":' * 5000 + "1" + "}" * 5001,
])
def test_deeply_nested_json_is_refused_not_crashing(text):
    # CPython's parser gives up on deep nesting with RecursionError; that is malformed text too.
    error = refused(text)
    assert error.code in ("bad_json", "bad_message")


def test_the_longest_message_is_accepted_and_one_more_character_is_refused():
    text = encode("ended", reason="R")
    # JSON allows trailing white space: pad to the limit exactly.
    padded = text + " " * (MAX_MESSAGE_CHARS - len(text))
    assert len(padded) == MAX_MESSAGE_CHARS == 65536
    assert decode(padded, SERVER_TO_VISITOR) == {"type": "ended", "reason": "R"}
    error = refused(padded + " ")
    assert error.code == "too_large"
    assert error.message == "message longer than 65536 characters"


def test_a_huge_session_summary_is_refused_as_too_large():
    text = encode("session", session={"title": "x" * MAX_MESSAGE_CHARS})
    assert refused(text, SERVER_TO_AGENT).code == "too_large"


# -- types and fields -------------------------------------------------------------------------


@pytest.mark.parametrize("fields", [{}, {"type": None}, {"type": "nonsense"}, {"type": ["started"]}, {"type": {"a": 1}}, {"type": 1}])
def test_a_missing_or_unknown_type_is_refused(fields):
    error = refused(json.dumps({"v": 1, **fields}))
    assert error.code == "bad_type"
    assert error.message.startswith("message type ") and error.message.endswith(" is not accepted here")


@pytest.mark.parametrize("kind,fields,missing", [
    ("started", {}, "accessCode"),
    ("started", {"SID": "x"}, "accessCode"),
    ("agent_joined", {"id": "a1"}, "name"),
    ("agent_left", {"name": "Alice"}, "id"),
    ("ended", {"url": "https://x.example/"}, "reason"),
    ("error", {"code": "x"}, "message"),
    ("started", {"accessCode": None}, "accessCode"),
])
def test_a_missing_required_field_is_refused(kind, fields, missing):
    error = refused(message(kind, **fields))
    assert error.code == "bad_field"
    assert error.message == "%s message needs the field %r" % (kind, missing)


@pytest.mark.parametrize("kind,fields,unknown", [
    ("started", {"accessCode": "123456", "accesscode": "123456"}, "accesscode"),
    ("ended", {"reason": "R", "agentCount": 1}, "agentCount"),
    ("error", {"code": "x", "message": "y", "__proto__": {}}, "__proto__"),
])
def test_an_unknown_field_is_refused(kind, fields, unknown):
    error = refused(message(kind, **fields))
    assert error.code == "bad_field"
    assert error.message == "%s message has no field %r" % (kind, unknown)


@pytest.mark.parametrize("kind,fields,field,expected,accept", [
    ("started", {"accessCode": 123456}, "accessCode", "str", SERVER_TO_VISITOR),
    ("started", {"accessCode": "123456", "SID": 7}, "SID", "str", SERVER_TO_VISITOR),
    ("agent_joined", {"id": ["a1"], "name": "Alice"}, "id", "str", SERVER_TO_VISITOR),
    ("ended", {"reason": True}, "reason", "str", SERVER_TO_VISITOR),
    ("error", {"code": "x", "message": {"text": "y"}}, "message", "str", SERVER_TO_VISITOR),
    ("session", {"session": []}, "session", "dict", SERVER_TO_AGENT),
    ("joined", {"id": "a", "name": "b", "session": "{}"}, "session", "dict", SERVER_TO_AGENT),
])
def test_a_field_of_the_wrong_type_is_refused(kind, fields, field, expected, accept):
    error = refused(message(kind, **fields), accept)
    assert error.code == "bad_field"
    assert error.message == "field %r of %s must be a %s" % (field, kind, expected)


@pytest.mark.parametrize("kind,field,longest,others", [
    ("started", "accessCode", 6, {"token": TOKEN}),
    ("started", "token", 64, {"accessCode": "004213"}),
    ("agent_joined", "name", 80, {"id": "a1"}),
    ("ended", "reason", 200, {}),
    ("ended", "url", 2048, {"reason": "R"}),
    ("error", "message", 500, {"code": "x"}),
])
def test_a_field_longer_than_its_limit_is_refused(kind, field, longest, others):
    exact = message(kind, **others, **{field: "x" * longest})
    assert decode(exact, SERVER_TO_VISITOR)[field] == "x" * longest
    error = refused(message(kind, **others, **{field: "x" * (longest + 1)}))
    assert error.code == "bad_field"
    assert error.message == "field %r of %s is longer than %d characters" % (field, kind, longest)


def test_encode_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="unknown message type 'hello'"):
        encode("hello")


@pytest.mark.parametrize("kind,fields,code", [
    ("started", {}, "bad_field"),
    ("started", {"accessCode": "1234567"}, "bad_field"),
    ("stop", {"reason": "R", "why": "x"}, "bad_field"),
    ("stop", {"reason": "R", "v": 2}, "bad_field"),
    ("join", {"code": 123456, "name": "Alice"}, "bad_field"),
])
def test_encode_refuses_what_decode_would_refuse(kind, fields, code):
    with pytest.raises(ProtocolError) as caught:
        encode(kind, **fields)
    assert caught.value.code == code


def test_decode_does_not_share_state_between_calls():
    text = encode("agent_joined", id="a1", name="Alice")
    first = decode(text, SERVER_TO_VISITOR)
    first["name"] = "changed"
    assert decode(text, SERVER_TO_VISITOR)["name"] == "Alice"


# -- fuzzing ----------------------------------------------------------------------------------

ALL_KINDS = sorted(SCHEMAS)
ALL_FIELDS = sorted({name for schema in SCHEMAS.values() for name in schema})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=90),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

# Messages that are close to valid: mostly version 1, mostly a type of the direction, the type's
# own fields with values of the right type (sometimes one character too long) or of any type.
@st.composite
def near_messages(draw):
    direction = draw(st.sampled_from(sorted(DIRECTIONS)))
    kind = draw(st.sampled_from(list(DIRECTIONS[direction]) * 4 + ALL_KINDS + ["", "START", None, 1]))
    data = {}
    if draw(st.integers(0, 9)):
        data["v"] = draw(st.sampled_from([1] * 18 + [2, 0, True, 1.0, "1", None]))
    if draw(st.integers(0, 9)):
        data["type"] = kind
    for name, (expected, required, longest) in SCHEMAS.get(kind, {}).items():
        if not draw(st.integers(0, 5 if required else 1)):
            continue
        if draw(st.integers(0, 4)):
            if expected is str:
                data[name] = draw(st.text(max_size=longest + 1))
            else:
                data[name] = draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3))
        else:
            data[name] = draw(json_values)
    if not draw(st.integers(0, 7)):
        data[draw(st.sampled_from(ALL_FIELDS + ["extra"]))] = draw(json_values)
    return direction, data

def check_decoded(text, accept):
    """Decode ``text``; a result must be a valid message, anything else a ProtocolError."""
    try:
        result = decode(text, accept)
    except ProtocolError as error:
        assert error.code in ("bad_json", "bad_message", "too_large", "bad_version", "bad_type", "bad_field")
        assert isinstance(error.message, str) and error.message
        return None
    assert isinstance(result, dict)
    kind = result["type"]
    assert kind in accept
    schema = SCHEMAS[kind]
    for name, value in result.items():
        if name == "type":
            continue
        expected, required, longest = schema[name]
        assert value is None or type(value) is expected
    for name, (expected, required, longest) in schema.items():
        if required:
            assert type(result.get(name)) is expected
    return result


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200), direction=st.sampled_from(sorted(DIRECTIONS)))
def test_fuzz_arbitrary_text_raises_only_protocol_error(text, direction):
    check_decoded(text, DIRECTIONS[direction])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, direction=st.sampled_from(sorted(DIRECTIONS)))
def test_fuzz_arbitrary_json_raises_only_protocol_error(value, direction):
    check_decoded(json.dumps(value), DIRECTIONS[direction])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(case=near_messages())
def test_fuzz_near_valid_messages_are_accepted_only_when_valid(case):
    direction, data = case
    result = check_decoded(json.dumps(data), DIRECTIONS[direction])
    if result is not None:
        # Whatever was accepted came with version 1 exactly and its own type.
        assert type(data["v"]) is int and data["v"] == 1
        assert result["type"] == data["type"]
        # Accepted text encodes back to the same message.
        fields = {name: value for name, value in result.items() if name != "type"}
        assert decode(encode(result["type"], **fields), DIRECTIONS[direction]) == {
            name: value for name, value in result.items() if value is not None
        }


# Values a message may carry: JSON has no infinities (decode refuses them, encode too).
finite_json_values = json_values.filter(lambda value: "Infinity" not in json.dumps(value))


def test_encode_refuses_infinities():
    with pytest.raises(ValueError):
        encode("act", action={"kind": "click", "x": float("inf")})


@settings(max_examples=200)
@given(kind=st.sampled_from(ALL_KINDS), data=st.data())
def test_fuzz_valid_fields_round_trip(kind, data):
    fields = {}
    for name, (expected, required, longest) in SCHEMAS[kind].items():
        if not required and not data.draw(st.booleans()):
            continue
        if expected is str:
            fields[name] = data.draw(st.text(max_size=longest))
        elif expected is int:
            fields[name] = data.draw(st.integers())
        elif expected is bool:
            fields[name] = data.draw(st.booleans())
        elif expected is list:
            fields[name] = data.draw(st.lists(finite_json_values, max_size=3))
        else:
            fields[name] = data.draw(st.dictionaries(st.text(max_size=5), finite_json_values, max_size=3))
    accept = [kinds for kinds in DIRECTIONS.values() if kind in kinds][0]
    assert decode(encode(kind, **fields), accept) == {"type": kind, **fields}

