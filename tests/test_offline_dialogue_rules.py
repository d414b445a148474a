"""The offline judge's dialogue-level rules (session 3, from the causes of the fresh2 misses).

Rules about the chat, not about phrases: nothing is reached before the agent speaks; the
agent's reply answers the customer's opening request even after a detail was asked and
given; the agent's own completed action answers it, a hand-off leaves it pending; a refusal
under "if" or "because" is not one; a keyword that only names the thing needs a happening.
Every sentence here was written for this test; none is copied from a benchmark dataset.
"""

from __future__ import annotations

import pytest

from convsim_core.models import Outcomes, ParticipantRole
from tests.support.judged import judged_with as _judged
from tests.support.judged import pair as _pair

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
_Line = tuple[ParticipantRole, str]


(TRANSFER, CARD, FEE, PAYMENT, COMPLAINT, SUSPENSION, DELIVERY, SEAT, CLOSE, SIM, HOTEL, ORDER) = (
    _pair(done, failed)
    for done, failed in (
        ("My transfer reaches my landlord's bank.", "My transfer is blocked."),
        ("My card is unblocked.", "My card stays blocked."),
        ("The overdraft fee is taken off my statement.", "I still have to pay the fee."),
        ("My held payment goes out.", "My payment is not sent."),
        ("I get money back for the broken kettle.", "I get nothing back for it."),
        ("My account suspension is lifted.", "My account stays suspended."),
        ("My weekend delivery slot is booked.", "I can't get a weekend slot."),
        ("My seat is changed to a window seat.", "I can't get a window seat."),
        ("My account is closed and I stop paying.", "My account can't be closed."),
        ("My new SIM is activated.", "My SIM can't be activated."),
        ("An extra night is added to my hotel stay.", "No extra night can be added."),
        ("My order is sent out.", "My order is cancelled."),
    )
)

TRAIN = _pair("My ticket is changed to an earlier train.", "I can't get an earlier train.")
LATE_FEE = _pair("The late fee is waived.", "I still pay the late fee.")

(GYM, REFUND, ADDRESS, BILL) = (
    _pair(done, failed)
    for done, failed in (
        ("My gym membership is frozen for two months.", "My membership can't be frozen."),
        ("The cancelled lesson is refunded.", "The lesson fee stays on my account."),
        ("My parcel goes to my new address.", "My parcel can't be redirected."),
        ("The double charge on my bill is reversed.", "I still pay the double charge."),
    )
)


