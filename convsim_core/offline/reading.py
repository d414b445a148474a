"""How the rule-based participants read the other side: cheap, explainable pattern checks.

The offline customer also talks to real bots, so these checks are written for free text: they
look for the intent of a sentence (a question, a request for a detail, a goodbye) rather than
for the exact lines the offline agent uses.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from convsim_core.signoff import SignOff, find_sign_off

BUILTIN_ALIASES: Mapping[str, tuple[str, ...]] = {
    "email": ("email", "e-mail", "email address", "e-mail address", "mail address"),
    "name": ("name", "full name", "who am i speaking", "who i'm speaking"),
    "full_name": ("name", "full name"),
    "first_name": ("first name",),
    "last_name": ("last name", "surname"),
    "phone": ("phone", "phone number", "mobile", "mobile number", "telephone"),
    "order_number": ("order number", "order no", "order #", "order id", "order reference"),
    "order_id": ("order number", "order id", "order #"),
    "invoice_number": ("invoice number", "invoice no", "invoice #", "invoice id", "invoice"),
    "account_id": ("account number", "account id", "account no", "customer number"),
    "account_number": ("account number", "account id", "customer number"),
    "username": ("username", "user name", "login", "user id"),
    "address": ("address", "shipping address", "delivery address", "postal address"),
    "shipping_address": ("shipping address", "delivery address", "address"),
    "postcode": ("postcode", "post code", "zip", "zip code", "postal code"),
    "zip": ("zip", "zip code", "postcode", "postal code"),
    "card_last4": ("last four", "last 4", "last four digits", "card number", "card ending"),
    "last4": ("last four", "last 4", "last four digits", "card ending"),
    "date_of_birth": ("date of birth", "birthday", "dob", "birth date"),
    "plan": ("plan", "tier", "subscription plan"),
    "device": ("device", "phone model", "model"),
    "phone_model": ("phone model", "device", "model"),
    "operating_system": ("operating system", "os", "ios or android"),
    "tracking_number": ("tracking number", "tracking code", "tracking id"),
    "product": ("product", "item"),
    "item": ("item", "product"),
    "date": ("date",),
    "order_date": ("order date", "when did you order", "when you ordered", "date of the order"),
    "delivery_date": ("delivery date", "when did it arrive", "when it arrived", "delivered"),
    "amount": ("amount", "how much"),
    "charge_amount": ("amount", "how much", "charge"),
    "reason": ("reason", "why"),
    "cancellation_reason": ("reason", "why you", "why are you"),
    "refund_method": ("refund method", "original payment", "store credit"),
    "photo": ("photo", "picture", "image"),
}
"""Ways agents ask for common facts; scenarios add their own per fact."""

_GENERIC_WORDS = {"number", "id", "no", "code", "date", "name", "details"}


def _cue(alternatives: str) -> re.Pattern[str]:
    """What the participants look for: one of ``alternatives`` as whole words, in any case."""
    return re.compile(rf"\b({alternatives})\b", re.IGNORECASE)


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_REQUEST = _cue(
    r"what(?:'s| is| was| are)|which|could you|can you|would you|could i|can i|may i|"
    r"please (?:provide|confirm|share|enter|send|give|tell|type|let me know)|provide|confirm|"
    r"share|tell me|give me|send me|let me know|need (?:your|the)|i'll need|i will need"
)
_GENERIC_ASK = _cue(
    r"what(?:'s| is) your|could you (?:please )?(?:provide|confirm|give|share|tell)|"
    r"can you (?:please )?(?:provide|confirm|give|share|tell)|may i have your|can i have your|"
    r"please (?:provide|confirm|share|enter)"
)
_CLOSING = _cue(
    r"have a (?:nice|great|good|lovely|wonderful) (?:day|evening|weekend|one)|goodbye|"
    r"bye for now|take care|bye"
)
_ESCALATION = _cue(
    r"transfer\w*|escalat\w*|connect(?:ing)? you (?:to|with)|hand(?:ing)? you over|"
    r"pass(?:ing)? you (?:on|over|to)|put(?:ting)? you through"
)
_ANYTHING_ELSE = _cue(
    r"anything else|something else|any other (?:questions|issues|way)|"
    r"help (?:you )?with anything|else i can (?:help|do)"
)
_PROBLEM_REQUEST = _cue(
    r"how (?:can|may) i (?:help|assist)|what can i (?:do|help)|how can we help|welcome|"
    r"i can help (?:you )?with|what (?:would|do) you (?:like|need)|"
    r"describe|tell me (?:more|what happened|about)|what seems to be|what happened|"
    r"more details|what (?:is|was) the (?:problem|issue)|what brings you"
)
_CONFIRM_QUESTION = _cue(
    r"shall i|should i|would you like|do you want|can i go ahead|may i go ahead|"
    r"is that (?:ok|okay|alright|correct|right|fine)|does that (?:sound|work)|"
    r"would that (?:be ok|work|help)|is it (?:ok|okay) (?:if|to)|would you prefer|"
    r"can you confirm (?:that|this)|are you happy"
)
_STALL = _cue(
    r"one moment|a moment|just a (?:sec|second|minute)|bear with me|please hold|"
    r"let me (?:check|look|see)|looking into|checking|still (?:looking|checking|working)|"
    r"waiting (?:to hear|on|for)|hold on|give me a (?:moment|minute|sec)"
)
_SUPERVISOR = _cue(
    r"supervisor|manager|escalate|someone (?:else|senior|in charge)|real person|"
    r"a human|your boss"
)
_DECLINE = re.compile(
    r"\b(no thanks|no thank you|not interested|i'll pass|i will pass|no,|^no\b|nope|"
    r"not (?:right )?now|maybe later|don't want|do not want|not for me)",
    re.IGNORECASE,
)
_ACCEPT = _cue(
    r"yes|yeah|yep|sure|ok|okay|sounds good|let's do|go ahead|please do|"
    r"upgrade me|i'll take|sign me up"
)
_WRAP_UP = _cue(
    r"that's (?:all|everything|it)|that is (?:all|everything)|nothing else|no,? thanks|"
    r"no,? thank you|all good|i'm good|that's fine|no more questions"
)
_DONT_KNOW = _cue(
    r"don't have|do not have|not sure|no idea|can't find|cannot find|don't know|"
    r"haven't got|how would i know"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_CODE = re.compile(r"#?\b[A-Za-z0-9][A-Za-z0-9-]*\d[A-Za-z0-9-]*\b")
_LEAD_IN = re.compile(
    r"^(?:sure|of course|yes|yeah|ok|okay|fine|right|well|sorry)?[,.!:\s-]*"
    r"(?:(?:my|the|our)\s+[\w\s#-]{1,40}?\s+(?:is|was|are)\s+|it's\s+|it is\s+|that's\s+|"
    r"that is\s+|i'm\s+|i am\s+|this is\s+)?",
    re.IGNORECASE,
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def is_request(sentence: str) -> bool:
    """A question or an imperative asking for something."""
    return sentence.rstrip().endswith("?") or bool(_REQUEST.search(sentence))


def label_for(key: str) -> str:
    """How a person would call a fact: ``order_number`` -> "order number"."""
    return key.replace("_", " ").strip()


def aliases_for(key: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The phrases that mean this fact: its label, builtin synonyms and scenario aliases."""
    found: list[str] = [label_for(key), *BUILTIN_ALIASES.get(key, ())]
    last = key.rsplit("_", 1)[-1]
    if last != key and last not in _GENERIC_WORDS:
        found.extend(BUILTIN_ALIASES.get(last, (last,)))
    found.extend(extra)
    seen: dict[str, None] = {}
    for alias in found:
        alias = alias.lower().strip()
        if alias:
            seen.setdefault(alias, None)
    return tuple(seen)


