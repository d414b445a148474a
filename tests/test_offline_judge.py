"""The offline judge on paraphrases, word forms and negations, in a real bot's wording."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convsim_core.models import Conversation, Message, Outcome, Outcomes, ParticipantRole
from convsim_core.offline_judge import OfflineJudge, OutcomeWords

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
T0 = datetime(2025, 1, 1, tzinfo=UTC)

OUTCOMES = Outcomes(
    (
        Outcome("refunded", "The customer got a full refund."),
        Outcome("booked", "The agent confirms the booking went through."),
        Outcome("not_booked", "The agent says the booking could not be made."),
        Outcome("escalated", "The chat was handed to a supervisor."),
        Outcome("abandoned", "The customer gave up."),
    )
)
JUDGE_WORDS = (
    OutcomeWords("refunded", ("full refund of",), A),
    OutcomeWords("booked", (), A),
    OutcomeWords("not_booked", (), A),
    OutcomeWords("escalated", ("transferring you to a supervisor",), A),
    OutcomeWords("abandoned", ("give up", "forget it"), C),
)


def _judge(*lines: tuple[ParticipantRole, str]) -> str | None:
    judge = OfflineJudge(JUDGE_WORDS)
    conversation = Conversation(())
    judgement = None
    for role, text in lines:
        conversation = conversation.with_message(Message(text, T0, role))
        judgement = judge.judge_latest(conversation, OUTCOMES, judgement)
    assert judgement is not None
    return judgement.outcome.name if judgement.outcome else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("All set: I've refunded $40.99 for order ORD-558201 in full.", "refunded"),
        ("Done: a full refund of $89.99 has been issued to your card.", "refunded"),
        ("Your money has been refunded to the original payment method.", "refunded"),
        ("Your table is booked for 7 pm.", "booked"),
        ("Your reservation is confirmed.", "booked"),
        ("I'm unable to book that, sorry.", "not_booked"),
        ("Unfortunately I couldn't make the reservation.", "not_booked"),
        ("I'm transferring you to a supervisor now.", "escalated"),
        ("I've escalated this to a manager.", "escalated"),
    ],
)
def test_paraphrases_and_word_forms(text: str, expected: str) -> None:
    assert _judge((C, "Hi"), (A, text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I couldn't refund you, the order is too old.",
        "I can refund that for you if you like.",
        "Shall I book a table for two?",
        "Would you like me to transfer you to a supervisor?",
        "I'll take care of that refund right away.",
        "Please confirm: a table for 2 at 7 pm.",
        "I found 3 restaurants near you.",
        "Refunds usually take 3 to 5 days to appear.",
        "Happy to help you book a table tonight.",
        "I want to refund you, but the order is too old.",
    ],
)
def test_negations_questions_offers_and_plans_are_not_outcomes(text: str) -> None:
    assert _judge((C, "Hi"), (A, text)) is None


def test_said_by_limits_who_can_report_an_outcome() -> None:
    assert _judge((C, "I've been refunded already by your colleague.")) is None
    assert _judge((A, "How can I help?"), (C, "Forget it, I'll go elsewhere.")) == "abandoned"
    assert _judge((A, "Hi"), (C, "I won't give up on this.")) is None


def test_later_reports_win() -> None:
    assert (
        _judge((A, "Sorry, I couldn't book 7 pm."), (C, "8 pm?"), (A, "Your 8 pm table is booked."))
        == "booked"
    )


def test_the_nearest_miss_says_why() -> None:
    judge = OfflineJudge(JUDGE_WORDS)
    conversation = Conversation((Message("I couldn't refund you, sorry.", T0, A),))
    judgement = judge.judge_latest(conversation, OUTCOMES, None)
    assert judgement.outcome is None
    miss = judgement.nearest_miss
    assert miss is not None and miss.outcome == "refunded" and miss.message_index == 0
    assert "negated" in miss.reason


def test_a_hit_records_evidence_and_score() -> None:
    judge = OfflineJudge(JUDGE_WORDS)
    conversation = Conversation((Message("Your reservation is confirmed.", T0, A),))
    judgement = judge.judge_latest(conversation, OUTCOMES, None)
    assert judgement.outcome is not None and judgement.message_index == 0
    assert "reservation" in judgement.evidence and judgement.score is not None


def test_a_refusal_right_after_a_confirmed_request_is_a_failure() -> None:
    assert (
        _judge(
            (A, "Shall I book the sea-view room for you?"),
            (C, "Yes, please."),
            (A, "Sorry, there are no rooms left with a sea view."),
        )
        == "not_booked"
    )
    # Without the confirmed request it only describes what there is.
    assert (
        _judge((C, "Any sea views?"), (A, "Sorry, there are no rooms left with a sea view."))
        is None
    )


def test_a_failure_does_not_undo_a_success_in_the_same_message() -> None:
    text = "Your table is booked. Unfortunately they don't have live music."
    assert _judge((C, "Book it"), (A, text)) == "booked"


# Outcomes about a request in general, as a user describes them once for any bot.
REQUEST_OUTCOMES = Outcomes(
    (
        Outcome("done", "The agent confirms the request went through."),
        Outcome("failed", "The agent says the request could not be completed."),
    )
)
REQUEST_WORDS = (OutcomeWords("done", (), A), OutcomeWords("failed", (), A))


def _judge_request(*lines: tuple[ParticipantRole, str]) -> str | None:
    judge = OfflineJudge(REQUEST_WORDS)
    conversation = Conversation(())
    judgement = None
    for role, text in lines:
        conversation = conversation.with_message(Message(text, T0, role))
        judgement = judge.judge_latest(conversation, REQUEST_OUTCOMES, judgement)
    assert judgement is not None
    return judgement.outcome.name if judgement.outcome else None


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, I couldn't find any other flights for that day.",
        "I'm sorry, I can't find a plumber who matches that.",
        "Apologies, we are not able to find a slot for you.",
    ],
)
def test_an_apology_with_inability_is_a_failure_even_for_a_search(text: str) -> None:
    assert _judge_request((C, "Can you look for another one?"), (A, text)) == "failed"


@pytest.mark.parametrize(
    "text",
    [
        "There are no other times that day.",
        "Sorry, there aren't any more dates for this show.",
        "No other seats are left for that evening.",
        "Nothing else matches what you asked for, I'm afraid.",
    ],
)
def test_options_run_out_is_a_failure(text: str) -> None:
    assert _judge_request((C, "Any other options?"), (A, text)) == "failed"


def test_no_more_than_is_a_limit_not_options_running_out() -> None:
    assert (
        _judge_request((C, "Any rules?"), (A, "There is no more than 4 guests per table.")) is None
    )


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, that time is not available.",
        "Unfortunately the 7 pm slot is fully booked.",
        "I apologize, the concert is sold out.",
        "Sorry, that room is no longer available.",
    ],
)
def test_an_apology_with_unavailability_is_a_failure(text: str) -> None:
    assert _judge_request((C, "I'd like the 7 pm one."), (A, text)) == "failed"


def test_after_a_confirmed_request_unavailability_alone_is_a_failure() -> None:
    assert (
        _judge_request(
            (A, "Please confirm: 2 seats on the 9 am train."),
            (C, "Yes, that's right."),
            (A, "That train is fully booked."),
        )
        == "failed"
    )
    # A confirmation request needs no outcome vocabulary to make the request the customer's.
    assert (
        _judge_request(
            (A, "To confirm: the Grand Hotel from Friday for 2 nights. Is that correct?"),
            (C, "Yes."),
            (A, "Sorry, there is nothing free that weekend."),
        )
        == "failed"
    )


def test_a_statement_before_a_closing_question_still_tells() -> None:
    text = "Sorry there are no rooms available at that hotel, can I help with something else?"
    assert _judge_request((C, "Book the Grand, please."), (A, text)) == "failed"
    assert _judge_request((C, "Hi"), (A, "Sorry, is there anything else, can I help?")) is None


@pytest.mark.parametrize(
    "text",
    [
        "Your order is being processed.",
        "The song is getting played on the speaker.",
        "The movie will start now.",
        "Your driver will be there in 4 minutes.",
        "The courier should arrive shortly.",
    ],
)
def test_under_way_and_arriving_report_a_request_carried_out(text: str) -> None:
    assert _judge_request((C, "Go ahead."), (A, text)) == "done"


@pytest.mark.parametrize(
    "text",
    [
        "A driver could be there in 10 minutes.",
        "Nobody will be there in 5 minutes, the shop is closed.",
        "Will it start now?",
        "Your order is not being processed yet.",
    ],
)
def test_possible_or_negated_arrivals_are_not_reports(text: str) -> None:
    assert _judge_request((C, "Go ahead."), (A, text)) != "done"


def test_the_only_option_is_a_failure_only_when_said_as_a_refusal() -> None:
    assert _judge_request((C, "Any other?"), (A, "No, that is the only one I have.")) == "failed"
    assert _judge_request((C, "More?"), (A, "Sorry, that is all we have today.")) == "failed"
    assert _judge_request((C, "A pool?"), (A, "The only hotel with a pool is the Grand.")) is None
