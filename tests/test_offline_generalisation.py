"""The offline judge on wording no outcome uses: general-English frames, state changes and
general statements (session 3). Every sentence here was written for this test, in the way
support agents speak; none is copied from a benchmark dataset."""

from __future__ import annotations

import pytest

from convsim_core.frames import arrival, still_stands, success_frame
from convsim_core.generic import general_statement
from convsim_core.language import clauses
from convsim_core.lexicon import GROUPS, past_form, redone
from convsim_core.models import Outcomes, ParticipantRole
from convsim_core.report_cues import can_now, changed_to, done_instead
from convsim_core.state_change import negated_opposite, now_state
from tests.support.judged import judged_with as _judged
from tests.support.judged import pair as _pair

A, C = ParticipantRole.AGENT, ParticipantRole.CUSTOMER
_Line = tuple[ParticipantRole, str]


SUB = _pair("The subscription was cancelled.", "The subscription could not be cancelled.")
SEAT = _pair("The seat was changed.", "The seat could not be changed.")
ADDR = _pair("The delivery address was updated.", "The address could not be updated.")
PLAN = _pair("The phone plan was switched to the cheaper one.", "The plan could not be switched.")
REFUND = _pair("The customer was refunded for the damaged item.", "The refund was refused.")
CARD = _pair("A replacement card was sent.", "No replacement card could be sent.")
APPT = _pair("The appointment was rescheduled.", "The appointment could not be rescheduled.")
LOCK = _pair("The account was unlocked.", "The account could not be unlocked.")
FEE = _pair("The late fee was waived.", "The late fee was not waived.")
LIMIT = _pair("The card limit was increased.", "The limit could not be raised.")
FLIGHT = _pair("The flight was changed to an earlier one.", "The flight could not be changed.")
CLAIM = _pair("The insurance claim was approved.", "The claim was rejected.")
NAME = _pair("The name on the account was corrected.", "The name could not be corrected.")
TABLE = _pair("A table was booked.", "No table could be booked.")
ORDER = _pair("The order was cancelled.", "The order could not be cancelled.")
COMP = _pair("The customer was given compensation for the delay.", "No compensation was given.")
VISIT = _pair("An engineer visit was booked.", "No engineer visit could be booked.")
ROOM = _pair("The room was upgraded.", "The room could not be upgraded.")
PAID_BACK = _pair("The customer was refunded.", "The refund was refused.")
WARRANTY = _pair("The warranty was extended.", "The warranty could not be extended.")
DELIVERY = _pair(
    "The delivery was rescheduled to Saturday.", "The delivery could not be rescheduled."
)
PASSWORD = _pair("The password was reset.", "The password could not be reset.")
BAG = _pair("An extra bag was added to the booking.", "No bag could be added.")
DISCOUNT = _pair("A discount was applied to the bill.", "No discount was applied.")
CLASS_REFUND = _pair(
    "The customer got their money back for the cancelled class.", "No refund was given."
)
SIM = _pair("The SIM card was activated.", "The SIM could not be activated.")
STAY = _pair("The hotel booking was moved to new dates.", "The booking could not be moved.")
GIFT = _pair("The gift card balance was restored.", "The balance could not be restored.")
MEAL = _pair(
    "The missing item from the food order was refunded.", "No refund was given for the item."
)
VISA = _pair("The visa appointment was cancelled.", "The appointment could not be cancelled.")
CAR = _pair("A rental car was reserved for the customer.", "No car could be reserved.")
DATA = _pair("Extra mobile data was added to the plan.", "No extra data could be added.")
TICKETS = _pair("The tickets were sent again.", "The tickets could not be sent.")


