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


# Turn-taking: the answer to a proposal the customer accepted is that request's outcome.
ORDER = "Would you like me to order the replacement charger?"
_Line = tuple[ParticipantRole, str]


def _chat(expected: str | None, *lines: _Line, case: str) -> object:
    return pytest.param(lines, expected, id=case)


TURN_TAKING = [
    *(
        _chat("done", (A, proposal), (C, "Yes, that's right."), (A, "Enjoy your day out!"), case=i)
        for i, proposal in (
            ("offer-to-act", "Shall I move your dentist appointment to Friday at 9 am?"),
            ("confirmation", "Please confirm: one large pizza to 12 Elm Road."),
            ("offer-with-vocabulary", ORDER),
            # A restatement the customer says yes to is a proposal, question or not.
            ("restatement", "2 adult tickets for the 6 pm ferry to the island."),
        )
    ),
    *(
        _chat(None, (A, ORDER), (C, "Yes please."), (A, reply), case=i)
        for i, reply in (
            ("still-gathering-details", "How many people will be joining?"),
            ("yes-and-a-question", "Sure! For which date?"),
            ("tells-nothing", "Of course."),
            ("asks-without-question-mark", "Please tell me your postcode."),
            ("proposes-again", "To confirm: the 9 am ferry on Saturday, is that right?"),
        )
    ),
    _chat(
        "failed",
        (A, ORDER),
        (C, "Yes please."),
        (A, "I'm sorry, the shop is closed on Sundays."),
        case="an-apology-answering-a-go-ahead",
    ),
    _chat(
        "failed",
        (A, "Shall I move your appointment to Friday?"),
        (C, "Yes, go ahead."),
        (A, "I'm sorry, the clinic is closed on Fridays. Would another day suit you?"),
        case="apology-and-another-day",
    ),
    _chat(
        "failed",
        (A, "Please confirm: a haircut on Tuesday at 5 pm."),
        (C, "Yes."),
        (A, "The salon is closed then, would you like another day?"),
        case="another-option-offered",
    ),
    _chat(
        None,
        (A, "The ticket for the museum costs $30 for adults."),
        (C, "OK, great."),
        (A, "It opens at 10 am."),
        case="information-acknowledged",
    ),
    _chat(
        None,
        (A, "The ticket for the museum costs $30 for adults."),
        (C, "Okay, thanks."),
        (A, "You're welcome."),
        case="information-thanked",
    ),
    _chat(
        None,
        (A, "I found 2 tickets left for the Friday show."),
        (C, "Yes, that works."),
        (A, "It starts at 8 pm."),
        case="information-found-is-no-proposal",
    ),
    _chat(
        None,
        (A, "Which city should I search?"),
        (C, "Go ahead and search in Leeds."),
        (A, "I've located 4 plumbers in Leeds for you."),
        case="question-for-a-detail",
    ),
    _chat(
        None,
        (A, "Shall I check the opening hours for you?"),
        (C, "Yes please."),
        (A, "It is open from 9 am to 5 pm on weekdays."),
        case="offer-to-look-something-up",
    ),
    _chat(
        None,
        (A, "Shall I book the haircut?"),
        (C, "Yes."),
        (A, "Please review the following details: a haircut at 6 pm on Tuesday."),
        case="details-for-review-propose-again",
    ),
    _chat(
        "done",
        (A, "Would you like me to cancel your gym membership?"),
        (C, "Yes."),
        (A, "Your membership ends on 5 May and you won't be charged again."),
        case="negation-addressed-to-the-customer",
    ),
    _chat(
        "failed",
        (A, "Would you like me to cancel your gym membership?"),
        (C, "Yes."),
        (A, "Sorry, I can't cancel it before the 12-month term ends."),
        case="refusal-after-the-go-ahead",
    ),
    _chat(
        "failed",
        (A, "Please confirm: a table for 4 at 7:30 pm tonight."),
        (C, "Yes."),
        (A, "I have a table for 4 at 8 pm."),
        case="counter-offer-another-time",
    ),
    # Repeating the agreed time beside another one is not a counter-offer.
    _chat(
        "done",
        (A, "Please confirm: a table for 4 at 7:30 pm tonight."),
        (C, "Yes."),
        (A, "See you at 7:30 pm, the kitchen closes at 22:00."),
        case="agreed-time-repeated",
    ),
    # Across messages: a failure about something else keeps a success said in words.
    _chat(
        "done",
        (C, "Please book the hotel room."),
        (A, "Your hotel room has been booked."),
        (C, "Can you get me a rental car too?"),
        (A, "Sorry, I couldn't find a rental car for those dates."),
        case="failure-about-something-else",
    ),
    *(
        _chat(
            "failed",
            (C, "Please book the hotel room."),
            (A, "Your hotel room has been booked."),
            (C, "Thanks, is it final?"),
            (A, failure),
            case=i,
        )
        for i, failure in (
            # No subject of its own: it speaks of the last thing.
            ("failure-without-subject", "Sorry, that didn't go through after all."),
            ("failure-same-subject", "Sorry, the hotel room booking failed after all."),
        )
    ),
    _chat(
        "failed",
        (A, "Shall I order the blue kettle for you?"),
        (C, "Yes please."),
        (A, "It comes with a two-year warranty."),  # read as the order going ahead
        (C, "Great, and the gift wrap?"),
        (A, "Sorry, I couldn't place the order: the card was declined."),
        case="inferred-success-yields-to-a-failure-said",
    ),
    _chat(
        "failed",
        (C, "Book me a table at Luigi's, please."),
        (A, "Sorry, I couldn't book Luigi's. Shall I try booking another restaurant?"),
        (C, "Yes please."),
        (A, "Marco's is a lovely place in the old town."),  # a search result, not a booking
        case="inferred-success-never-overrules-a-failure-said",
    ),
]


