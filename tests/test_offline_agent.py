"""The rule-based agent: steps in order, captured answers, escalation, upsell, answers, closing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convsim_core.models import Conversation, Message, ParticipantRole
from convsim_core.offline.agent import OfflineAgent
from convsim_core.offline.config import AgentRules, AgentStep, Answer, Upsell
from convsim_core.termination import DEFAULT_CLOSING_PHRASES

C, A = ParticipantRole.CUSTOMER, ParticipantRole.AGENT
OPENING = "Hi, I was charged twice and want a refund."

RULES = AgentRules(
    greeting=("Hello, Sam from billing here.",),
    steps=(
        AgentStep(ask="email"),
        AgentStep(ask="order_number", say=("Found you under {email}. Your order number?",)),
        AgentStep(say=("I see {amount} twice on {order_number}. Shall I refund one?",)),
    ),
    resolution=("The duplicate {amount} has been refunded.",),
    answers=(Answer(when=("how long",), say=("Usually {days}.",)),),
)
FACTS = {"amount": "$24.00", "days": "3 to 5 days"}


def agent(rules: AgentRules = RULES, seed: int = 1) -> OfflineAgent:
    return OfflineAgent(rules, facts=FACTS, seed=seed)


async def dialogue(participant: OfflineAgent, customer_lines: list[str]) -> list[str | None]:
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    messages = [Message(OPENING, stamp, C)]
    replies: list[str | None] = []
    for index in range(len(customer_lines) + 1):
        reply = await participant.get_next_message(Conversation(tuple(messages)))
        replies.append(reply.content if reply else None)
        if reply is not None:
            assert reply.sender is A
            messages.append(reply)
        if index < len(customer_lines):
            messages.append(Message(customer_lines[index], stamp, C))
    return replies


HAPPY_PATH = [
    "Sure, it's dana@example.com.",
    "It's ORD-20931.",
    "Yes please. How long will it take?",
    "Thanks! That's everything.",
]


async def test_works_through_steps_and_fills_captured_values() -> None:
    replies = await dialogue(agent(), HAPPY_PATH)
    first, second, third, fourth, farewell = replies
    assert first is not None and first.startswith("Hello, Sam from billing here.")
    assert "email" in first and first.endswith("?")
    assert second is not None and "Found you under dana@example.com" in second
    assert third is not None and "$24.00 twice on ORD-20931" in third
    assert fourth is not None
    assert "Usually 3 to 5 days." in fourth and "has been refunded" in fourth
    assert farewell is not None
    assert any(phrase in farewell.lower() for phrase in DEFAULT_CLOSING_PHRASES)


async def test_returns_none_after_its_farewell() -> None:
    participant = agent()
    replies = await dialogue(participant, [*HAPPY_PATH, "Bye!"])
    assert replies[-1] is None and participant.finished


async def test_deterministic_per_seed() -> None:
    runs = [await dialogue(agent(seed=s), HAPPY_PATH) for s in (4, 4, 5, 6, 7, 8)]
    assert runs[0] == runs[1]
    assert len({tuple(r) for r in runs}) > 2


async def test_after_resolution_offers_more_help_then_closes() -> None:
    replies = await dialogue(
        agent(AgentRules(resolution=("It's all taken care of.",))),
        [
            "Thank you so much!",
            "No, that's all.",
        ],
    )
    assert replies[0] is not None and "taken care of" in replies[0]
    assert replies[1] is not None and "anything else" in replies[1].lower()
    assert replies[2] is not None
    assert any(phrase in replies[2].lower() for phrase in DEFAULT_CLOSING_PHRASES)


async def test_skips_a_step_already_answered() -> None:
    replies = await dialogue(
        agent(),
        ["My email is dana@example.com and the order number is ORD-777.", "Yes please."],
    )
    assert replies[0] is not None and "email" in replies[0]
    # Both facts came at once: the order-number question is skipped.
    assert replies[1] is not None and "twice on ORD-777" in replies[1]


async def test_a_customer_who_does_not_know_gets_no_placeholder() -> None:
    replies = await dialogue(agent(), ["I don't have my email to hand, sorry."])
    assert replies[1] is not None and "{" not in replies[1]
    assert "your email" in replies[1]


@pytest.mark.parametrize(("after", "demands_before_escalation"), [(1, 1), (2, 2)])
async def test_escalates_after_the_configured_number_of_demands(
    after: int, demands_before_escalation: int
) -> None:
    participant = agent(AgentRules(steps=(AgentStep(ask="email"),), escalate_after=after))
    demand = "I want to speak to a supervisor!"
    replies = await dialogue(participant, [demand] * demands_before_escalation)
    escalation = replies[demands_before_escalation]
    assert escalation is not None and "supervisor" in escalation.lower()
    assert "transfer" in escalation.lower()
    if after == 2:
        de_escalation = replies[1]
        assert de_escalation is not None and "transfer" not in de_escalation.lower()
        assert "email" in de_escalation  # asks its open question again
    assert participant.finished
    assert await participant.get_next_message(Conversation(())) is None


async def test_never_escalates_when_disabled() -> None:
    participant = agent(AgentRules(escalate_after=0))
    replies = await dialogue(participant, ["Get me a manager."] * 3)
    assert all(r is not None and "transfer" not in r.lower() for r in replies)


UPSELL = Upsell(
    offer=("Premium gives you 200 GB. Would you like me to upgrade you?",),
    accepted=("Great, I've upgraded your plan.",),
    declined=("No problem, your plan stays as it is.",),
)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("Sure, let's do it.", "upgraded your plan"), ("No thanks.", "plan stays as it is")],
)
async def test_upsell_offer_after_resolution(answer: str, expected: str) -> None:
    participant = agent(AgentRules(resolution=("All taken care of.",), upsell=UPSELL))
    replies = await dialogue(participant, ["Great, thanks!", answer, "That's all."])
    assert replies[1] is not None and "Would you like me to upgrade you?" in replies[1]
    assert replies[2] is not None and expected in replies[2]
    assert "anything else" in replies[2].lower()
    assert replies[3] is not None
    assert any(phrase in replies[3].lower() for phrase in DEFAULT_CLOSING_PHRASES)


async def test_stalls_for_the_configured_turns_before_resolving() -> None:
    participant = agent(AgentRules(stall_turns=2, stall=("Still checking.",)))
    replies = await dialogue(participant, ["Ok.", "Any news?", "Hello?"])
    assert replies[0] is not None and "Still checking." in replies[0]
    assert replies[1] == "Still checking."
    assert replies[2] is not None and "taken care of" in replies[2]


async def test_copes_with_unscripted_questions_after_resolution() -> None:
    participant = agent(AgentRules(resolution=("All taken care of.",)))
    replies = await dialogue(
        participant,
        [
            "Can you also change my address?",
            "What about my other account?",
            "And my card?",
            "Can you do anything at all?",
        ],
    )
    assert replies[1] is not None and "anything else" in replies[1].lower()
    assert replies[2] is not None and "anything else" in replies[2].lower()
    # After a few questions it cannot answer it closes instead of looping forever.
    assert replies[3] is not None
    assert any(phrase in replies[3].lower() for phrase in DEFAULT_CLOSING_PHRASES)
    assert replies[4] is None and participant.finished


async def test_goodbye_from_an_unsatisfied_customer_gets_an_apology() -> None:
    participant = agent()
    replies = await dialogue(participant, ["Forget it. Goodbye."])
    assert replies[1] is not None and "sorry" in replies[1].lower()
    assert participant.finished