PARAPHRASES: list[tuple[str, Outcomes, str, str, str | None]] = [
    # (id, outcomes, customer, agent, expected)
    (
        "wont-renew",
        SUB,
        "Please cancel my subscription.",
        "Your plan won't renew after this month.",
        "completed",
    ),
    (
        "no-longer-billed",
        SUB,
        "Please cancel my subscription.",
        "You will no longer be billed from next month.",
        "completed",
    ),
    (
        "renews-unless",
        SUB,
        "Please cancel my subscription.",
        "It will renew on the 5th unless you cancel before then.",
        None,
    ),
    (
        "not-possible",
        SUB,
        "Please cancel my subscription.",
        "I'm afraid that isn't possible during the minimum term.",
        "failed",
    ),
    (
        "moved-you",
        SEAT,
        "Can I get a window seat instead?",
        "I've moved you to 14C, a window seat.",
        "completed",
    ),
    ("now-in", SEAT, "Can I get a window seat instead?", "You're now in 14C.", "completed"),
    ("all-set", SEAT, "Can I get a window seat instead?", "You're all set.", "completed"),
    (
        "all-taken",
        SEAT,
        "Can I get a window seat instead?",
        "I'm afraid the window seats are all taken.",
        "failed",
    ),
    (
        "can-move-if",
        SEAT,
        "Can I get a window seat instead?",
        "I can move you to 14C if you like.",
        None,
    ),
    (
        "changed-it",
        ADDR,
        "Could you send it to 4 Elm Road instead?",
        "I've changed it to 4 Elm Road.",
        "completed",
    ),
    (
        "address-now",
        ADDR,
        "Could you send it to 4 Elm Road instead?",
        "Your delivery address is now 4 Elm Road.",
        "completed",
    ),
    (
        "cant-redirect",
        ADDR,
        "Could you send it to 4 Elm Road instead?",
        "Sorry, it has already left the depot, so I can't redirect it.",
        "failed",
    ),
    (
        "updated-plan",
        PLAN,
        "Can you move me to the cheaper plan?",
        "I've updated your plan to Basic.",
        "completed",
    ),
    (
        "on-basic",
        PLAN,
        "Can you move me to the cheaper plan?",
        "Done, you're on the Basic plan from today.",
        "completed",
    ),
    (
        "cant-change-plans",
        PLAN,
        "Can you move me to the cheaper plan?",
        "Unfortunately we can't change plans during a contract.",
        "failed",
    ),
    ("plans-can-be", PLAN, "What plans do you have?", "Plans can be changed once a month.", None),
    (
        "customers-usually",
        PLAN,
        "What plans do you have?",
        "Customers usually switch plans online.",
        None,
    ),
    (
        "receive-back",
        REFUND,
        "My blender arrived cracked, I want my money back.",
        "You'll receive $49.99 back on your card within 5 days.",
        "completed",
    ),
    (
        "refunds-usually",
        REFUND,
        "My blender arrived cracked, I want my money back.",
        "Refunds are usually processed within 5 days of us receiving the item.",
        None,
    ),
    (
        "nothing-i-can-do",
        REFUND,
        "My blender arrived cracked, I want my money back.",
        "I'm afraid it's past the 30-day window, so there's nothing I can do.",
        "failed",
    ),
    (
        "once-we-receive",
        REFUND,
        "How do refunds work?",
        "Once we receive the item, we refund the original payment method.",
        None,
    ),
    (
        "card-on-its-way",
        CARD,
        "I lost my debit card, can you send a new one?",
        "A new card is on its way and should arrive in 3 working days.",
        "completed",
    ),
    (
        "with-you-in",
        CARD,
        "My card is damaged, can I get a new one?",
        "Of course. A replacement will be with you in 3-5 working days.",
        "completed",
    ),
    (
        "cant-order-from-chat",
        CARD,
        "My card is damaged, can I get a new one?",
        "I can't order one from chat, please call the number on the back of your card.",
        "failed",
    ),
    (
        "cards-normally",
        CARD,
        "How long does a replacement card take?",
        "New cards normally arrive within 5 working days.",
        None,
    ),
    (
        "went-through",
        APPT,
        "Can I move my dentist appointment to Friday?",
        "That went through, see you Friday at 10am.",
        "completed",
    ),
    (
        "booked-in",
        APPT,
        "Can I move my dentist appointment to Friday?",
        "Sure, you're now booked in for Friday at 10am.",
        "completed",
    ),
    (
        "slot-offered",
        APPT,
        "Can I move my dentist appointment to Friday?",
        "Friday has a slot at 10am. Would you like it?",
        None,
    ),
    (
        "sign-in-now",
        LOCK,
        "I'm locked out of my account.",
        "You should be able to sign in now.",
        "completed",
    ),
    (
        "not-able-over-chat",
        LOCK,
        "I'm locked out of my account.",
        "For security reasons I'm not able to unlock accounts over chat.",
        "failed",
    ),
    (
        "unlock-automatically",
        LOCK,
        "I'm locked out of my account.",
        "Accounts unlock automatically after 30 minutes.",
        None,
    ),
    (
        "taken-off",
        FEE,
        "Can you take off the late fee? I was in hospital.",
        "The fee has been taken off your account.",
        "completed",
    ),
    (
        "fee-stands",
        FEE,
        "Can you take off the late fee? I was in hospital.",
        "I'm sorry, the fee stands, it's in the terms you agreed to.",
        "failed",
    ),
    (
        "fee-described",
        FEE,
        "What is the late fee?",
        "The late fee is $15 and is added 10 days after the due date.",
        None,
    ),
    (
        "new-limit",
        LIMIT,
        "Can you raise my credit limit to 5000?",
        "Your new limit is 5000, effective immediately.",
        "completed",
    ),
    (
        "put-up",
        LIMIT,
        "Can you raise my credit limit to 5000?",
        "I've put your limit up to 5000.",
        "completed",
    ),
    ("limit-is", LIMIT, "What is my credit limit?", "Your limit is 3000.", None),
    (
        "instead",
        FLIGHT,
        "Can I get on an earlier flight?",
        "I've put you on the 7:10 instead, same seat.",
        "completed",
    ),
    (
        "flights-full",
        FLIGHT,
        "Can I get on an earlier flight?",
        "The earlier flights are full, I'm afraid.",
        "failed",
    ),
    (
        "accepted",
        CLAIM,
        "Any news on my claim?",
        "Good news, your claim has been accepted and we'll pay out $800.",
        "completed",
    ),
    (
        "not-covered",
        CLAIM,
        "Any news on my claim?",
        "Unfortunately the claim isn't covered by your policy.",
        "failed",
    ),
    (
        "with-assessor",
        CLAIM,
        "Any news on my claim?",
        "It's still with the assessor, you'll hear by Friday.",
        None,
    ),
    (
        "fixed-that",
        NAME,
        "My surname is misspelled on my account, it's Smyth not Smith.",
        "Thanks, I've fixed that, it now shows Smyth.",
        "completed",
    ),
    (
        "need-id-first",
        NAME,
        "My surname is misspelled on my account, it's Smyth not Smith.",
        "I'll need a copy of your ID before I can change it.",
        None,
    ),
    (
        "nothing-at-8",
        TABLE,
        "Table for 2 at 8 please.",
        "We have nothing at 8 tonight, I'm sorry.",
        "failed",
    ),
    (
        "terrace-closed",
        TABLE,
        "Is the terrace open tonight?",
        "No, it's closed for a private event, sorry.",
        None,
    ),
    (
        "order-on-its-way",
        ORDER,
        "Can you cancel order 5512?",
        "Your order is on its way and arrives tomorrow.",
        None,
    ),
    (
        "credited",
        COMP,
        "My train was 2 hours late, I want compensation.",
        "I've credited £20 to your account for the delay.",
        "completed",
    ),
    (
        "unable-to-offer",
        COMP,
        "My train was 2 hours late, I want compensation.",
        "Unfortunately we're unable to offer compensation for delays under 3 hours.",
        "failed",
    ),
    (
        "logged-claim",
        COMP,
        "My train was 2 hours late, I want compensation.",
        "I've logged your claim; the team will review it within 10 days.",
        None,
    ),
    (
        "outside-policy",
        COMP,
        "My train was 2 hours late, I want compensation.",
        "That's outside our policy, I'm afraid.",
        "failed",
    ),
    (
        "engineer-booked",
        VISIT,
        "My boiler stopped working.",
        "An engineer is booked for Tuesday between 8 and 12.",
        "completed",
    ),
    (
        "reference",
        VISIT,
        "My boiler stopped working.",
        "Your reference is ENG-4410, the engineer will come Tuesday morning.",
        "completed",
    ),
    (
        "system-wont-let-me",
        VISIT,
        "My boiler stopped working.",
        "I'd love to help but our system won't let me book a visit until the fault is confirmed.",
        "failed",
    ),
    (
        "tried-resetting",
        VISIT,
        "My boiler stopped working.",
        "Have you tried resetting it? There's a red button on the front.",
        None,
    ),
    (
        "upgraded-you",
        ROOM,
        "Any chance of a room upgrade? It's our anniversary.",
        "Happy anniversary! I've upgraded you to a sea-view suite.",
        "completed",
    ),
    (
        "dont-offer",
        ROOM,
        "Any chance of a room upgrade? It's our anniversary.",
        "We don't offer upgrades on prepaid rates, sorry.",
        "failed",
    ),
    (
        "let-me-check",
        ROOM,
        "Any chance of a room upgrade? It's our anniversary.",
        "Let me check with the front desk what's free tonight.",
        None,
    ),
    (
        "been-actioned",
        PAID_BACK,
        "I returned the shoes last week, where's my refund?",
        "It's been actioned today, you'll see it in 2-3 days.",
        "completed",
    ),
    (
        "not-yet",
        PAID_BACK,
        "I returned the shoes last week, where's my refund?",
        "We haven't received the parcel yet, so the refund hasn't been issued.",
        None,
    ),
    (
        "passed-on",
        PAID_BACK,
        "I returned the shoes last week, where's my refund?",
        "I've passed this to our returns team who will be in touch.",
        None,
    ),
    (
        "new-end-date",
        WARRANTY,
        "Can I extend the warranty on my laptop?",
        "Yes, I've added two more years; the new end date is 3 May 2028.",
        "completed",
    ),
    (
        "sorry-at-the-end",
        WARRANTY,
        "Can I extend the warranty on my laptop?",
        "Extensions have to be bought within 30 days of purchase, and yours is past that. Sorry.",
        "failed",
    ),
    (
        "extensions-cost",
        WARRANTY,
        "Can I extend the warranty on my laptop?",
        "Extensions cost $79 a year, up to three years.",
        None,
    ),
    (
        "saturday-only-some",
        DELIVERY,
        "Can my parcel come on Saturday instead?",
        "Saturday deliveries are only available in some postcodes.",
        None,
    ),
    (
        "will-now-arrive",
        DELIVERY,
        "Can my parcel come on Saturday instead?",
        "Good news, it'll now arrive on Saturday between 9 and 1.",
        "completed",
    ),
    (
        "postcode-not-covered",
        DELIVERY,
        "Can my parcel come on Saturday instead?",
        "Your postcode isn't covered for Saturday deliveries, I'm sorry.",
        "failed",
    ),
    (
        "reset-link",
        PASSWORD,
        "I forgot my password.",
        "I've sent a reset link to your email, it's valid for 30 minutes.",
        None,
    ),
    (
        "has-been-reset",
        PASSWORD,
        "I forgot my password.",
        "Your password has been reset, the temporary one is in your inbox.",
        "completed",
    ),
    (
        "cant-reset-here",
        PASSWORD,
        "I forgot my password.",
        "For security I can't reset it here; please use the 'Forgot password' page.",
        "failed",
    ),
    (
        "bags-cost",
        BAG,
        "Can I add a bag to my flight?",
        "Bags are $35 each way if added online.",
        None,
    ),
    (
        "thats-added",
        BAG,
        "Can I add a bag to my flight?",
        "That's added: one 23kg bag on both flights, $70 charged to your card.",
        "completed",
    ),
    (
        "only-at-airport",
        BAG,
        "Can I add a bag to my flight?",
        "The flight is within 24 hours so bags can only be added at the airport, sorry.",
        "failed",
    ),
    (
        "students-get",
        DISCOUNT,
        "Do you do student discounts?",
        "Yes, students get 10% off with a valid card.",
        None,
    ),
    (
        "taken-off-bill",
        DISCOUNT,
        "Can I get the student discount? Here's my card number 5521.",
        "Thanks, 10% has been taken off your bill.",
        "completed",
    ),
    (
        "card-expired",
        DISCOUNT,
        "Can I get the student discount? Here's my card number 5521.",
        "That card has expired, so I can't apply the discount, sorry.",
        "failed",
    ),
    (
        "need-to-see-card",
        DISCOUNT,
        "Can I get the student discount?",
        "Sure, I just need to see your student card first.",
        None,
    ),
    (
        "put-back-on-card",
        CLASS_REFUND,
        "My yoga class was cancelled, can I get my money back?",
        "Okay, I've put the $18 back on your card.",
        "completed",
    ),
    (
        "classes-cancelled-by-us",
        CLASS_REFUND,
        "My yoga class was cancelled, can I get my money back?",
        "Classes cancelled by us are refunded automatically within 5 days.",
        None,
    ),
    (
        "no-refund-due",
        CLASS_REFUND,
        "My yoga class was cancelled, can I get my money back?",
        "I checked and the class was not cancelled but moved to 7pm, so no refund is due. Sorry!",
        "failed",
    ),
    (
        "activated-now",
        SIM,
        "My new SIM isn't working.",
        "I've activated it now, restart your phone and it should connect.",
        "completed",
    ),
    (
        "live-now",
        SIM,
        "My new SIM isn't working.",
        "It's live now, give it 10 minutes.",
        "completed",
    ),
    (
        "read-me-the-number",
        SIM,
        "My new SIM isn't working.",
        "Can you read me the 19-digit number on the back?",
        None,
    ),
    (
        "reported-stolen",
        SIM,
        "My new SIM isn't working.",
        "That SIM was reported stolen, so we can't activate it. I'm sorry.",
        "failed",
    ),
    (
        "new-check-in",
        STAY,
        "Can I push my stay back a week?",
        "No problem, your new check-in date is the 21st.",
        "completed",
    ),
    (
        "non-refundable-rate",
        STAY,
        "Can I push my stay back a week?",
        "Your rate is non-refundable, so the dates can't be changed, I'm afraid.",
        "failed",
    ),
    (
        "shall-i-go-ahead",
        STAY,
        "Can I push my stay back a week?",
        "The week after is $40 more per night. Shall I go ahead?",
        None,
    ),
    (
        "unable-to-restore",
        GIFT,
        "Someone used my gift card, the balance is zero now.",
        "The card was redeemed with the correct PIN, so we're unable to restore the balance.",
        "failed",
    ),
    (
        "balance-page",
        GIFT,
        "How do I check my gift card balance?",
        "Enter the card number on our balance page.",
        None,
    ),
    (
        "get-back",
        MEAL,
        "My fries were missing from the order.",
        "So sorry! You'll get $3.50 back to your card in a few days.",
        "completed",
    ),
    (
        "cant-issue",
        MEAL,
        "My fries were missing from the order.",
        "The restaurant marked every item as packed, so I can't issue a refund this time.",
        "failed",
    ),
    (
        "send-a-photo",
        MEAL,
        "My fries were missing from the order.",
        "Could you send a photo of what you received?",
        None,
    ),
    (
        "has-been-cancelled",
        VISA,
        "I need to cancel my visa appointment on Monday.",
        "Your appointment on Monday has been cancelled and the slot released.",
        "completed",
    ),
    (
        "cant-be-cancelled-online",
        VISA,
        "I need to cancel my visa appointment on Monday.",
        "Appointments within 48 hours can't be cancelled online; call the centre.",
        "failed",
    ),
    (
        "bring-documents",
        VISA,
        "What documents do I need for my visa appointment?",
        "Bring your passport, two photos and the printed confirmation.",
        None,
    ),
    (
        "held-for-you",
        CAR,
        "I need a car in Lisbon from the 3rd to the 7th.",
        "A compact is held for you at Lisbon airport, 3rd to 7th, confirmation LX-2291.",
        "completed",
    ),
    (
        "no-cars-left",
        CAR,
        "I need a car in Lisbon from the 3rd to the 7th.",
        "There are no cars left at Lisbon airport for those dates, I'm sorry.",
        "failed",
    ),
    (
        "automatic-or-manual",
        CAR,
        "I need a car in Lisbon from the 3rd to the 7th.",
        "Would you like an automatic or a manual?",
        None,
    ),
    (
        "added-booster",
        DATA,
        "I've run out of data, can I get more?",
        "I've added a 5GB booster, it's ready to use.",
        "completed",
    ),
    (
        "monthly-cap",
        DATA,
        "I've run out of data, can I get more?",
        "Your plan has reached its monthly cap, so no more data can be added until the 1st.",
        "failed",
    ),
    (
        "data-left",
        DATA,
        "How much data do I have left?",
        "You have 1.2GB left until the 1st.",
        None,
    ),
    (
        "resent",
        TICKETS,
        "My tickets never arrived.",
        "I've resent both tickets to your email.",
        "completed",
    ),
]


