"""Default wording for the rule-based participants, and a seeded picker that avoids repeats.

Scenarios may replace most of these lines; the defaults only need to read like a plausible
support chat. Some lines carry *signature phrases* that scenario keywords can rely on:

- every default give-up line contains "give up" or "forget it" (and says "Goodbye"),
- every default escalation line contains "supervisor" and "transfer",
- every default farewell contains one of the default closing phrases,
- every default resolution contains "taken care of".

Lines are templates: ``{name}`` is replaced by a fact (see :func:`fill`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

MOODS = ("calm", "frustrated", "angry")

Bank = Mapping[str, tuple[str, ...]]

# -- customer ---------------------------------------------------------------------------------

ANSWER_ONE: Bank = {
    "calm": (
        "Sure, it's {value}.",
        "Of course, my {label} is {value}.",
        "It's {value}.",
        "The {label} is {value}.",
    ),
    "frustrated": ("It's {value}.", "{value}.", "My {label} is {value}."),
    "angry": (
        "Fine. It's {value}.",
        "{value}. Can we move this along?",
        "It's {value}. I've already given this once.",
    ),
}
"""Answers to a question about one fact of the customer's ({label}: {value})."""
ANSWER_FREE: Bank = {
    "calm": ("{Value}.", "Well, {value}.", "Sure: {value}."),
    "frustrated": ("{Value}.", "Basically, {value}."),
    "angry": ("{Value}. Obviously.", "{Value}."),
}
"""Answers whose value is a phrase rather than an identifier ("the lid is cracked")."""
ANSWER_MANY: Bank = {
    "calm": ("Sure: {pairs}.", "Of course. {pairs}."),
    "frustrated": ("{pairs}.",),
    "angry": ("Fine. {pairs}.",),
}
"""Answers to a question asking for several facts at once ({pairs}: "order ORD-1 and email a@b")."""
ANSWER_AGAIN: Bank = {
    "calm": ("As I mentioned, it's {value}.", "It's {value}, as I said."),
    "frustrated": ("I already said: {value}.",),
    "angry": ("I ALREADY told you. {value}.", "Again: {value}."),
}
"""Answers to a question the customer has already answered: the patience runs out by mood."""
NO_SUCH_FACT: Bank = {
    "calm": (
        "Sorry, I don't have that to hand.{known}",
        "I'm not sure, I'm afraid.{known}",
    ),
    "frustrated": ("I don't have that.{known}",),
    "angry": ("How would I know that?{known}",),
}
"""When the agent asks for something the persona does not know."""
CONFIRM_YES: Bank = {
    "calm": ("Yes, please.", "Yes, go ahead.", "That's right, yes.", "Yes, that works for me."),
    "frustrated": ("Yes.", "Yes, go ahead."),
    "angry": ("Yes. Just get on with it.", "Yes."),
}
"""Agreeing when the agent reads back what it is about to do."""
THANKS: Bank = {
    "calm": ("That's great, thank you!", "Perfect, thanks so much.", "Wonderful, thank you."),
    "frustrated": ("Okay, good. Thanks.", "Right, thanks."),
    "angry": ("Finally. Thank you.", "About time. Thanks."),
}
"""Thanking the agent once the goal is reached."""
WRAP_UP: Bank = {
    "calm": (
        "No, that's everything. Thanks for your help!",
        "Nope, that's all. Thanks again!",
        "That's all for today, thank you.",
    ),
    "frustrated": ("No, that's all.", "That's everything, thanks."),
    "angry": ("No. That's all.",),
}
"""Answering "anything else?" after the goal: nothing more."""
BYE: Bank = {
    "calm": ("Thanks, bye!", "Bye, thanks again!"),
    "frustrated": ("Bye.",),
    "angry": ("Bye.",),
}
"""The customer's sign-off."""
WAIT_OK: Bank = {
    "calm": ("Sure, take your time.", "Okay, I'll wait.", "No problem, thanks for checking."),
    "frustrated": ("Okay. Please be quick.", "Fine, I'll wait."),
    "angry": ("Fine. But be quick about it.",),
}
"""Accepting a hold ("one moment while I check")."""
NUDGE: Bank = {
    "calm": ("Any update on this?", "Hello? Are you still there?", "Is there any news?"),
    "frustrated": (
        "Any update? This is taking a while.",
        "Hello? I'm still waiting.",
        "How much longer will this take?",
    ),
    "angry": ("How much longer is this going to take?", "Hello?? I'm still waiting here."),
}
"""Prompting an agent that has gone quiet."""
RESTATE: Bank = {
    "calm": (
        "Sorry, I'm not sure that answers my question. {problem}",
        "Let me explain again: {problem}",
        "I think we got our wires crossed. {problem}",
    ),
    "frustrated": ("That doesn't help. {problem}", "Again: {problem}"),
    "angry": ("Are you even reading my messages? {problem}", "That's not what I asked. {problem}"),
}
"""Restating the problem to an agent that missed it."""
STATE_PROBLEM: Bank = {
    "calm": ("Hi! {problem}", "Hello. {problem}", "{problem}"),
    "frustrated": ("{problem}",),
    "angry": ("{problem}",),
}
"""The opening message: the customer's problem in its own words."""
DEMAND_SUPERVISOR: Bank = {
    "calm": ("I'd like to speak to a supervisor, please.",),
    "frustrated": ("This isn't working. Can I speak to a supervisor, please?",),
    "angry": (
        "This is ridiculous. I want to speak to a supervisor. Now.",
        "I'm done with this runaround. Get me a supervisor.",
    ),
}
"""Asking for a person once patience is gone."""
INSIST_SUPERVISOR: Bank = {
    "calm": ("I'd still prefer to speak to a supervisor, please.",),
    "frustrated": ("No, I want a supervisor, please.",),
    "angry": (
        "No. I said I want a supervisor. Put me through to your manager.",
        "Stop stalling and get me a supervisor!",
    ),
}
"""Asking for a person again after the agent deflects."""
ESCALATED_OK: Bank = {
    "calm": ("Thank you, I'll wait for them.",),
    "frustrated": ("Okay, thanks. I'll wait.",),
    "angry": ("Finally. I'll wait.", "Good. I'll wait for them."),
}
"""Accepting a hand-over to a person."""
GIVE_UP: Bank = {
    "calm": (
        "I've waited long enough, so I give up for now. I'll try another way. Goodbye.",
        "Sorry, I can't keep waiting. Forget it, I'll call instead. Goodbye.",
    ),
    "frustrated": (
        "Forget it. I'll sort this out some other way. Goodbye.",
        "I give up. This is going nowhere. Goodbye.",
    ),
    "angry": (
        "Forget it, this is useless. I'm taking my business elsewhere. Goodbye.",
        "I give up. Worst support ever. Goodbye.",
    ),
}
"""Leaving without what it came for."""
ACCEPT_UPSELL: Bank = {
    "calm": ("Sure, that sounds good. Let's do it.", "Yes please, go ahead and upgrade me."),
    "frustrated": ("Fine, go ahead with the upgrade.",),
    "angry": ("Fine, do the upgrade.",),
}
"""Saying yes to an upgrade the agent offers (the persona is open to offers)."""
DECLINE_UPSELL: Bank = {
    "calm": ("No thanks, I'm happy with what I have.", "I'll pass for now, thanks."),
    "frustrated": ("No thanks.",),
    "angry": ("No. Not interested.",),
}
"""Saying no to an upgrade the agent offers."""

