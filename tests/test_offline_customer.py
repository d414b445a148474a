"""The rule-based customer: answers what it is asked, waits, pushes back, gives up, buys or not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convsim_core.models import Conversation, Message, ParticipantRole
from convsim_core.offline.config import Answer, CustomerRules
from convsim_core.offline.customer import OfflineCustomer

C, A = ParticipantRole.CUSTOMER, ParticipantRole.AGENT
FACTS = {"email": "dana@example.com", "order_number": "ORD-1234", "name": "Dana Whitfield"}
OPENING = "Hi, I was charged twice and want a refund."


def chat(*lines: tuple[ParticipantRole, str]) -> Conversation:
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    return Conversation(tuple(Message(text, stamp, role) for role, text in lines))


def customer(seed: int = 1, **rules: object) -> OfflineCustomer:
    return OfflineCustomer(
        CustomerRules(**rules),  # type: ignore[arg-type]
        facts=FACTS,
        problem=OPENING,
        seed=seed,
    )


async def say(participant: OfflineCustomer, history: list[tuple[ParticipantRole, str]]) -> str:
    reply = await participant.get_next_message(chat(*history))
    assert reply is not None and reply.sender is C
    history.append((C, reply.content))
    return reply.content


async def dialogue(participant: OfflineCustomer, agent_lines: list[str]) -> list[str | None]:
    history: list[tuple[ParticipantRole, str]] = [(C, OPENING)]
    replies: list[str | None] = []
    for line in agent_lines:
        history.append((A, line))
        reply = await participant.get_next_message(chat(*history))
        replies.append(reply.content if reply else None)
        if reply is not None:
            history.append((C, reply.content))
    return replies


AGENT_SCRIPT = [
    "Hi! Could you give me the email address on your account?",
    "Thanks. And what's your order number?",
    "I can see the duplicate. Shall I refund it to your card?",
    "Done: the duplicate charge has been refunded.",
    "Is there anything else I can help you with?",
]


async def test_same_seed_same_replies_and_seeds_vary() -> None:
    first = await dialogue(customer(seed=3), AGENT_SCRIPT)
    again = await dialogue(customer(seed=3), AGENT_SCRIPT)
    assert first == again
    variants = {tuple(await dialogue(customer(seed=s), AGENT_SCRIPT)) for s in range(12)}
    assert len(variants) > 3  # phrasing is chosen by the seeded RNG


async def test_answers_each_fact_question_with_the_fact() -> None:
    replies = await dialogue(customer(), AGENT_SCRIPT[:3])
    assert replies[0] is not None and "dana@example.com" in replies[0]
    assert replies[1] is not None and "ORD-1234" in replies[1]
    assert "dana@example.com" not in replies[1]
    assert replies[2] is not None and replies[2].lower().startswith(("yes", "that's right"))


async def test_answers_several_facts_asked_at_once_and_aliases() -> None:
    (reply,) = await dialogue(
        customer(), ["Can you confirm your full name and the e-mail on the account?"]
    )
    assert reply is not None and "Dana Whitfield" in reply and "dana@example.com" in reply
    assert reply.index("Dana Whitfield") < reply.index("dana@example.com")
    (reply,) = await dialogue(
        customer(aliases={"order_number": ("booking reference",)}),
        ["What is your booking reference?"],
    )
    assert reply is not None and "ORD-1234" in reply


async def test_a_longer_alias_wins_over_a_shorter_one() -> None:
    facts = {"order_number": "ORD-1", "phone": "+44 20 7946 0000"}
    person = OfflineCustomer(CustomerRules(), facts=facts, problem=OPENING)
    reply = await person.get_next_message(chat((C, OPENING), (A, "What's the order number?")))
    assert reply is not None and "ORD-1" in reply.content and "7946" not in reply.content


async def test_statements_that_mention_a_fact_are_not_questions() -> None:
    (reply,) = await dialogue(
        customer(), ["I've sent the receipt to your email address. Is there anything else?"]
    )
    assert reply is not None and "dana@example.com" not in reply


async def test_asked_again_it_says_so() -> None:
    replies = await dialogue(
        customer(seed=2), ["What's your order number?", "Sorry, what was the order number?"]
    )
    assert replies[1] is not None and "ORD-1234" in replies[1]
    assert replies[0] != replies[1]
    assert any(word in replies[1].lower() for word in ("as i", "said", "mentioned", "again"))


async def test_unknown_detail_is_admitted_and_a_known_one_offered() -> None:
    (reply,) = await dialogue(customer(), ["Could you please provide your postcode?"])
    assert reply is not None and "dana@example.com" in reply


async def test_satisfied_then_follow_up_then_wrap_up_then_finished() -> None:
    person = customer(follow_ups=("How long will it take?",))
    replies = await dialogue(
        person,
        [
            "Done: your refund has been issued.",
            "Usually 3 to 5 days. Anything else I can help with?",
            "You're welcome! Have a great day.",
        ],
    )
    assert replies[0] is not None and replies[0].endswith("How long will it take?")
    assert replies[1] is not None and "that's" in replies[1].lower()
    assert replies[2] is None
    assert person.finished


async def test_negated_resolution_does_not_satisfy() -> None:
    (reply,) = await dialogue(customer(), ["Sorry, this couldn't be resolved today."])
    assert reply is not None and "charged twice" in reply  # still about the problem


async def test_gives_up_after_patience_runs_out_on_stalling() -> None:
    person = customer(seed=5, patience=2)
    stalls = ["Let me check, one moment.", "Still checking.", "Bear with me, please."]
    replies = await dialogue(person, [*stalls, "Almost there."])
    assert replies[0] is not None and replies[1] is not None
    give_up = replies[2]
    assert give_up is not None
    assert "give up" in give_up.lower() or "forget it" in give_up.lower()
    assert "goodbye" in give_up.lower()
    assert replies[3] is None and person.finished


async def test_progress_resets_patience() -> None:
    person = customer(patience=1)
    replies = await dialogue(
        person,
        ["One moment please.", "What's your order number?", "Let me check.", "Checking..."],
    )
    assert replies[2] is not None and "give up" not in replies[2].lower()
    assert replies[3] is not None and (
        "give up" in replies[3].lower() or "forget it" in replies[3].lower()
    )


async def test_copes_with_unknown_text_from_a_real_bot() -> None:
    replies = await dialogue(
        customer(patience=3),
        [
            "Welcome to AcmeBot! I can help with orders, billing and accounts.",
            "I'm sorry, I'm still learning.",
            "Is your question about: 1) an order 2) a payment 3) a refund?",
            "I'm sorry, I'm still learning.",
            "I'm sorry, I'm still learning.",
            "I'm sorry, I'm still learning.",
            "I'm sorry, I'm still learning.",
            "Are you still there?",
        ],
    )
    assert replies[0] is not None and "charged twice" in replies[0]  # states the problem
    assert replies[1] is not None and "charged twice" in replies[1]  # restates it
    assert replies[2] == "A refund."  # picks the closest menu option
    last = [r for r in replies if r is not None][-1]
    assert "give up" in last.lower() or "forget it" in last.lower()
    assert replies[-1] is None


async def test_nudges_when_the_agent_is_silent() -> None:
    person = customer()
    reply = await person.get_next_message(chat((C, OPENING)))
    assert reply is not None and "?" in reply.content


async def test_angry_customer_demands_a_supervisor_and_waits_once_escalated() -> None:
    person = customer(mood="angry", demands_supervisor_after=1, patience=5)
    replies = await dialogue(
        person,
        [
            "What's your order number?",
            "Thanks. Could you confirm the email address?",
            "I understand. Let me try to fix this myself first.",
            "I'm transferring you to a supervisor now.",
        ],
    )
    assert replies[0] is not None and "ORD-1234" in replies[0]
    assert replies[1] is not None and "supervisor" in replies[1].lower()
    assert replies[2] is not None
    assert "supervisor" in replies[2].lower() or "manager" in replies[2].lower()
    assert replies[3] is not None and "wait" in replies[3].lower()
    assert person.finished


OFFER = "Our Premium plan gives you 200 GB for $2.99 a month. Would you like me to upgrade you?"


@pytest.mark.parametrize("accepts", [True, False])
async def test_upsell_accept_or_decline_per_rules(accepts: bool) -> None:
    person = customer(accepts_upsell=accepts)
    replies = await dialogue(person, ["Done, your refund has been issued.", OFFER])
    reply = replies[1]
    assert reply is not None
    if accepts:
        assert any(w in reply.lower() for w in ("yes", "sure", "go ahead", "let's"))
    else:
        assert any(w in reply.lower() for w in ("no thanks", "pass", "not interested"))


async def test_custom_offer_lines_and_scripted_replies() -> None:
    person = customer(
        decline_offer=("No, I only want to cancel.",),
        replies=(Answer(when=("scan the qr code",), say=("Scanned it.",)),),
    )
    replies = await dialogue(
        person, ["Please scan the QR code in the app.", "Would you like a 50% discount?"]
    )
    assert replies == ["Scanned it.", "No, I only want to cancel."]


async def test_problem_lines_use_facts() -> None:
    person = OfflineCustomer(
        CustomerRules(problem=("Order {order_number} was charged twice.",)), facts=FACTS
    )
    reply = await person.get_next_message(chat((A, "Hello! How can I help you today?")))
    assert reply is not None and "Order ORD-1234 was charged twice." in reply.content


async def test_reads_every_agent_message_since_its_last_turn() -> None:
    person = customer()
    reply = await person.get_next_message(
        chat((C, OPENING), (A, "Thanks for waiting."), (A, "What's your order number?"))
    )
    assert reply is not None and "ORD-1234" in reply.content