@pytest.mark.parametrize(
    ("outcomes", "customer", "agent", "expected"),
    [p[1:] for p in PARAPHRASES],
    ids=[p[0] for p in PARAPHRASES],
)
def test_wording_no_outcome_uses(
    outcomes: Outcomes, customer: str, agent: str, expected: str | None
) -> None:
    assert _judged(outcomes, (C, customer), (A, agent)) == expected


def test_a_pressed_request_refused_with_a_bare_no_is_the_failure() -> None:
    lines = (
        (C, "Can you waive the delivery charge? The driver was two hours late."),
        (A, "The charge covers the courier, so it applies to every order."),
        (C, "Not even once?"),
        (A, "I'm afraid not."),
    )
    assert (
        _judged(_pair("The delivery charge was waived.", "The charge was not waived."), *lines)
        == "failed"
    )


def test_all_sorted_with_a_consequence_in_the_negative_is_done() -> None:
    lines = (
        (C, "Can I put my gym membership on hold while I recover?"),
        (A, "Shall I pause it until the end of May?"),
        (C, "yes please"),
        (A, "All sorted. No fees will be taken until June."),
    )
    outcomes = _pair("The membership was put on hold.", "The membership could not be put on hold.")
    assert _judged(outcomes, *lines) == "completed"


def test_a_general_statement_is_not_the_outcome_but_regret_makes_it_this_chat() -> None:
    refused = (C, "I want a refund."), (A, "Sorry, refunds can't be issued after 30 days.")
    policy = (C, "What's your policy?"), (A, "Refunds can't be issued after 30 days.")
    assert _judged(REFUND, *refused) == "failed"
    assert _judged(REFUND, *policy) is None