@attrs.frozen
class FactMatcher:
    """Finds which known facts a message asks for, by their aliases."""

    aliases: Mapping[str, tuple[str, ...]]
    _patterns: tuple[tuple[str, re.Pattern[str]], ...] = attrs.field(init=False, repr=False)

    @classmethod
    def for_facts(
        cls, facts: Iterable[str], extra: Mapping[str, Sequence[str]] | None = None
    ) -> FactMatcher:
        extra = extra or {}
        return cls({key: aliases_for(key, extra.get(key, ())) for key in facts})

    def __attrs_post_init__(self) -> None:
        patterns = []
        for key, aliases in self.aliases.items():
            for alias in sorted(aliases, key=len, reverse=True):
                patterns.append((key, re.compile(rf"(?<!\w){re.escape(alias)}s?(?!\w)")))
        object.__setattr__(self, "_patterns", tuple(patterns))

    def asked(self, text: str) -> list[str]:
        """Facts requested in ``text``, in the order they are asked for."""
        found: list[tuple[int, int, str]] = []
        for sentence in sentences(text):
            if not is_request(sentence):
                continue
            offset = text.find(sentence)
            lowered = sentence.lower()
            for key, pattern in self._patterns:
                for match in pattern.finditer(lowered):
                    found.append((offset + match.start(), offset + match.end(), key))
        # A longer alias wins over a shorter one inside it ("order number" over "number").
        kept = [
            (start, end, key)
            for start, end, key in found
            if not any(
                s <= start and end <= e and (e - s) > (end - start) and k != key
                for s, e, k in found
            )
        ]
        ordered: list[str] = []
        for _start, _end, key in sorted(kept):
            if key not in ordered:
                ordered.append(key)
        return ordered


def asks_for_unknown_detail(text: str) -> bool:
    return any(_GENERIC_ASK.search(s) for s in sentences(text) if is_request(s))


def says_goodbye(text: str) -> bool:
    """A farewell that takes leave, not "I'll take care of that" (:mod:`convsim_core.signoff`)."""
    if not _CLOSING.search(text):
        return False
    return isinstance(find_sign_off(text, (_CLOSING,)), SignOff)


