"""Everything the demo bot says, with a few variants per line so chats do not read as canned.

Kept apart from the dialogue logic so wording can change without touching behaviour. Rules for
every line, because convsim's own detectors read them:

- only closing lines say "have a great day" (the default closing-phrase detector ends the chat);
- only resolutions say "cancelled", "refunded" or "escalated" (outcome judges look for those),
  and each resolution carries a phrase convsim's offline customer takes as "solved" ("has been
  refunded", "is now enabled", "is on its way", "all set", ...);
- offers of a person never say "connect you", "transfer" or "escalate" (those mean it happened);
- a turn that expects an answer ends with a question.
"""

from __future__ import annotations

import random
from typing import Any

COMPANY = "Brightbox"
BOT_NAME = "Robin"

PHRASES: dict[str, tuple[str, ...]] = {
    "greet": (
        f"Hi, thanks for contacting {COMPANY} Support! I'm {BOT_NAME}, the virtual assistant.",
        f"Hello and welcome to {COMPANY} Support. I'm {BOT_NAME}, your virtual assistant.",
        f"Hi there! You're chatting with {BOT_NAME}, {COMPANY}'s support assistant.",
    ),
    "how_help": (
        "What can I help you with today?",
        "How can I help you today?",
        "What brings you here today?",
    ),
    "welcome_back": ("Hi again!", "Welcome back!"),
    "empty": ("It looks like that message was empty. What can I help you with?",),
    # Acknowledgements when a topic starts.
    "ack_billing_double": (
        "I'm sorry to hear you were charged twice. Let's get that sorted out.",
        "Sorry about the double charge, I can definitely help with that.",
    ),
    "ack_billing_cancel": (
        "I can help you with your subscription.",
        "Sure, I can help you cancel your subscription.",
    ),
    "ack_billing_both": (
        "Sorry about the double charge. I can sort that out and help with the cancellation too.",
        "I'm sorry you were charged twice. I can fix that and handle the cancellation too.",
    ),
    "ack_billing": ("I can help with billing questions.", "Happy to look into your billing."),
    "ack_damaged": (
        "I'm really sorry your item arrived damaged.",
        "Oh no, sorry to hear it arrived damaged. Let's put that right.",
    ),
    "ack_two_factor": (
        "Good call, two-factor authentication is a great way to protect your account.",
        "Happy to help you set up two-factor authentication.",
    ),
    "ack_order_status": ("I can check on your order for you.", "Let me look into your order."),
    "ack_upgrade": (
        "Happy to help you find the right plan.",
        "Great, let's find the plan that suits you.",
    ),
    "ack_human": (
        "I understand. I'll get you to a member of our team.",
        "Of course, I can bring in a supervisor.",
    ),
    "switch": ("Sure, let's look at that instead.", "No problem, let's switch to that."),
    "sure": ("Sure!", "Of course!", "Happy to help with that too."),
    # Questions for the details a topic needs.
    "ask_email": (
        "Could you tell me the email address on your account?",
        "What's the email address linked to your account?",
        "To find your account, could you share the email you signed up with?",
    ),
    "ask_order": (
        "What's your order number (it starts with a letter, like A-1234)?",
        "Could you give me the order number from your order confirmation?",
    ),
    "ask_damage": (
        "Could you describe what a photo of the damage would show?",
        "A short description is all I need: what would a photo of the damage show?",
    ),
    "ask_phone": (
        "Which mobile number should we send the security codes to?",
        "What mobile number would you like to use for the verification codes?",
    ),
    "plans_info": (
        "We have Basic ($7.99/month), Plus ($12.99/month), Premium ($19.99/month, with free "
        "express shipping) and Family ($24.99/month for up to five people).",
    ),
    "ask_plan": ("Which plan would you like?", "Which of those would you like to switch to?"),
    "ask_issue": (
        "Could you tell me a bit more: was there a charge you didn't expect, or would you "
        "like to cancel your subscription?",
    ),
    # Second attempts when the answer did not contain what was asked.
    "reprompt_email": (
        "Sorry, I couldn't spot an email address there. Could you type the email on your "
        "account, like name@example.com?",
        "I need the email on the account to find it. Could you share it (something like "
        "name@example.com)?",
    ),
    "reprompt_order": (
        "I couldn't find an order number in that. It looks like A-1234 and it's in your "
        "order confirmation. Could you check?",
    ),
    "reprompt_damage": (
        'A few words are enough, for example "the lid is cracked". What does the damage look like?',
    ),
    "reprompt_photo": (
        "This chat can't take attachments, so a short description is perfect: what does the "
        "damage look like?",
    ),
    "reprompt_phone": (
        "I couldn't see a phone number there. Which mobile number should the codes go to?",
    ),
    "reprompt_plan": ("Which plan would you like: Basic, Premium or Family?",),
    "same_plan": ("You're already on Plus. Would you like Basic, Premium or Family instead?",),
    "reprompt_issue": (
        "Just so I can help: were you charged unexpectedly, or would you like to cancel?",
    ),
    "reprompt_confirm": (
        "Sorry, just to check: shall I go ahead? A yes or no is fine.",
        "Just to be sure, would you like me to go ahead with that?",
    ),
    "no_problem": ("No problem!", "You're welcome!"),
    # Details found once the account or order is known.
    "got_email": ("Thanks! I've found the account for {email}.", "Thanks, I've got {email}."),
    "got_order": ("Thanks, I've pulled up order {order}.", "Got it, order {order}."),
    "got_phone": ("Got it, the number ending in {tail}.",),
    "got_plan": ("{plan}, great choice.", "{plan} it is."),
    "got_damage": ("Thank you for describing it.", "Thanks, that's really helpful."),
    "findings_double": (
        "I can see two charges of ${amount} on the {day} for your Plus subscription, and one "
        "of them is a duplicate.",
        "I see it: your Plus subscription was charged ${amount} twice on the {day}.",
    ),
    "confirm_cancel_refund": (
        "Would you like me to cancel your subscription and refund the duplicate charge?",
        "Shall I refund the duplicate charge and cancel the subscription for you?",
    ),
    "confirm_cancel": (
        "You'll keep access until the end of the current billing period. Shall I go ahead and "
        "cancel your Plus subscription?",
    ),
    "confirm_upgrade": ("Shall I move you from Plus to {plan} at ${price}/month, starting today?",),
    # Resolutions.
    "resolve_cancel_refund": (
        "Done! I've cancelled your subscription and refunded the duplicate charge of ${amount}. "
        "The refund has been issued to your card and should arrive within 3-5 business days.",
        "All set: I've cancelled your subscription and refunded the duplicate charge of "
        "${amount}. Expect it back on your card in 3-5 business days.",
    ),
    "resolve_refund_only": (
        "The duplicate charge of ${amount} has been refunded and your subscription stays active. "
        "The money should be back on your card within 3-5 business days.",
        "Good news: the duplicate charge of ${amount} has been refunded. Your subscription stays "
        "active, and the money should reach your card within 3-5 business days.",
    ),
    "resolve_cancel": (
        "Done, your subscription has been cancelled. You'll have access until the end of this "
        "billing period and won't be charged again.",
    ),
    "resolve_keep": (
        "No problem, you're all set: nothing has changed and your subscription stays active.",
    ),
    "resolve_damaged_refund": (
        "A full refund of ${amount} for order {order} has been issued. There's no need to send "
        "the item back; the money should show up within 3-5 business days.",
        "All set: I've refunded ${amount} for order {order} in full, and you don't need to "
        "return the item. It should show up within 3-5 business days.",
    ),
    "resolve_damaged_replacement": (
        "A free replacement for order {order} is on its way: it ships within 2 business days, "
        "and there's no need to send the damaged item back.",
    ),
    "resolve_two_factor": (
        "Two-factor authentication is now enabled for {email}. We've sent a test code to the "
        "number ending in {tail}, and from now on you'll be asked for a code when you sign in "
        "on a new device.",
    ),
    "resolve_order_shipped": (
        "Order {order} is on its way: it shipped on {shipped} with {carrier} (tracking number "
        "{tracking}) and is due to arrive on {eta}.",
    ),
    "resolve_order_out": (
        "Good news: order {order} is on its way and out for delivery with {carrier} today "
        "(tracking number {tracking}).",
    ),
    "resolve_upgrade": (
        "All set: I've upgraded {email} to {plan} at ${price}/month. The prorated difference "
        "will appear on your next invoice.",
    ),
    "resolve_downgrade": (
        "All set: I've moved {email} to {plan} at ${price}/month from your next billing date.",
    ),
    "resolve_no_upgrade": ("No problem, you'll stay on your current plan.",),
    "resolve_escalate": (
        "I've escalated this to a supervisor (reference {ref}). They'll email you at {email} "
        "within 24 hours.",
        "I've escalated this to a supervisor. Your reference is {ref}, and someone will reach "
        "out to {email} within one business day.",
    ),
    # Follow-up questions after a resolution.
    "faq_confirmation": (
        "Yes, a confirmation email is on its way to {email}.",
        "Yes, you'll get a confirmation email at {email} in the next few minutes.",
    ),
    "faq_confirmation_no_email": ("Yes, you'll get a confirmation email in the next few minutes.",),
    "faq_how_long_refund": (
        "Refunds usually reach your card within 3-5 business days, depending on your bank.",
    ),
    "faq_how_long_delivery": ("Most orders arrive within 2-4 business days of shipping.",),
    # Wrapping up.
    "anything_else": (
        "Is there anything else I can help you with?",
        "Can I help with anything else today?",
        "Anything else I can do for you?",
    ),
    "what_else": ("Of course, what else can I help you with?", "Sure, what else do you need?"),
    "closing": (
        "You're welcome! Have a great day!",
        "Glad I could help. Have a great day!",
        f"Thanks for contacting {COMPANY}. Have a great day!",
    ),
    "closing_unresolved": (
        "No problem, you can pick this chat up again anytime. Have a great day!",
    ),
    # Confusion and handover.
    "clarify": (
        "Sorry, I didn't quite catch that. Is it about billing or your subscription, an order "
        "(tracking or a damaged item), account security, or your plan?",
        "I'm not sure I follow. Could you tell me a bit more about what you need help with?",
    ),
    "offer_human": (
        "I'm sorry, I'm having trouble understanding. Would you like to speak with a member of "
        "our support team?",
        "Sorry, I don't think I'm getting this right. Shall I bring in someone from our team?",
    ),
    "reprompt_offer": ("Would you like to speak with someone from our team?",),
    "decline_human": ("No problem. In a few words, what do you need help with?",),
    "resume": ("No problem, let's keep going.", "OK, let's carry on then."),
}


def pick(rng: random.Random, key: str, **fields: Any) -> str:
    """One variant of line ``key`` with ``fields`` filled in."""
    return rng.choice(PHRASES[key]).format(**fields)