@pytest.mark.parametrize(("lines", "expected"), TURN_TAKING)
def test_turn_taking(lines: tuple[_Line, ...], expected: str | None) -> None:
    assert _judge_request(*lines) == expected


# A clause that only apologises or says no, or an attempt, makes the next statement bad news;
# some words say a failure outright; a misunderstanding is no failure.
BAD_NEWS = [
    ("Sorry. That's all we have in blue.", "failed"),
    ("No, sorry. Just the one size left in stock.", "failed"),
    ("I'm afraid. There's only one left and it is reserved.", "failed"),
    ("I tried, but the restaurant is fully booked at that time.", "failed"),
    ("I tried to pay, but the card was declined.", "failed"),
    ("Unfortunately that seat is taken.", "failed"),
    ("Sorry, you can't book a table for more than 8 people online.", "failed"),
    ("Sorry, I didn't catch that. Which city?", None),
    ("Sorry, I failed to understand. Could you repeat that?", None),
    ("Just the one size is made in blue.", None),  # without the apology: information
]


@pytest.mark.parametrize(("text", "expected"), BAD_NEWS)
def test_bad_news_in_general_english(text: str, expected: str | None) -> None:
    assert _judge_request((C, "Do you have any others?"), (A, text)) == expected


def test_the_go_ahead_names_which_proposal_it_answered() -> None:
    judge = OfflineJudge(REQUEST_WORDS)
    conversation = Conversation(())
    judgement = None
    for role, text in (
        (A, "Shall I send the invoice to your work address?"),
        (C, "Yes please."),
        (A, "You'll find it in your inbox."),
    ):
        conversation = conversation.with_message(Message(text, T0, role))
        judgement = judge.judge_latest(conversation, REQUEST_OUTCOMES, judgement)
    assert judgement is not None and judgement.outcome is not None
    assert judgement.message_index == 2 and judgement.score == 0.55
    assert "accepted at message #1" in judgement.evidence
