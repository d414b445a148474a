"""The hybrid runner's turn and deadline rules on a fake clock: no event loop, no sleeping.

Times are plain numbers; each test says what happened when and checks what the rules answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from convsim_core.models import TerminationReason
from convsim_core.runners.turns import TURN_GRACE_SECONDS, Draft, TurnTaking, Wait, in_order


def rules(**changes: float | None) -> TurnTaking:
    settings: dict[str, float | None] = {
        "settle_seconds": 1.0,
        "response_timeout": 30.0,
        "inactivity_timeout": 10.0,
    }
    settings.update(changes)
    settle = settings["settle_seconds"]
    assert settle is not None
    return TurnTaking(settle, settings["response_timeout"], settings["inactivity_timeout"])


def test_the_agent_must_open_within_the_response_timeout() -> None:
    turns = rules()
    turns.begin(100.0)
    assert turns.deadline(100.0) == (30.0, Wait.AGENT_TIMEOUT)
    assert turns.deadline(125.0) == (5.0, Wait.AGENT_TIMEOUT)
    ended = turns.expired(Wait.AGENT_TIMEOUT)
    assert ended is not None and ended.reason is TerminationReason.AGENT_TIMEOUT
    assert ended.detail == "the agent did not open the conversation within 30 s"


def test_the_customer_answers_once_the_agent_has_settled() -> None:
    turns = rules()
    turns.begin(0.0)
    assert turns.customer_sends(0.0) == 30.0  # never answered yet: the response timeout
    turns.agent_spoke(2.0)
    turns.agent_spoke(2.5)  # a burst: the settle wait starts again from the last one
    assert turns.deadline(3.0) == (0.5, Wait.SETTLED)
    assert turns.expired(Wait.SETTLED) is None  # None: start typing
    generation = turns.start_typing()
    assert turns.deadline(3.5) == (None, Wait.SETTLED)  # typing: nothing to time out
    assert turns.draft_ready(generation, agent_waiting=False) is Draft.SEND
    assert turns.customer_sends(4.0) == 10.0  # the agent has answered: inactivity from now
    assert turns.deadline(4.0) == (10.0, Wait.INACTIVITY)
    ended = turns.expired(Wait.INACTIVITY)
    assert ended is not None and ended.reason is TerminationReason.INACTIVITY_TIMEOUT


def test_a_turn_complete_signal_shortens_the_settle_wait_to_the_grace() -> None:
    turns = rules(settle_seconds=5.0)
    turns.begin(0.0)
    turns.customer_sends(0.0)
    turns.agent_spoke(1.0)
    assert turns.deadline(1.0) == (5.0, Wait.SETTLED)
    turns.turn_completed()
    wait, kind = turns.deadline(1.0)
    assert wait == pytest.approx(TURN_GRACE_SECONDS) and kind is Wait.SETTLED
    turns.customer_sends(2.0)  # the next turn waits the full settle time again
    turns.agent_spoke(3.0)
    assert turns.deadline(3.0) == (5.0, Wait.SETTLED)


def test_the_agent_speaking_during_typing_drops_the_draft() -> None:
    turns = rules()
    turns.begin(0.0)
    turns.customer_sends(0.0)
    turns.agent_spoke(1.0)
    old = turns.start_typing()
    assert turns.agent_spoke(1.5) is True  # the runner cancels the typing task
    assert not turns.typing
    assert turns.draft_ready(old, agent_waiting=False) is Draft.STALE
    assert turns.deadline(1.5) == (1.0, Wait.SETTLED)  # settles again, then writes anew


def test_the_agent_speaking_just_as_the_draft_is_ready_makes_it_rewrite() -> None:
    """The draft came back with an agent message already queued behind it: never send it."""
    turns = rules()
    turns.begin(0.0)
    turns.customer_sends(0.0)
    turns.agent_spoke(1.0)
    generation = turns.start_typing()
    assert turns.draft_ready(generation, agent_waiting=True) is Draft.REWRITE
    assert not turns.typing
    assert turns.agent_spoke(2.0) is False  # nothing left to drop
    assert turns.deadline(2.0) == (1.0, Wait.SETTLED)
    assert turns.expired(Wait.SETTLED) is None
    assert turns.start_typing() == generation + 1


def test_a_draft_without_an_agent_message_behind_it_is_sent() -> None:
    turns = rules()
    turns.begin(0.0)
    generation = turns.start_typing()
    assert turns.draft_ready(generation, agent_waiting=False) is Draft.SEND


def test_no_limits_means_waiting_forever() -> None:
    turns = rules(response_timeout=None, inactivity_timeout=None)
    turns.begin(0.0)
    assert turns.deadline(50.0) == (None, Wait.AGENT_TIMEOUT)
    assert turns.customer_sends(1.0) is None
    turns.agent_spoke(2.0)
    turns.customer_sends(3.0)
    assert turns.deadline(99.0) == (None, Wait.INACTIVITY)


def test_a_send_that_outlasts_its_limit_is_the_matching_timeout() -> None:
    turns = rules()
    turns.begin(0.0)
    turns.customer_sends(0.0)
    first = turns.timed_out_sending()
    assert first is not None and first.reason is TerminationReason.AGENT_TIMEOUT
    assert first.detail == "the agent did not answer within 30 s"
    turns.agent_spoke(1.0)
    turns.customer_sends(2.0)
    later = turns.timed_out_sending()
    assert later is not None and later.reason is TerminationReason.INACTIVITY_TIMEOUT


def test_an_agent_message_before_the_customer_spoke_is_an_opening_not_an_answer() -> None:
    turns = rules()
    turns.begin(0.0)
    turns.agent_spoke(1.0)  # the agent opens
    assert not turns.agent_answered
    turns.customer_sends(2.0)
    assert turns.deadline(2.0) == (30.0, Wait.AGENT_TIMEOUT)


def test_arrival_timestamps_never_go_back() -> None:
    sent = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
    earlier, later = sent - timedelta(milliseconds=3), sent + timedelta(seconds=1)
    assert in_order(earlier, sent) == sent
    assert in_order(later, sent) == later
    assert in_order(sent, sent) == sent
    assert in_order(earlier, None) == earlier
