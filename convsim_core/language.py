"""Reading chat messages as sentences of stemmed words: what the offline judges look at.

Judges and termination rules must hold on a real bot's own wording, so they compare word stems
(refund / refunded / refunding) instead of literal substrings, one sentence (clause) at a time,
and they ask of each clause what a reader would: is it a question or an offer, is it negated,
does it say something has happened or only that it could? This module answers those questions
with small, explainable rules; it knows nothing about outcomes or scenarios.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence

import attrs
import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")

_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bcan['\u2019]t\b", "can not"),
        (r"\bcannot\b", "can not"),
        (r"\bwon['\u2019]t\b", "will not"),
        (r"\bshan['\u2019]t\b", "shall not"),
        (r"n['\u2019]t\b", " not"),
        (r"\b(i)['\u2019]m\b", r"\1 am"),
        (r"['\u2019]ve\b", " have"),
        (r"['\u2019]ll\b", " will"),
        (r"['\u2019]re\b", " are"),
        (r"['\u2019]d\b", " would"),
        (r"\b(it|that|there|here|what|he|she|this|everything)['\u2019]s\b", r"\1 is"),
        (r"['\u2019]s\b", ""),
        (r"\b(?:no|not a|not any) (?:problem|problems|worries|issue)\b", "sure"),
    )
)
_MONEY = re.compile(
    r"(?:[$\u20ac\u00a3\u00a5]\s?\d(?:[\d,]*\d)?(?:\.\d+)?)"
    r"|(?:\b\d[\d,]*(?:\.\d+)?\s?(?:dollars?|euros?|pounds?|bucks|usd|eur|gbp)\b)"
)
"""An amount of money ("$12", "\u20ac6.50", "40 dollars"): read as the word "money" after it, so
"you'll see the $12 back on your card" speaks of money back like "your money back" does."""
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CLAUSE_BREAK = re.compile(
    r"(?<=[.!?;:])\s+|\n+|,?\s+\b(?:but|however|although|though|whereas)\b[,]?\s+"
)
_CLAUSE_BREAK_ANY_CASE = re.compile(_CLAUSE_BREAK.pattern, re.IGNORECASE)
_SEGMENT_BREAK = re.compile(r",|\s[-\u2013\u2014]\s|\(|\)")

NEGATORS = frozenset({"not", "no", "never", "unable", "nobody", "nothing", "neither", "nor"})
"""Words that negate what follows them in their segment."""

FAILURE_STEMS = frozenset(
    {
        "fail",
        "unabl",
        "unsuccess",
        "unfortun",
        "declin",
        "reject",
        "unavail",
        "imposs",
        "error",
        "problem",
        "refus",
        "deni",
    }
)
"""Stems that say on their own that something did not happen."""

REGRET_WORDS = frozenset(
    {"sorry", "unfortunately", "sadly", "apologize", "apologise", "apologies", "afraid", "regret"}
)
"""Words that apologise for what follows: the sign of news the customer did not want."""

_AUXILIARIES = frozenset({"will", "would", "do", "does", "did", "need", "have", "can", "should"})


def refusing_word(ws: Sequence[str]) -> str | None:
    """The first word that negates or reports a failure, for reading a reply as a refusal.

    A negation addressed to the customer ("you won't be charged again", "you don't need to do
    anything") tells them a consequence, not that the agent refused: it is skipped.
    """
    for index, word in enumerate(ws):
        if word not in NEGATORS and stem(word) not in FAILURE_STEMS:
            continue
        if not addressed_to_customer(ws, index):
            return word
    return None


def addressed_to_customer(ws: Sequence[str], index: int) -> bool:
    """Whether the word at ``index`` is said of the customer: "you (will) not ..."."""
    before = ws[max(0, index - 2) : index]
    return bool(before) and (
        before[-1] == "you"
        or (len(before) == 2 and before[0] == "you" and before[1] in _AUXILIARIES)
    )


NEW_PREDICATE = frozenset({"and", "or", "so", "which", "because", "while", "since"})
"""Words after which a negation belongs to another statement than the word before them."""
_WITH = frozenset({"with", "at", "for"})
_ABLE = frozenset({"able", "possible"})
"""After a negator, the words that make it an inability: "not able to", "not possible"."""
MODAL_WORDS = frozenset({"can", "could", "would", "might", "may", "should", "shall", "must"})
FUTURE_WORDS = frozenset({"will", "going", "gonna", "about", "let", "plan", "try", "tri"})
INTENTION_WORDS = frozenset({"help", "happy", "glad", "want", "wants", "like", "need", "ready"})
CONDITION_WORDS = frozenset({"if", "once", "unless", "until", "whenever"})
"""Words that open a condition or a time still to come ("once it is enabled", "until it is
dispatched"): what follows them in their segment has not happened."""
_QUESTION_OPENERS = frozenset(
    {
        "shall", "should", "would", "could", "can", "do", "does", "did", "will", "may", "is",
        "are", "was", "were", "have", "has", "want", "how", "what", "which", "when", "where",
        "who", "why", "anything", "any",
    }
)  # fmt: skip
_TIME_CLAUSE = frozenset({"when", "where", "whenever", "wherever"})
_OFFER_PHRASES: tuple[tuple[str, ...], ...] = (
    ("would", "you", "like"),
    ("do", "you", "want"),
    ("want", "me", "to"),
    ("shall", "i"),
    ("should", "i"),
    ("if", "you"),
    ("please", "confirm"),
    ("can", "you", "confirm"),
    ("to", "confirm"),
    ("let", "me", "know"),
    ("would", "you", "prefer"),
    ("is", "that", "right"),
    ("is", "that", "correct"),
)

_OFFER_STARTS = frozenset(p[0] for p in _OFFER_PHRASES)


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English stem of a lower-case word (cached: chats repeat their words)."""
    return str(_STEMMER.stemWord(word))


def normalise(text: str) -> str:
    """Lower-case with contractions spelled out, so "couldn't" reads as "could not"."""
    lowered = text.lower()
    if "'" in lowered or "\u2019" in lowered:
        for pattern, replacement in _CONTRACTIONS[:-1]:
            lowered = pattern.sub(replacement, lowered)
    if "cannot" in lowered:
        lowered = _CONTRACTIONS[1][0].sub(_CONTRACTIONS[1][1], lowered)
    if "problem" in lowered or "worries" in lowered or "issue" in lowered:
        lowered = _CONTRACTIONS[-1][0].sub(_CONTRACTIONS[-1][1], lowered)
    if "as soon as" in lowered:
        lowered = lowered.replace("as soon as", "once")  # a time still to come, like "once"
    if _DIGIT.search(lowered):
        lowered = _MONEY.sub(lambda m: f"{m.group(0)} money", lowered)
    return lowered


def words(text: str) -> list[str]:
    """Lower-case words of already normalised text (hyphenated words kept whole)."""
    return _WORD.findall(text)


def stems(text: str) -> tuple[str, ...]:
    """Stems of a phrase, for comparing it with clauses (``"refunds issued"`` -> refund, issu)."""
    return tuple(stem(w) for w in words(normalise(text)))


@attrs.frozen
class Clause:
    """One sentence or clause of a message, read once and shared by every rule."""

    text: str
    """Normalised (lower case, contractions spelled out): what the rules read."""
    words: tuple[str, ...]
    stems: tuple[str, ...]
    segments: tuple[int, ...]
    """Segment number of each word (commas and dashes separate segments)."""
    question: bool
    written: str = ""
    """As the speaker wrote it (for rationales); falls back to ``text``."""

    @property
    def shown(self) -> str:
        return self.written or self.text

    @property
    def is_question(self) -> bool:
        """Asks rather than tells: ends with '?' or opens like a question. "When you land,
        switch your phone on." opens with a time clause, not a question."""
        if self.question:
            return True
        if not self.words or self.words[0] not in _QUESTION_OPENERS:
            return False
        return not (self.words[0] in _TIME_CLAUSE and self.segments[-1] > 0)

    @property
    def is_offer(self) -> bool:
        """Offers or asks to confirm something that has not happened yet."""
        return self.is_question or self.offer_phrase

    @property
    def offer_phrase(self) -> bool:
        return _has_offer_phrase(self.words)

    def find(self, phrase: Sequence[str], *, use_stems: bool = False) -> int | None:
        """Start index of ``phrase`` (words, or stems with ``use_stems``) in this clause."""
        seq = self.stems if use_stems else self.words
        size = len(phrase)
        if not size or size > len(seq):
            return None
        first = phrase[0]
        for start, token in enumerate(seq[: len(seq) - size + 1]):
            if token == first and tuple(seq[start : start + size]) == tuple(phrase):
                return start
        return None

    def find_all(self, phrase: Sequence[str], *, use_stems: bool = False) -> list[int]:
        """Every start index of ``phrase`` in this clause (a word may occur twice: "it can
        only be refunded within 14 days, so I am not able to refund it")."""
        seq = self.stems if use_stems else self.words
        size = len(phrase)
        if not size or size > len(seq):
            return []
        wanted = tuple(phrase)
        first = wanted[0]
        return [
            start
            for start, token in enumerate(seq[: len(seq) - size + 1])
            if token == first and tuple(seq[start : start + size]) == wanted
        ]

    def negated_at(self, index: int) -> str | None:
        """The negating word governing the word at ``index``, if any.

        A negator counts before the word within its segment ("I could not refund"), or right
        after it ("the refund was not successful", "booking failed").
        """
        position = self.negator_of(index)
        return None if position is None else self.words[position]

    def negator_of(self, index: int) -> int | None:
        """Position of the negating word :meth:`negated_at` finds, if any."""
        return next(self._negators(index), None)

    def refusal_of(self, index: int) -> str | None:
        """The negating words governing ``index`` that say the speaker cannot do it (see
        :meth:`inability_at`): "Unfortunately we can't accept it" -> "can not"."""
        return next((r for p in self._negators(index) if (r := self.inability_at(p))), None)

    def _negators(self, index: int) -> Iterator[int]:
        segment = self.segments[index]
        start = index
        while start > 0 and self.segments[start - 1] == segment:
            start -= 1
        for position in range(start, min(len(self.words), index + 4)):
            if self.segments[position] != segment:
                break
            word = self.words[position]
            if position > index and word in NEW_PREDICATE:
                break  # "it is blocked and can't be used": the negation is another statement
            if position == index or not (word in NEGATORS or self.stems[position] in FAILURE_STEMS):
                continue
            if self._absence(position):
                continue  # "with no change fee" names a thing that is absent
            yield position

    def _absence(self, position: int) -> bool:
        """ "with no fee", "without any charge": a negator inside a noun phrase."""
        return self.words[position] == "no" and position > 0 and self.words[position - 1] in _WITH

    def inability_at(self, position: int) -> str | None:
        """The negator at ``position`` as the speaker's inability or a refusal, if it is one:
        "we can't accept it", "I'm not able to", "unable to", "it won't be possible", "it was
        not approved". Not a consequence for the customer ("you can't be charged twice"), a
        negated fact ("it hasn't shipped yet") or a conditional ("it wouldn't be")."""
        ws = self.words
        word = ws[position]
        if addressed_to_customer(ws, position) or self.conditional_at(position):
            return None
        if word == "unable" or self.stems[position] == "imposs":
            return word
        if word != "not" or position == 0:
            return None
        before, after = ws[position - 1], ws[position + 1 : position + 3]
        if before in ("can", "could"):
            return f"{before} not"
        for size, word in enumerate(after, start=1):
            if word in _ABLE:
                return " ".join((before, "not", *after[:size]))
        if before in ("was", "were") and "yet" not in ws[position:]:
            return f"{before} not"
        return None

    def conditional_at(self, position: int) -> bool:
        """Whether the negator at ``position`` is in the conditional: "it wouldn't be
        refunded" describes what would happen, unlike "it can't be refunded". "wouldn't be
        able to" and "wouldn't be possible" still say it cannot be done."""
        ws = self.words
        if ws[position] != "not" or position == 0 or ws[position - 1] != "would":
            return False
        return _ABLE.isdisjoint(ws[position + 1 : position + 3])

    def hedged_at(self, index: int, *, allow_future: bool = False) -> str | None:
        """A word before ``index`` that makes it a possibility or plan, not a fact.

        "I can refund that", "I'll book it", "to book" (an infinitive) all say it has not
        happened yet; so do a condition ("once it is enabled", "if it was sent") and a request
        ("please cancel it"). "was able to book" and "managed to book" did happen.
        """
        segment = self.segments[index]
        position = index - 1
        while position >= 0 and self.segments[position] == segment and index - position <= 5:
            word = self.words[position]
            if word in MODAL_WORDS or (word in FUTURE_WORDS and not allow_future):
                return word
            if word in CONDITION_WORDS or (word == "please" and index - position <= 2):
                return word
            if word in INTENTION_WORDS and index - position <= 3:
                return word  # "happy to help you set it up", "I want to book"
            infinitive = position == index - 1 or (
                position == index - 2 and self.words[index - 1] == "be"
            )
            if (
                word == "to"
                and infinitive
                and (position == 0 or self.words[position - 1] not in ("able", "managed"))
            ):
                return "to"
            position -= 1
        return None


@functools.lru_cache(maxsize=8192)
def _has_offer_phrase(words: tuple[str, ...]) -> bool:
    size = len(words)
    for start, word in enumerate(words):
        if word in _OFFER_STARTS:
            for phrase in _OFFER_PHRASES:
                end = start + len(phrase)
                if phrase[0] == word and end <= size and words[start:end] == phrase:
                    return True
    return False


@functools.lru_cache(maxsize=4096)
def clauses(text: str) -> tuple[Clause, ...]:
    """The clauses of a message, in order (cached per distinct text)."""
    result = []
    normalised = normalise(text)
    pieces = [p for p in _CLAUSE_BREAK.split(normalised) if p and p.strip()]
    originals = [p.strip() for p in _CLAUSE_BREAK_ANY_CASE.split(text) if p and p.strip()]
    if len(originals) != len(pieces):
        originals = []
    for position, piece in enumerate(pieces):
        stripped = piece.strip()
        question = stripped.endswith("?")
        clause_words: list[str] = []
        segment_ids: list[int] = []
        for number, segment in enumerate(_SEGMENT_BREAK.split(stripped)):
            found = words(segment)
            clause_words += found
            segment_ids += [number] * len(found)
        if clause_words:
            result.append(
                Clause(
                    text=stripped,
                    words=tuple(clause_words),
                    stems=tuple(stem(w) for w in clause_words),
                    segments=tuple(segment_ids),
                    question=question,
                    written=originals[position] if originals else "",
                )
            )
    return tuple(result)


@functools.lru_cache(maxsize=4096)
def first_words(text: str) -> tuple[str, ...]:
    """The words of a message's first clause, without reading the rest (a reply's opening)."""
    opening = _CLAUSE_BREAK.split(normalise(text.lstrip()), maxsplit=1)[0]
    return tuple(words(opening))


def ngrams(items: Sequence[str], sizes: Iterable[int] = (1, 2, 3)) -> set[tuple[str, ...]]:
    """Every contiguous run of ``sizes`` items (for phrase lookups by set intersection)."""
    found: set[tuple[str, ...]] = set()
    for size in sizes:
        for start in range(len(items) - size + 1):
            found.add(tuple(items[start : start + size]))
    return found