def test_a_resent_keyword_matches_but_a_rebooking_is_not_a_booking() -> None:
    assert redone("sent") == "resent" and redone("rebook") is None
    assert past_form("resent") and past_form("frozen") and not past_form("renew")
    assert (
        _judged(TICKETS, (C, "Hi"), (A, "Your tickets have been resent."), keywords=("sent",))
        == "completed"
    )


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Refunds are usually issued within 5 days.", "usually"),
        ("Spaces can't be reserved in advance.", "spaces can"),
        ("Parking is $20, and spaces are limited.", "spaces are"),
        ("Your tickets are on their way.", None),
        ("Tickets are confirmed.", None),
        ("You've always paid on time, so I removed it.", None),
        ("Deposits are returned after inspection, so I can't return it today.", None),
    ],
)
def test_general_statements(text: str, cue: str | None) -> None:
    assert general_statement(clauses(text)[0]) == cue


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("Your new card is on its way.", "on its way"),
        ("The payment went through.", "went through"),
        ("You'll receive the money within 5 days.", "you will receive"),
        ("You'll receive it once we get the item back.", None),
        ("It's not on its way yet.", None),
        ("Is it on its way?", None),
    ],
)
def test_success_frames(text: str, frame: str | None) -> None:
    assert success_frame(clauses(text)[0]) == frame


