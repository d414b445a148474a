"""Goal phrases count only when the agent says they are true, not when asked or negated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convsim_core.models import Conversation, Intent, Message, ParticipantRole
from convsim_core.termination import KeywordGoalChecker

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
T0 = datetime(2025, 1, 1, tzinfo=UTC)
INTENT = Intent(C, "Get the double charge refunded.")


async def _met(text: str) -> bool:
    checker = KeywordGoalChecker(("has been refunded", "resolved"))
    conversation = Conversation((Message("I was charged twice", T0, C), Message(text, T0, A)))
    done, _ = await checker.is_satisfied(conversation, INTENT)
    return done


@pytest.mark.parametrize(
    "text",
    ["The duplicate charge has been refunded.", "Good news: it's resolved now, you're all set."],
)
async def test_stated_goal_phrases_count(text: str) -> None:
    assert await _met(text)


@pytest.mark.parametrize(
    "text",
    [
        "The charge hasn't been refunded yet.",
        "This couldn't be resolved today, sorry.",
        "Has it been resolved on your side?",
        "Once it's resolved I'll let you know.",
    ],
)
async def test_negated_or_asked_goal_phrases_do_not(text: str) -> None:
    assert not await _met(text)


async def test_a_customer_message_never_meets_the_goal() -> None:
    checker = KeywordGoalChecker(("resolved",))
    conversation = Conversation((Message("Is it resolved?", T0, C),))
    assert (await checker.is_satisfied(conversation, INTENT))[0] is False
