"""The offline judge on paraphrases, word forms and negations, in a real bot's wording."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convsim_core.models import Conversation, Message, Outcome, Outcomes, ParticipantRole
from convsim_core.offline_judge import OfflineJudge, OutcomeWords
from tests.support.judged import judged, pair

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
    return judged(OUTCOMES, *lines, words=JUDGE_WORDS)


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
    return judged(REQUEST_OUTCOMES, *lines, words=REQUEST_WORDS)


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


# Support wording beyond bookings: each pair of outcomes as a user writes it for one scenario.
def _outcomes(success: str, failure: str) -> Outcomes:
    return pair(success, failure, success_name="done")


REFUND = _outcomes("The customer got their money back.", "The refund was refused.")
AUTO_RENEW = _outcomes("Auto-renewal was disabled.", "Auto-renewal could not be disabled.")
BILLING = _outcomes("The billing address was updated.", "The billing address could not be updated.")
CLAIM = _outcomes("The claim for the cracked screen was approved.", "The claim was declined.")
SLOT = _outcomes("The delivery slot was changed.", "The delivery slot could not be changed.")
SEAT = _outcomes("A window seat was reserved.", "No window seat could be reserved.")
INVOICE = _outcomes("The invoice was sent to the new address.", "The invoice could not be sent.")

SUPPORT_WORDING = [
    # An amount of money back is money back; a condition or a time to come is not done yet.
    pytest.param(REFUND, ((A, "I've put the £30 back on your card."),), "done", id="amount-back"),
    pytest.param(
        REFUND,
        ((A, "Once the refund is processed, you'll get an email from us."),),
        None,
        id="once-clause",
    ),
    pytest.param(
        REFUND,
        ((A, "You can ask for a refund until the parcel is dispatched."),),
        None,
        id="until-clause",
    ),
    # "wouldn't" describes what would happen; "can't" refuses.
    pytest.param(
        REFUND,
        ((A, "Charges from before the switch wouldn't be refunded, just so you know."),),
        None,
        id="conditional-negation",
    ),
    pytest.param(
        REFUND,
        ((A, "I'm sorry, a refund wouldn't be possible for a used voucher."),),
        "failed",
        id="would-not-be-possible",
    ),
    # Turning off and removing are their own vocabulary; "is now" reports a state reached.
    pytest.param(
        AUTO_RENEW,
        ((A, "I've switched off auto-renewal on your plan."),),
        "done",
        id="switched-off",
    ),
    pytest.param(
        BILLING,
        ((A, "Your billing address is now 22 Oak Avenue, Bristol."),),
        "done",
        id="state-now",
    ),
    # The speaker cannot do the success: its counterpart failure, not nothing.
    pytest.param(
        CLAIM,
        ((A, "Unfortunately we cannot approve a claim for a screen cracked before cover began."),),
        "failed",
        id="cannot-approve",
    ),
    pytest.param(
        CLAIM,
        ((A, "Once approved, you can't claim for the same screen twice."),),
        None,
        id="cannot-said-of-the-customer",
    ),
    pytest.param(
        SLOT,
        ((A, "It's too late to change the delivery slot, the van has left."),),
        "failed",
        id="too-late",
    ),
]


@pytest.mark.parametrize(("outcomes", "lines", "expected"), SUPPORT_WORDING)
def test_support_wording(
    outcomes: Outcomes, lines: tuple[_Line, ...], expected: str | None
) -> None:
    assert judged(outcomes, (C, "Hi there"), *lines) == expected


def test_the_customers_request_is_no_report_even_in_the_keywords_form() -> None:
    words = (OutcomeWords("done", ("cancelled",)), OutcomeWords("failed", ("can't cancel",)))
    outcomes = _outcomes("The gym membership was cancelled.", "It could not be cancelled.")
    assert judged(outcomes, (C, "Please cancel my gym membership."), words=words) is None
    assert judged(outcomes, (C, "Cancel it please, today."), words=words) is None
    assert judged(outcomes, (C, "Hi"), (A, "It's cancelled."), words=words) == "done"


# Turn-taking without a proposal: the customer asks, the agent's next messages answer.
ASKED = [
    pytest.param(
        SEAT,
        (C, "Could you get me a window seat on the 9:40 train?"),
        (A, "I've had a look, and there's nothing more I can offer on that train, I'm afraid."),
        "failed",
        id="general-refusal-answers-the-request",
    ),
    pytest.param(
        SEAT,
        (C, "What seats are left on the 9:40 train?"),
        (A, "I've had a look, and there's nothing more I can offer on that train, I'm afraid."),
        None,
        id="a-question-is-no-request",
    ),
    pytest.param(
        INVOICE,
        (C, "Can you send the invoice to accounts@acme.example instead, please?"),
        (A, "All set! You'll find it there in a few minutes."),
        "done",
        id="all-set-answers-the-request",
    ),
    pytest.param(
        INVOICE,
        (C, "Can you resend the invoice to my new email, please?"),
        (A, "I'll sort that out for you now."),
        None,
        id="a-plan-is-not-done",
    ),
    pytest.param(
        INVOICE,
        (C, "If I change my email, would you send the invoices there?"),
        (A, "Done automatically, yes."),
        None,
        id="a-hypothetical-is-no-request",
    ),
    pytest.param(
        INVOICE,
        (C, "Please email the invoice to my accountant."),
        (A, "Done, though I'm afraid it didn't go out: the address bounced."),
        "failed",
        id="done-with-a-refusal-is-the-refusal",
    ),
]


@pytest.mark.parametrize(("outcomes", "asked", "reply", "expected"), ASKED)
def test_the_answer_to_a_request(
    outcomes: Outcomes, asked: _Line, reply: _Line, expected: str | None
) -> None:
    assert judged(outcomes, asked, (A, "One moment, let me check."), reply) == expected


def test_done_as_asked_says_which_request_it_answered() -> None:
    judge = OfflineJudge()
    conversation = Conversation(())
    judgement = None
    for role, text in (
        (C, "Can you send the invoice to my work email, please?"),
        (A, "I've taken care of it."),
    ):
        conversation = conversation.with_message(Message(text, T0, role))
        judgement = judge.judge_latest(conversation, INVOICE, judgement)
    assert judgement is not None and judgement.outcome is not None
    assert judgement.outcome.name == "done" and judgement.score == 0.55
    assert judgement.rationale.startswith('agent answered "i have taken care of it" after the')
    assert "request at message #1" in judgement.evidence


CHARGE = _outcomes("The late fee was refunded.", "The late fee was not refunded.")
DEPOSIT = _outcomes("The deposit was returned.", "The deposit could not be returned.")
CARD = _outcomes("The stolen card was blocked.", "The card could not be blocked.")
TRIP = _outcomes("The hotel stay was moved to new dates.", "The stay could not be moved.")
WIFI = _outcomes("In-flight wifi was turned on.", "In-flight wifi could not be turned on.")

STRUCTURE = [
    # A two-word keyword in the other order, close together.
    pytest.param(
        CHARGE,
        ((A, "I've waived the late fee for you."),),
        (OutcomeWords("done", ("fee waived",)),),
        "done",
        id="keyword-in-the-other-order",
    ),
    # A word that occurs twice: a failure reads the negated occurrence.
    pytest.param(
        DEPOSIT,
        ((A, "Deposits are returned after the inspection, so I'm not able to return it today."),),
        (),
        "failed",
        id="the-negated-occurrence",
    ),
    # A negation after "and" is another statement; "with no fee" names an absent thing.
    pytest.param(
        CARD,
        ((A, "The card is blocked and can't be used for payments."),),
        (),
        "done",
        id="negation-of-another-statement",
    ),
    pytest.param(
        TRIP,
        ((A, "I've moved your stay to 4-6 June with no change fee."),),
        (),
        "done",
        id="with-no-fee",
    ),
    # "Booked" and "scheduled" report a booking; the outcome's own verb is "moved".
    pytest.param(
        TRIP,
        ((A, "Your stay is scheduled for 4 June, the room you booked."),),
        (),
        None,
        id="another-kind-of-result",
    ),
    pytest.param(
        TRIP,
        ((A, "Your hotel stay is now 4-6 June."),),
        (),
        "done",
        id="state-reached-still-counts",
    ),
]


@pytest.mark.parametrize(("outcomes", "lines", "words", "expected"), STRUCTURE)
def test_sentence_structure(
    outcomes: Outcomes,
    lines: tuple[_Line, ...],
    words: tuple[OutcomeWords, ...],
    expected: str | None,
) -> None:
    assert judged(outcomes, (C, "Hello"), *lines, words=words) == expected


def test_a_customer_describing_the_problem_is_not_the_agent_failing() -> None:
    assert judged(WIFI, (C, "The wifi isn't turned on, I can't connect.")) is None
    assert judged(WIFI, (A, "Hi"), (C, "You couldn't even turn the wifi on.")) == "failed"


def test_a_condition_is_no_proposal() -> None:
    lines: tuple[_Line, ...] = (
        (A, "If you move your stay to June, the price stays the same."),
        (C, "Good to know, I'll think about it."),
        (A, "Great, take your time."),
    )
    assert judged(TRIP, *lines) is None


def test_an_offer_for_it_proposes_what_the_customer_asked_for() -> None:
    lines: tuple[_Line, ...] = (
        (C, "Can you turn on the in-flight wifi for my booking?"),
        (A, "It's $8 for the whole flight."),
        (A, "Would you like me to add it?"),
        (C, "Yes please"),
        (A, "It's on your booking. When you board, connect to SkyNet."),
    )
    assert judged(WIFI, *lines) == "done"


@pytest.mark.parametrize(
    "text",
    [
        "Wifi stays off unless you turn it on at your seat.",
        "You won't be charged for wifi unless you turn it on.",
    ],
)
def test_a_condition_or_a_consequence_for_the_customer_is_no_failure(text: str) -> None:
    assert judged(WIFI, (C, "How does wifi work on board?"), (A, text)) is None