# -- agent ------------------------------------------------------------------------------------

GREETING = (
    "Hi, thanks for reaching out! I'm sorry to hear about that.",
    "Hello! Sorry for the trouble, I'll help you get this sorted.",
    "Hi there, thanks for contacting us. I can help with that.",
)
ASK = (
    "Could you give me the {label} on your account?",
    "Can you please confirm your {label}?",
    "What's your {label}, please?",
)
ACK = ("Thanks!", "Got it, thank you.", "Perfect, thanks.", "Thank you.")
ACK_MISSING = ("No problem, I can work with what I have.", "That's okay, I'll manage without it.")
STALL = (
    "Let me check on that for you, one moment.",
    "I'm still looking into this, thanks for your patience.",
    "Bear with me while I check with the team.",
    "Still checking on my end, just a moment longer.",
    "I'm waiting to hear back from the team on this.",
)
RESOLUTION = (
    "All done: I've taken care of that for you.",
    "Good news, I've taken care of it. Everything should be sorted now.",
)
ANYTHING_ELSE = (
    "Is there anything else I can help you with today?",
    "Anything else I can do for you?",
    "Is there anything else you need?",
)
FAREWELL = (
    "You're welcome! Have a great day.",
    "Happy to help. Have a nice day!",
    "Thanks for contacting us. Take care!",
)
DE_ESCALATE = (
    "I understand your frustration, and I'm sorry. I'd like to try to fix this for you right now.",
    "I hear you, and I apologise for the hassle. Let me see if I can sort it out myself first.",
)
ESCALATION = (
    "I understand. I'm transferring you to a supervisor now, please hold.",
    "Of course. Let me transfer you to a supervisor who can help.",
)
OUT_OF_SCOPE = (
    "I'm afraid I can't help with that in this chat.",
    "Sorry, that's not something I can do from here.",
)
UPSELL_OFFER = (
    "Before you go: our Premium plan would give you more for just a little extra each month."
    " Would you like me to upgrade you?",
)
UPSELL_ACCEPTED = ("Great choice! I've upgraded your plan.",)
UPSELL_DECLINED = ("No problem at all, your plan stays as it is.",)


def bank(options: Bank, mood: str) -> tuple[str, ...]:
    """The lines for a mood, falling back to calm ones."""
    return options.get(mood) or options["calm"]


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


def placeholders(template: str) -> set[str]:
    """The ``{name}`` placeholders a line uses."""
    return set(_PLACEHOLDER.findall(template))


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace ``{name}`` placeholders; unknown ones stay as written (validated at load time)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


class PhrasePicker:
    """Seeded choice among variants that avoids repeating a line until all have been used.

    Repeats are what make a canned chat read as canned; cycling through variants keeps a
    twelve-message conversation from saying "Thanks!" four times.
    """

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: dict[tuple[str, ...], set[str]] = {}

    def pick(self, options: Sequence[str]) -> str:
        if not options:
            raise ValueError("no phrases to choose from")
        key = tuple(options)
        used = self._used.setdefault(key, set())
        fresh = [option for option in options if option not in used] or list(options)
        if len(fresh) == len(options):
            used.clear()
        choice = fresh[self._rng.randrange(len(fresh))]
        used.add(choice)
        return choice
