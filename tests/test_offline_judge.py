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


@pytest.mark.parametrize(
    "proposal",
    [
        "Shall I move your dentist appointment to Friday at 9 am?",
        "Please confirm: one large pizza to 12 Elm Road.",
        "Would you like me to order the replacement charger?",
        # A restatement the customer says yes to is a proposal, question or not.
        "2 adult tickets for the 6 pm ferry to the island.",
    ],
)
def test_a_plain_answer_to_an_accepted_proposal_is_the_request_going_ahead(proposal: str) -> None:
    assert (
        _judge_request((A, proposal), (C, "Yes, that's right."), (A, "Enjoy your day out!"))
        == "done"
    )


@pytest.mark.parametrize(
    "reply",
    [
        "How many people will be joining?",  # still gathering details
        "Sure! For which date?",
        "Of course.",  # tells nothing
        "Please tell me your postcode.",
        "To confirm: the 9 am ferry on Saturday, is that right?",  # proposes again
        "I'm sorry, the shop is closed on Sundays.",  # an apology is not a go-ahead
    ],
)
def test_an_answer_that_asks_or_apologises_is_not_a_go_ahead(reply: str) -> None:
    proposal = "Would you like me to order the replacement charger?"
    assert _judge_request((A, proposal), (C, "Yes please."), (A, reply)) != "done"


def test_information_acknowledged_is_not_a_proposal_accepted() -> None:
    info = "The ticket for the museum costs $30 for adults."
    assert _judge_request((A, info), (C, "OK, great."), (A, "It opens at 10 am.")) is None
    assert _judge_request((A, info), (C, "Okay, thanks."), (A, "You're welcome.")) is None
    found = "I found 2 tickets left for the Friday show."
    assert _judge_request((A, found), (C, "Yes, that works."), (A, "It starts at 8 pm.")) is None


def test_an_apology_right_after_a_go_ahead_is_the_request_failing() -> None:
    assert (
        _judge_request(
            (A, "Shall I move your appointment to Friday?"),
            (C, "Yes, go ahead."),
            (A, "I'm sorry, the clinic is closed on Fridays. Would another day suit you?"),
        )
        == "failed"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Sorry. That's all we have in blue.",
        "No, sorry. Just the one size left in stock.",
        "I'm afraid. There's only one left and it is reserved.",
    ],
)
def test_a_bare_apology_governs_the_statement_after_it(text: str) -> None:
    assert _judge_request((C, "Do you have any others?"), (A, text)) == "failed"


def test_without_the_apology_the_same_statement_is_information() -> None:
    assert _judge_request((C, "Colours?"), (A, "Just the one size is made in blue.")) is None


def test_a_failure_about_something_else_keeps_the_success() -> None:
    assert (
        _judge_request(
            (C, "Please book the hotel room."),
            (A, "Your hotel room has been booked."),
            (C, "Can you get me a rental car too?"),
            (A, "Sorry, I couldn't find a rental car for those dates."),
        )
        == "done"
    )


@pytest.mark.parametrize(
    "failure",
    [
        "Sorry, that didn't go through after all.",  # no subject of its own: the last thing
        "Sorry, the hotel room booking failed after all.",  # the same subject
    ],
)
def test_a_failure_about_the_same_thing_undoes_the_success(failure: str) -> None:
    assert (
        _judge_request(
            (C, "Please book the hotel room."),
            (A, "Your hotel room has been booked."),
            (C, "Thanks, is it final?"),
            (A, failure),
        )
        == "failed"
    )


def test_another_time_than_the_one_accepted_is_a_counter_offer() -> None:
    proposal = "Please confirm: a table for 4 at 7:30 pm tonight."
    assert (
        _judge_request((A, proposal), (C, "Yes."), (A, "I have a table for 4 at 8 pm.")) == "failed"
    )
    # Repeating the agreed time with another one is not a counter-offer.
    assert (
        _judge_request(
            (A, proposal), (C, "Yes."), (A, "See you at 7:30 pm, the kitchen closes at 22:00.")
        )
        == "done"
    )


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
    assert judgement.message_index == 2
    assert "accepted at message #1" in judgement.evidence


def test_a_question_for_a_detail_is_not_an_offer_to_act() -> None:
    assert (
        _judge_request(
            (A, "Which city should I search?"),
            (C, "Go ahead and search in Leeds."),
            (A, "I've located 4 plumbers in Leeds for you."),
        )
        is None
    )


def test_an_offer_to_look_something_up_is_not_an_offer_to_carry_out_a_request() -> None:
    assert (
        _judge_request(
            (A, "Shall I check the opening hours for you?"),
            (C, "Yes please."),
            (A, "It is open from 9 am to 5 pm on weekdays."),
        )
        is None
    )


def test_a_negation_addressed_to_the_customer_is_not_a_refusal() -> None:
    proposal = "Would you like me to cancel your gym membership?"
    reply = "Your membership ends on 5 May and you won't be charged again."
    assert _judge_request((A, proposal), (C, "Yes."), (A, reply)) == "done"
    refusal = "Sorry, I can't cancel it before the 12-month term ends."
    assert _judge_request((A, proposal), (C, "Yes."), (A, refusal)) == "failed"


def test_a_success_only_inferred_yields_to_a_failure_said_after_it() -> None:
    assert (
        _judge_request(
            (A, "Shall I order the blue kettle for you?"),
            (C, "Yes please."),
            (A, "It comes with a two-year warranty."),  # read as the order going ahead
            (C, "Great, and the gift wrap?"),
            (A, "Sorry, I couldn't place the order: the card was declined."),
        )
        == "failed"
    )


def test_an_apology_with_you_cannot_is_still_a_refusal() -> None:
    text = "Sorry, you can't book a table for more than 8 people online."
    assert _judge_request((C, "A table for 10?"), (A, text)) == "failed"


def test_a_reply_presenting_details_for_review_is_a_new_proposal() -> None:
    assert (
        _judge_request(
            (A, "Shall I book the haircut?"),
            (C, "Yes."),
            (A, "Please review the following details: a haircut at 6 pm on Tuesday."),
        )
        is None
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I tried, but the restaurant is fully booked at that time.", "failed"),  # an attempt
        ("I tried to pay, but the card was declined.", "failed"),  # failed outright
        ("Unfortunately that seat is taken.", "failed"),
        ("Sorry, I didn't catch that. Which city?", None),  # a misunderstanding
        ("Sorry, I failed to understand. Could you repeat that?", None),
    ],
)
def test_attempts_outright_failures_and_misunderstandings(text: str, expected: str | None) -> None:
    assert _judge_request((C, "Can you sort it out?"), (A, text)) == expected


def test_offering_another_option_right_after_a_go_ahead_is_a_failure() -> None:
    assert (
        _judge_request(
            (A, "Please confirm: a haircut on Tuesday at 5 pm."),
            (C, "Yes."),
            (A, "The salon is closed then, would you like another day?"),
        )
        == "failed"
    )


def test_turn_taking_alone_never_overrules_an_outcome_said_in_words() -> None:
    assert (
        _judge_request(
            (C, "Book me a table at Luigi's, please."),
            (A, "Sorry, I couldn't book Luigi's. Shall I try booking another restaurant?"),
            (C, "Yes please."),
            (A, "Marco's is a lovely place in the old town."),  # a search result, not a booking
        )
        == "failed"
    )
