"""Closing phrases end a chat only on a real sign-off, in real wording."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convsim_core.models import Conversation, Intent, Message, Outcome, Outcomes, ParticipantRole
from convsim_core.signoff import NotASignOff, SignOff
from convsim_core.termination import ClosingPhrases, TurnState

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, have a great day!",
        "Take care!",
        "Goodbye!",
        "Your refund is on its way. Have a nice day!",
        "Thank you for contacting us, goodbye.",
        "Take care of yourself!",
        "Bye for now, and thanks for your patience.",
        "Okay. Bye! Have a great day.",
    ],
)
def test_farewells_are_sign_offs(text: str) -> None:
    assert isinstance(ClosingPhrases().sign_off(text), SignOff)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Sure, I'll take care of that refund right away.", "has an object"),
        ("You can say goodbye to those fees with the annual plan.", "has an object"),
        ("I love the song Goodbye Yellow Brick Road, can you play it?", "question"),
        ("Play 'Goodbye' by Zedd on the kitchen speaker", "a title"),
        ("Why did the app say goodbye and log me out?", "question"),
        ("She said goodbye and left the store without her receipt", "reported speech"),
        ("Have a nice day. Is there anything else I can help with?", "a question follows"),
        ("Goodbye Stranger by Supertramp is playing now", "longer sentence"),
    ],
)
def test_closing_words_inside_other_sentences_are_not(text: str, why: str) -> None:
    found = ClosingPhrases().sign_off(text)
    assert isinstance(found, NotASignOff), found
    assert why in found.reason


def test_no_closing_phrase_at_all() -> None:
    assert ClosingPhrases().sign_off("Your order ships tomorrow.") is None


def _state(*lines: tuple[ParticipantRole, str]) -> TurnState:
    messages = tuple(Message(text, T0, role) for role, text in lines)
    return TurnState(
        conversation=Conversation(messages),
        outcomes=Outcomes((Outcome("done", "Done."),)),
        intent=Intent(C, "x"),
        judgement=None,
        max_messages=30,
    )


async def test_either_sides_farewell_ends_by_default() -> None:
    rule = ClosingPhrases()
    customer_bye = await rule.check(_state((A, "Anything else?"), (C, "No, thanks. Goodbye!")))
    assert customer_bye is not None and customer_bye.detail == 'customer said "Goodbye"'
    agent_bye = await rule.check(_state((C, "No thanks"), (A, "Have a great day!")))
    assert agent_bye is not None and agent_bye.detail == 'agent said "Have a great day"'


async def test_only_the_configured_side_counts() -> None:
    agent_only = ClosingPhrases(sender=A)
    assert await agent_only.check(_state((A, "x"), (C, "Goodbye!"))) is None
    customer_only = ClosingPhrases(sender=C)
    assert await customer_only.check(_state((A, "x"), (C, "Goodbye!"))) is not None


async def test_take_care_of_mid_chat_does_not_end_it() -> None:
    rule = ClosingPhrases()
    state = _state((C, "I was charged twice."), (A, "Sure, I'll take care of that refund."))
    assert await rule.check(state) is None


async def test_the_offline_customer_does_not_leave_on_take_care_of() -> None:
    from convsim_core.offline.config import CustomerRules
    from convsim_core.offline.customer import OfflineCustomer

    customer = OfflineCustomer(CustomerRules(), facts={}, problem="I was charged twice.", seed=1)
    conversation = Conversation(
        (
            Message("I was charged twice.", T0, C),
            Message("Sure, I'll take care of that refund right away.", T0, A),
        )
    )
    reply = await customer.get_next_message(conversation)
    assert reply is not None and "bye" not in reply.content.lower()
