"""The judge interface: every judge answers one JudgeCall, the runner calls judge()."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convsim_core.judging import JudgeCall, KeywordJudge, NullJudge, OutcomeJudge
from convsim_core.models import (
    Conversation,
    Judgement,
    Message,
    Outcome,
    Outcomes,
    ParticipantRole,
)

OUTCOMES = Outcomes((Outcome("refunded", "The customer got a refund."),))
T0 = datetime(2025, 1, 1, tzinfo=UTC)


class _CountingJudge(OutcomeJudge):
    """A judge written against decide() alone: what a scenario author's own judge looks like."""

    def __init__(self) -> None:
        self.calls: list[JudgeCall] = []

    async def decide(self, call: JudgeCall) -> Judgement:
        self.calls.append(call)
        return call.kept


async def test_judge_hands_decide_one_call_with_every_argument() -> None:
    judge = _CountingJudge()
    conversation = Conversation((Message("Hi", T0, ParticipantRole.CUSTOMER),))
    previous = Judgement(outcome=None, rationale="earlier")
    assert await judge.judge(conversation, OUTCOMES, None, previous) is previous
    (call,) = judge.calls
    assert call.conversation is conversation and call.outcomes is OUTCOMES
    assert call.previous is previous and call.last is conversation.messages[-1]


async def test_kept_is_no_outcome_yet_without_a_previous_judgement() -> None:
    judge = _CountingJudge()
    judgement = await judge.judge(Conversation(()), OUTCOMES, None, None)
    assert judgement.outcome is None and judge.calls[0].last is None


def test_a_judge_without_decide_cannot_be_built() -> None:
    class Incomplete(OutcomeJudge):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


async def test_the_null_and_keyword_judges_keep_the_previous_judgement() -> None:
    previous = Judgement(outcome=OUTCOMES.outcomes[0], rationale="said so", message_index=0)
    conversation = Conversation((Message("Thanks, bye", T0, ParticipantRole.CUSTOMER),))
    assert await NullJudge().judge(conversation, OUTCOMES, None, previous) is previous
    keyword = KeywordJudge.from_phrases({"refunded": ["refund issued"]})
    assert await keyword.judge(conversation, OUTCOMES, None, previous) is previous