def test_arrival_frames_and_what_stays() -> None:
    assert arrival("on its way") and arrival("you will receive") and not arrival("went through")
    assert still_stands(clauses("the fee still stands")[0]) == "still stands"
    assert still_stands(clauses("the fee does not apply")[0]) is None


def test_new_states_and_consequences() -> None:
    cancel = tuple(g for g in GROUPS if g.name == "cancel")
    assert (
        negated_opposite(clauses("Your plan won't renew.")[0], cancel, frozenset()) == "not renew"
    )
    assert (
        negated_opposite(clauses("It won't renew if you cancel.")[0], cancel, frozenset()) is None
    )
    assert (
        negated_opposite(clauses("We no longer charge for paper bills.")[0], cancel, frozenset())
        is None
    )
    assert now_state(clauses("You're now in 14C.")[0], frozenset()) == "are now in"
    assert now_state(clauses("It is now ready.")[0], frozenset()) is None
    assert changed_to(clauses("Your new PIN has been set.")[0]) == "your new pin has"
    assert changed_to(clauses("The new plan is $30.")[0]) is None
    assert can_now(clauses("You can now log in.")[0]) == "you can now"
    assert can_now(clauses("You can log in now if you reset it.")[0]) is None
    assert done_instead(clauses("I've put you on the 7:10 instead.")[0]) == "i have put ... instead"
    assert done_instead(clauses("I can put you on the 7:10 instead.")[0]) is None
