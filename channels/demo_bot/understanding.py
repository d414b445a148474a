"""What the demo bot understands in one customer message: a topic, facts, and yes/no/thanks.

Keyword rules rather than a model, so the bot is instant, offline and deterministic. The rules
are written for the way simulated customers talk ("Sure, my email is dana@example.com", "The
order number is A-1042") and for ordinary typed chat; they are not meant to be clever.
"""

from __future__ import annotations

import enum
import re

import attrs


class Topic(enum.StrEnum):
    """The customer problems the demo bot knows how to solve."""

    HUMAN = "human"
    DAMAGED = "damaged"
    BILLING = "billing"
    TWO_FACTOR = "two_factor"
    ORDER_STATUS = "order_status"
    UPGRADE = "upgrade"


# (pattern, weight): strong phrases weigh 3 so one of them beats a couple of loose words.
_TOPIC_RULES: dict[Topic, tuple[tuple[str, int], ...]] = {
    Topic.HUMAN: (
        (r"human|real person|supervisor|manager|representative|live agent|operator", 3),
        (r"(?:speak|talk|chat) (?:to|with) (?:someone|somebody|a person|an agent|a real)", 3),
        (r"escalate|complaint", 3),
    ),
    Topic.DAMAGED: (
        (r"damaged|broken|cracked|smashed|shattered|defective|faulty|dented|torn|ripped", 3),
        (r"(?:does ?n[o']?t|stopped|not) work(?:ing)?|arrived (?:wet|open|crushed)", 3),
        (r"replace(?:ment)?|return", 1),
    ),
    Topic.BILLING: (
        (r"charged (?:me )?(?:twice|two times|double)|double[- ]?charged?|duplicate charge", 3),
        (r"two (?:identical )?charges|billed twice|overcharged|charged again", 3),
        (r"cancel|unsubscribe|stop (?:my|the) subscription", 2),
        (r"billing|bill|billed|invoice|charged?|subscription|membership|payment", 1),
        (r"refund", 1),
    ),
    Topic.TWO_FACTOR: (
        (r"two[- ]factor|2fa|2-?factor|mfa|two[- ]step|2-?step|authenticator", 3),
        (r"verification code|login code|security code|secure my account", 3),
    ),
    Topic.ORDER_STATUS: (
        (r"where(?:'s| is) my (?:order|package|parcel|delivery)|order status|track(?:ing)?", 3),
        (
            r"(?:has ?n[o']?t|has not|never|did ?n[o']?t|not yet|still not) "
            r"(?:arrived|come|shown)",
            3,
        ),
        (r"still waiting|late|delivery|deliver(?:ed)?|shipp(?:ing|ed)|package|parcel", 1),
        (r"order", 1),
    ),
    Topic.UPGRADE: (
        (r"upgrade|downgrade|(?:change|switch) (?:my |the )?plan|pricing|prices", 3),
        (r"premium|family plan|plans?|tier", 1),
    ),
}


def _words(alternatives: str) -> re.Pattern[str]:
    """Any of the ``|``-separated phrases, as whole words, in any case."""
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


_COMPILED = {
    topic: tuple((_words(p), w) for p, w in rules) for topic, rules in _TOPIC_RULES.items()
}

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDER_PATTERNS = (
    re.compile(r"\b([A-Z]{1,3}-\d{3,10})\b", re.IGNORECASE),
    re.compile(r"#\s?([A-Z]{0,3}-?\d{3,10})\b", re.IGNORECASE),
    re.compile(
        r"\border\s*(?:number|no\.?|num|id|#)?\s*(?:is|was|:)?\s*([A-Z]{0,3}-?\d{3,10})\b",
        re.IGNORECASE,
    ),
)
_BARE_NUMBER = re.compile(r"(?<![\w.$-])(\d{4,10})(?![\w.])")
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_PHONE_HINT = _words("phone|mobile|cell|text me|sms")
_PLAN = re.compile(r"\b(basic|plus|premium|family)\b", re.IGNORECASE)

_YES = _words(
    "yes|yeah|yep|yup|sure|please do|go ahead|do it|do that|correct|that'?s right|that is right"
    "|sounds good|absolutely|definitely"
)
_WEAK_YES = _words("ok(?:ay)?|please|fine")
_NO = _words(
    "no(?! problem| worries)|nope|nah|don'?t|do not|not now|rather not|never ?mind|keep it"
)
_THANKS = _words("thanks|thank you|thx|ty|cheers|appreciate it")
_DONE = _words(
    "that'?s all|that is all|that'?s everything|nothing else|all good|i'?m good|all set"
    "|that'?s it|that will be all|no more"
)
_BYE = _words("bye|goodbye|good bye|gotta go|have to go|see you")
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|greetings)\b[\s!,.]*"
    r"(?:there|team|support|folks)?[\s!,.]*$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z']+")
_CONFIRMATION = _words("confirm(?:ation|ing)?|receipt")
_HOW_LONG = _words("how long|when will|how many days|when can i expect|when should i")
_QUESTION = re.compile(r"\?|\b(?:will i|do i|can i|would i|should i)\b", re.IGNORECASE)
_DOUBLE_CHARGE = re.compile(
    r"twice|two times|double|duplicate|two (?:identical )?charges|charged again", re.IGNORECASE
)
_CANCEL = re.compile(r"\bcancel|unsubscribe", re.IGNORECASE)
_REPLACEMENT = _words("replace(?:ment)?")