def escalates(text: str) -> bool:
    return bool(_ESCALATION.search(text))


def asks_anything_else(text: str) -> bool:
    return bool(_ANYTHING_ELSE.search(text))


def asks_for_problem(text: str) -> bool:
    return bool(_PROBLEM_REQUEST.search(text))


def asks_to_confirm(text: str) -> bool:
    return any(_CONFIRM_QUESTION.search(s) for s in sentences(text) if is_request(s))


def is_stalling(text: str) -> bool:
    return bool(_STALL.search(text))


def demands_supervisor(text: str, triggers: Sequence[str] = ()) -> bool:
    lowered = text.lower()
    return bool(_SUPERVISOR.search(text)) or any(t.lower() in lowered for t in triggers)


def declines(text: str) -> bool:
    return bool(_DECLINE.search(text.strip()))


def accepts(text: str) -> bool:
    return not declines(text) and bool(_ACCEPT.search(text))


def wraps_up(text: str) -> bool:
    return bool(_WRAP_UP.search(text))


def does_not_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(text))


def find_phrase(text: str, phrases: Iterable[str]) -> re.Match[str] | None:
    """The first of ``phrases`` found in ``text`` as whole words (case-insensitive)."""
    for phrase in phrases:
        found = _phrase_pattern(phrase).search(text)
        if found:
            return found
    return None


def contains_any(text: str, phrases: Iterable[str]) -> str | None:
    """The first phrase found in ``text`` as whole words (case-insensitive), or None."""
    found = find_phrase(text, phrases)
    return found.group(0) if found else None


@functools.lru_cache(maxsize=1024)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(phrase.strip())}(?!\w)", re.IGNORECASE)


def _is_email_key(key: str) -> bool:
    return "email" in key or key.endswith("mail")


def _is_phone_key(key: str) -> bool:
    return key in ("phone", "phone_number", "mobile", "mobile_number", "telephone") or (
        key.endswith(("_phone", "_mobile"))
    )


_ID_WORDS = (
    "number",
    "id",
    "code",
    "reference",
    "ref",
    "order",
    "invoice",
    "account",
    "tracking",
    "zip",
    "postcode",
    "last4",
    "pin",
    "serial",
)


def extract_value(key: str, text: str) -> str | None:
    """Best guess at the value the customer gave for ``key`` in ``text``, or None.

    Emails, phone numbers and identifiers with digits are found by pattern; anything else is
    what follows a lead-in such as "it's" or "my name is", when that is short.
    """
    key = key.lower()
    if _is_email_key(key):
        found = _EMAIL.search(text)
        return found.group(0) if found else None
    if _is_phone_key(key):
        found = _PHONE.search(text)
        return found.group(0).strip() if found else None
    if any(word in key.split("_") for word in _ID_WORDS):
        code = _CODE.search(text)
        return code.group(0) if code else None
    first = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0] if text.strip() else ""
    rest = _LEAD_IN.sub("", first, count=1).strip().rstrip(".!?").strip()
    if rest and len(rest.split()) <= 8:
        return rest
    return None


def find_in_history(key: str, texts: Iterable[str]) -> str | None:
    """A value for ``key`` already given in earlier messages, when it can be told apart:
    an email, a phone number, or an identifier right after one of the key's aliases
    ("the invoice is INV-20931")."""
    key = key.lower()
    if _is_email_key(key) or _is_phone_key(key):
        pattern = _EMAIL if _is_email_key(key) else _PHONE
        for text in texts:
            found = pattern.search(text)
            if found:
                return found.group(0).strip()
        return None
    if not any(word in key.split("_") for word in _ID_WORDS):
        return None
    aliases = "|".join(re.escape(a) for a in sorted(aliases_for(key), key=len, reverse=True))
    near = re.compile(
        rf"(?<!\w)(?:{aliases})s?(?!\w)\W+(?:[a-z']+\W+){{0,3}}?({_CODE.pattern})", re.IGNORECASE
    )
    for text in texts:
        found = near.search(text)
        if found:
            return found.group(1)
    return None


_MENU_ITEM = re.compile(r"(?:^|\s)\(?(\d{1,2})[).:]\s*([^\n]+?)(?=\s+\(?\d{1,2}[).:]\s|[?\n]|$)")


def menu_options(text: str) -> list[tuple[str, str]]:
    """Numbered choices a bot offers ("1) an order 2) a payment"), as (number, label)."""
    options = [(m.group(1), m.group(2).strip(" ,;.")) for m in _MENU_ITEM.finditer(text)]
    return options if len(options) >= 2 else []


def words(text: str) -> set[str]:
    """Content words, lowercased, with a crude plural stem, for overlap scoring."""
    found = set()
    for word in re.findall(r"[a-z]{4,}", text.lower()):
        found.add(word[:-1] if word.endswith("s") else word)
    return found
