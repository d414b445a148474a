"""Where an outcome's keyword stands in a clause, and whether it says the thing happened.

Keywords are matched by stems, in either order and around a phrasal verb's particle, so
"refunds issued" matches "refund issued" and "sent it back" matches "send back".
"""

from __future__ import annotations

from convsim_core.clause_acts import ASKING, not_happened
from convsim_core.language import (
    FAILURE_STEMS,
    NEGATORS,
    Clause,
)
from convsim_core.lexicon import (
    STOPWORDS,
    past_form,
)
from convsim_core.outcome_sense import OutcomeSense, Reading


def keyword_reading(
    clause: Clause, sense: OutcomeSense, grams: set[tuple[str, ...]]
) -> Reading | None:
    found: Reading | None = None
    for phrase, written, spelled in zip(
        sense.keywords, sense.keyword_text, sense.keyword_words, strict=True
    ):
        starts = (
            clause.find_all(phrase, use_stems=True) if len(phrase) > 3 or phrase in grams else []
        )
        if not starts and len(phrase) == 2 and {phrase[:1], phrase[1:]} <= grams:
            starts = _either_order(clause, phrase)
        for start in starts:
            reading = _keyword_at(clause, sense, phrase, (written, spelled), start)
            if reading.is_hit:
                return reading
            found = found or reading
    return found


_DOCUMENTS = frozenset(
    {"link", "request", "form", "code", "page", "option", "process", "policy", "instructions",
     "button", "email", "application", "ticket", "number", "window", "fee"}
)  # fmt: skip
"""Nouns a request word only modifies: a "reset link" or a "refund request" is not a reset
or a refund."""


def names_a_document(clause: Clause, after: int) -> bool:
    """Whether the word after a group phrase makes it a modifier ("a reset link")."""
    return after < len(clause.words) and clause.words[after] in _DOCUMENTS


PARTICLES = frozenset({"on", "off", "out", "up", "back", "down", "over"})


def phrasal_matches(clause: Clause, phrase: tuple[str, ...]) -> list[int]:
    """A phrasal verb with its object inside: "turn the wifi on" for "turn on", "sort it
    out" for "sort out" (at most two words between, in one segment)."""
    if len(phrase) != 2 or phrase[1] not in PARTICLES:
        return []
    found = []
    for start in clause.find_all(phrase[:1], use_stems=True):
        for gap in (2, 3):
            end = start + gap
            if end < len(clause.stems) and clause.stems[end] == phrase[1]:
                if clause.segments[end] == clause.segments[start]:
                    found.append(start)
                break
    return found


def _either_order(clause: Clause, phrase: tuple[str, ...]) -> list[int]:
    """A two-word keyword in the other order, close together: "charge reversed" in "I've
    reversed the second charge", "refund issued" in "I issued your refund"."""
    if len(phrase) != 2 or phrase[0] in STOPWORDS or phrase[1] in STOPWORDS:
        return []
    later, earlier = phrase
    for start in clause.find_all((earlier,), use_stems=True):
        window = clause.stems[start + 1 : start + 4]
        if (
            later in window
            and clause.segments[start + 1 + window.index(later)] == clause.segments[start]
        ):
            return [start]
    return []


def _keyword_at(
    clause: Clause,
    sense: OutcomeSense,
    phrase: tuple[str, ...],
    keyword: tuple[str, tuple[str, ...]],
    start: int,
) -> Reading:
    written, spelled = keyword
    negative = any(s in NEGATORS or s in FAILURE_STEMS for s in phrase)
    reason = ""
    if clause.words and clause.words[0] in ASKING and not negative:
        reason = "asked, not told"
    elif clause.is_offer and not negative:
        reason = "a question or an offer"
    elif not negative and (position := clause.negator_of(start)) is not None:
        negator = clause.words[position]
        refused = clause.refusal_of(start) or ""
        return Reading(
            sense.outcome, 1.0, clause.shown, f'"{written}"', f'negated ("{negator}")', refused
        )
    elif not negative and (word := clause.hedged_at(start, allow_future=True)):
        reason = f'not done yet ("{word}")'
    elif not negative and (_base_form_of_past(clause, start, spelled) or _one_word(spelled, sense)):
        reason = not_happened(clause, range(start, start + len(phrase)))
    return Reading(sense.outcome, 1.0, clause.shown, f'"{written}"', reason)


def _one_word(spelled: tuple[str, ...], sense: OutcomeSense) -> bool:
    """A keyword with no word of a past form ("refund", "upgrade", "visitor permits", "aisle
    seat") names what was asked for, not that it happened: "the refund goes to your card" is
    how refunds work, "visitor permits are for cars only" a rule, "there are aisle seats
    available" an offer of what there is. The clause must still say it happened. A failure's
    words ("declined", "no refund") say it on their own."""
    return bool(spelled) and not sense.failure and not any(map(past_form, spelled))


def _base_form_of_past(clause: Clause, start: int, spelled: tuple[str, ...]) -> bool:
    """A keyword written as done ("cancelled") found in its base form ("cancel it please"):
    the clause must still say it happened."""
    for offset, word in enumerate(spelled):
        if start + offset >= len(clause.words):
            return False
        found = clause.words[start + offset]
        if past_form(word) and not past_form(found):
            return True
    return False