class Answer(enum.Enum):
    """How a message answers the bot's yes/no question (compared by identity only)."""

    YES = enum.auto()
    NO = enum.auto()
    UNCLEAR = enum.auto()


class Cue(enum.Enum):
    """What a message says beside its topic, details and yes/no answer."""

    THANKS = enum.auto()
    DONE = enum.auto()
    """ "That's all", "nothing else"."""
    BYE = enum.auto()
    GREETING_ONLY = enum.auto()
    """Nothing but a greeting ("Hi there!")."""
    DOUBLE_CHARGE = enum.auto()
    WANTS_CANCEL = enum.auto()
    WANTS_REPLACEMENT = enum.auto()
    ASKS_CONFIRMATION = enum.auto()
    """A follow-up question: "Will I get a confirmation email?"."""
    ASKS_HOW_LONG = enum.auto()
    """A follow-up question: "How long will the refund take?"."""


_SEARCHED_CUES = {
    Cue.THANKS: _THANKS,
    Cue.DONE: _DONE,
    Cue.BYE: _BYE,
    Cue.DOUBLE_CHARGE: _DOUBLE_CHARGE,
    Cue.WANTS_CANCEL: _CANCEL,
    Cue.WANTS_REPLACEMENT: _REPLACEMENT,
    Cue.ASKS_HOW_LONG: _HOW_LONG,
}
"""The cues one pattern found anywhere in the message gives."""


@attrs.frozen
class Reading:
    """Everything the bot takes from one message."""

    text: str
    topics: tuple[tuple[Topic, int], ...]
    """Recognised topics with their scores, best first."""
    email: str | None = None
    order: str | None = None
    phone: str | None = None
    plan: str | None = None
    answer: Answer = Answer.UNCLEAR
    cues: frozenset[Cue] = frozenset()

    def says(self, *cues: Cue) -> bool:
        """Whether the message gives any of ``cues``."""
        return not self.cues.isdisjoint(cues)

    @property
    def topic(self) -> Topic | None:
        return self.topics[0][0] if self.topics else None

    def strong(self, topic: Topic) -> bool:
        """Whether the message is clearly about ``topic`` (one strong phrase at least)."""
        return any(t is topic and score >= 3 for t, score in self.topics)

    @property
    def word_count(self) -> int:
        return len(_WORD.findall(self.text))


def read(text: str, *, expect_order: bool = False, expect_phone: bool = False) -> Reading:
    """Analyse one message; ``expect_*`` loosens extraction when the bot just asked for it."""
    email_match = _EMAIL.search(text)
    email = email_match.group(0).rstrip(".").lower() if email_match else None
    rest = _EMAIL.sub(" ", text)
    phone = _find_phone(rest) if expect_phone or _PHONE_HINT.search(rest) else None
    if phone is not None:
        rest = rest.replace(phone, " ")
    plan_match = _PLAN.search(rest)
    return Reading(
        text=text,
        topics=_topics(rest),
        email=email,
        order=_find_order(rest, expect_order),
        phone=phone,
        plan=plan_match.group(1).lower() if plan_match else None,
        answer=_answer(rest),
        cues=_cues(rest),
    )


def _cues(text: str) -> frozenset[Cue]:
    cues = {cue for cue, pattern in _SEARCHED_CUES.items() if pattern.search(text)}
    if _GREETING.match(text):
        cues.add(Cue.GREETING_ONLY)
    if _QUESTION.search(text) and _CONFIRMATION.search(text):
        cues.add(Cue.ASKS_CONFIRMATION)
    return frozenset(cues)


def _topics(text: str) -> tuple[tuple[Topic, int], ...]:
    scores: list[tuple[Topic, int]] = []
    for topic, rules in _COMPILED.items():
        score = sum(weight for pattern, weight in rules if pattern.search(text))
        if score:
            scores.append((topic, score))
    # Stable sort keeps the declaration order (HUMAN first) as the tie-breaker.
    scores.sort(key=lambda item: -item[1])
    return tuple(scores)


def _find_order(text: str, expect_order: bool) -> str | None:
    for pattern in _ORDER_PATTERNS:
        found = pattern.search(text)
        if found and any(ch.isdigit() for ch in found.group(1)):
            return found.group(1).upper()
    if expect_order:
        bare = _BARE_NUMBER.search(text)
        if bare:
            return bare.group(1)
    return None


def _find_phone(text: str) -> str | None:
    for found in _PHONE.finditer(text):
        digits = sum(ch.isdigit() for ch in found.group(0))
        if 7 <= digits <= 15:
            return found.group(0).strip()
    return None


def _answer(text: str) -> Answer:
    yes = _YES.search(text)
    no = _NO.search(text)
    if yes and no:
        return Answer.YES if yes.start() < no.start() else Answer.NO
    if yes:
        return Answer.YES
    if no:
        return Answer.NO
    # "OK" and "please" only mean yes when nothing in the message says no.
    return Answer.YES if _WEAK_YES.search(text) else Answer.UNCLEAR


def digits_tail(phone: str, count: int = 4) -> str:
    """The last digits of a phone number, the only part a support bot should repeat back."""
    return "".join(ch for ch in phone if ch.isdigit())[-count:]
