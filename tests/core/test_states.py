"""Unit tests for cobrowse.core.states: the session's states and reasons."""

import pytest

from cobrowse.core.states import Reasons, States, in_session


def test_states_and_reasons_are_the_documented_values():
    assert States.ALL == ("INIT", "READY", "STARTING", "ACTIVE:WAIT", "ACTIVE:ACTIVE", "ACTIVE:ESCALATING",
                          "ACTIVE:ESCALATED", "DISCONNECTING", "ERROR")
    assert (Reasons.USER_INITIATED, Reasons.USER_TIMEOUT, Reasons.NETWORK_TIMEOUT, Reasons.AGENT_INITIATED,
            Reasons.NAVIGATED_AWAY) == ("USER_INITIATED", "USER_TIMEOUT", "NETWORK_TIMEOUT", "AGENT_INITIATED", "NAVIGATED_AWAY")


@pytest.mark.parametrize("state,expected", [
    ("INIT", False), ("READY", False), ("STARTING", True), ("ACTIVE:WAIT", True), ("ACTIVE:ACTIVE", True),
    ("ACTIVE:ESCALATING", True), ("ACTIVE:ESCALATED", True), ("DISCONNECTING", False), ("ERROR", False),
])
def test_in_session(state, expected):
    assert in_session(state) is expected