CHATS: list[tuple[str, Outcomes, tuple[_Line, ...], tuple[str, ...], str | None]] = [
    # (id, outcomes, chat, success keywords, expected)
    (
        "opening-status-said-by-the-customer",
        TRANSFER,
        (
            (C, "The app says my transfer is complete but my landlord has received nothing."),
            (A, "Let me look into that for you."),
        ),
        ("transfer complete",),
        None,
    ),
    (
        "opening-problem-in-the-outcomes-words",
        CARD,
        ((C, "My card got blocked last night for no reason"), (A, "Oh no, let me have a look.")),
        ("card unblocked",),
        None,
    ),
    (
        "answers-the-opening-request-after-a-detail",
        FEE,
        (
            (C, "I'd like the overdraft fee taken off please, it was the bank's mistake."),
            (A, "Of course. What's your date of birth?"),
            (C, "4 June 1980."),
            (A, "Thanks. I've wiped the charge from your statement."),
        ),
        (),
        "completed",
    ),
    (
        "answers-the-opening-after-a-confirmed-detail",
        PAYMENT,
        (
            (C, "my payment to the garage has been stuck for a day, whats happening"),
            (A, "It was paused for a check. Can you confirm the garage is a new payee?"),
            (C, "yes, added it this morning"),
            (A, "Thank you. I've pushed it through, it should land within the hour."),
        ),
        (),
        "completed",
    ),
    (
        "a-hand-off-is-pending",
        COMPLAINT,
        (
            (C, "The kettle I bought broke after two days. I'd like my money back please."),
            (A, "I'm sorry to hear that. What's the order number?"),
            (C, "K-2291"),
            (A, "Thanks. I've passed this to our returns team and they'll email you."),
        ),
        (),
        None,
    ),
    (
        "a-claim-started-is-pending",
        COMPLAINT,
        (
            (C, "The kettle I bought broke after two days. I'd like my money back please."),
            (A, "Could you tell me when it arrived?"),
            (C, "Last Tuesday."),
            (A, "Thanks, I've started a case for you, reference 5521."),
        ),
        (),
        None,
    ),
    (
        "a-refusal-answers-the-opening-request",
        SUSPENSION,
        (
            (C, "Please lift the suspension on my account, I did nothing wrong."),
            (A, "Which email address is the account under?"),
            (C, "sam at example dot com"),
            (A, "I'm sorry, there is nothing more I can do about this one."),
        ),
        (),
        "failed",
    ),
    (
        "what-stands-answers-the-request",
        SUSPENSION,
        (
            (C, "Please lift the suspension on my account, I did nothing wrong."),
            (A, "I've looked at it again with the safety team and the suspension stands."),
        ),
        (),
        "failed",
    ),
    (
        "an-information-question-refuses-nothing",
        DELIVERY,
        (
            (C, "Are weekend deliveries free?"),
            (A, "Weekend slots cost 3 pounds and can't be booked on the same day."),
            (C, "ok good to know"),
        ),
        (),
        None,
    ),
    (
        "a-failure-that-may-come",
        ORDER,
        (
            (C, "Please send my order out today, I need it by Friday."),
            (A, "It's packed and waiting for the courier."),
            (C, "what if my card gets rejected?"),
            (A, "If the payment is declined, we'll email you a new link."),
        ),
        (),
        None,
    ),
    (
        "a-failure-given-as-the-cause",
        ORDER,
        (
            (C, "why is my order still not sent?? please sort it"),
            (A, "It was held because the first card check failed. Just retry it in the app."),
            (C, "ok will do tonight"),
        ),
        (),
        None,
    ),
    (
        "a-keyword-naming-the-thing-in-a-rule",
        SEAT,
        (
            (C, "Can I have a window seat on my flight on Monday?"),
            (A, "Window seats on this route are 12 euros each, and free on Flex fares."),
            (C, "I'll think about it."),
        ),
        ("window seat",),
        None,
    ),
    (
        "a-keyword-naming-the-thing-in-what-there-is",
        SEAT,
        (
            (C, "Can I have a window seat on my flight on Monday?"),
            (A, "There are two window seats left, in rows 3 and 19."),
        ),
        ("window seat",),
        None,
    ),
    (
        "a-keyword-naming-the-thing-when-it-happened",
        SEAT,
        (
            (C, "Can I have a window seat on my flight on Monday?"),
            (A, "Done: your window seat is confirmed, 19A."),
        ),
        ("window seat",),
        "completed",
    ),
    (
        "the-customers-own-perfect-is-an-instruction",
        CLOSE,
        (
            (C, "How do I close my account? I'm switching providers."),
            (A, "Before closing, please make sure you've saved your invoices."),
            (C, "ok, will do that first"),
        ),
        (),
        None,
    ),
    (
        "as-soon-as-is-still-to-come",
        SIM,
        (
            (C, "My new SIM still shows no service."),
            (A, "You'll get a text as soon as it's activated, usually within two hours."),
        ),
        (),
        None,
    ),
    (
        "your-stay-is-a-noun",
        HOTEL,
        (
            (C, "Could you add one more night to my booking?"),
            (A, "Good news, I've added the extra night, you now leave on Tuesday."),
            (C, "brilliant, thanks"),
            (A, "Enjoy the rest of your stay!"),
        ),
        (),
        "completed",
    ),
    # A gesture beside a refusal, and a refusal later reversed (written with the rule for
    # gestures, right on the first reading).
    (
        "a-gesture-beside-a-refusal",
        TRAIN,
        (
            (C, "Can you move me to an earlier train today?"),
            (A, "I'm sorry, every earlier train today is fully booked."),
            (C, "Not even one seat?"),
            (A, "No, I'm afraid not. I've added a note to your booking so the guard knows."),
        ),
        (),
        "failed",
    ),
    (
        "a-refusal-later-reversed",
        LATE_FEE,
        (
            (C, "Please waive the late fee, the payment was only a day late."),
            (A, "Sorry, I can't waive it myself."),
            (C, "I've been with you ten years!"),
            (A, "Let me ask my manager."),
            (A, "Good news: my manager agreed, and I've removed the late fee."),
        ),
        (),
        "completed",
    ),
    (
        "results-selected-are-information",
        SEAT,
        (
            (C, "I need a window seat on tomorrow's 9 am flight please."),
            (A, "What is the booking reference?"),
            (C, "ZK41P"),
            (A, "I have selected 4 window seats for you to choose from: 3A, 7F, 12A and 19F."),
        ),
        (),
        None,
    ),
    # Written after the rules above, then run once: 10 of 12 right on the first reading
    # (the misses, "own-action-after-an-id-check" and "because-the-old-card-failed", a
    # completed action beside "no fees" or a cause that failed, were fixed and are kept).
    (
        "own-action-after-an-id-check",
        GYM,
        (
            (C, "hi, I'm having surgery next week, can you freeze my membership for 2 months"),
            (A, "Sorry to hear that. Can I take your membership number?"),
            (C, "GM-40112"),
            (A, "Thanks. I've paused your membership from Monday until 14 March, no fees."),
            (C, "perfect thanks"),
        ),
        (),
        "completed",
    ),
    (
        "a-note-passed-on-is-pending",
        GYM,
        (
            (C, "can you freeze my membership for 2 months please"),
            (A, "What's your membership number?"),
            (C, "GM-40112"),
            (A, "Thanks, I've forwarded your request to the club manager."),
        ),
        (),
        None,
    ),
    (
        "opening-complaint-names-the-failure",
        REFUND,
        (
            (C, "the lesson fee is still on my account even though you cancelled the lesson"),
            (A, "Let me check the booking."),
        ),
        ("lesson refunded",),
        None,
    ),
    (
        "refusal-after-the-customer-explains",
        REFUND,
        (
            (C, "Could you refund the lesson you cancelled on Friday?"),
            (A, "Which lesson was it?"),
            (C, "The 6pm salsa one."),
            (A, "Unfortunately I can't refund that one, it was cancelled under 24 hours."),
        ),
        (),
        "failed",
    ),
    (
        "what-stands-later",
        BILL,
        (
            (C, "I've been charged twice for March, please reverse one of them."),
            (A, "I can see both charges. Let me ask billing."),
            (C, "ok"),
            (A, "Billing have checked and I'm afraid both charges stand, one is the add-on."),
        ),
        (),
        "failed",
    ),
    (
        "information-question-with-a-limit",
        ADDRESS,
        (
            (C, "How does redirecting a parcel work?"),
            (A, "Parcels can't be redirected once out for delivery; before that it's free."),
            (C, "ok thanks"),
        ),
        (),
        None,
    ),
    (
        "possible-is-a-request",
        ADDRESS,
        (
            (C, "Is it possible to send my parcel to my new address?"),
            (A, "I'm sorry, it's already out for delivery so it can't be redirected."),
        ),
        (),
        "failed",
    ),
    (
        "as-soon-as-for-a-redirect",
        ADDRESS,
        (
            (C, "Please send my parcel to 9 Mill Lane instead."),
            (A, "You'll get an email as soon as it's been redirected."),
        ),
        (),
        None,
    ),
    (
        "if-it-fails-later",
        ADDRESS,
        (
            (C, "Please send my parcel to 9 Mill Lane instead."),
            (A, "I've changed the address to 9 Mill Lane."),
            (C, "what if the driver already has it?"),
            (A, "If the redirect fails, the driver will bring it to the old address."),
        ),
        (),
        "completed",
    ),
    (
        "make-sure-you-have",
        BILL,
        (
            (C, "Can you reverse the double charge?"),
            (A, "Sure, make sure you've got your statement to hand first."),
        ),
        (),
        None,
    ),
    (
        "own-action-with-a-connector",
        BILL,
        (
            (C, "Can you reverse the double charge on my bill?"),
            (A, "What's the account number?"),
            (C, "55120"),
            (A, "Found it, so I've taken the second 30 pounds off your next bill."),
        ),
        (),
        "completed",
    ),
    (
        "because-the-old-card-failed",
        BILL,
        (
            (C, "Why was I charged twice? please fix it"),
            (A, "The first charge was retried because your old card failed, and I've refunded it."),
        ),
        (),
        "completed",
    ),
]


@pytest.mark.parametrize(
    ("outcomes", "chat", "keywords", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CHATS],
)
def test_dialogue_level_rules(
    outcomes: Outcomes, chat: tuple[_Line, ...], keywords: tuple[str, ...], expected: str | None
) -> None:
    assert _judged(outcomes, *chat, keywords=keywords) == expected


def test_a_passive_perfect_about_the_customer_still_reports_it() -> None:
    refund = _pair("I get my money back.", "I get no money back.")
    chat = ((C, "Please refund the duplicate charge."), (A, "You've been refunded in full."))
    assert _judged(refund, *chat) == "completed"
