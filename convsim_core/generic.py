"""General statements: how things usually go, not what happened in this chat.

Support agents explain policy in the same words they report outcomes with: "refunds are
usually issued within 5 days", "spaces can't be reserved in advance", "accidents are covered
straight away". English marks such a sentence as general in two ways a reader relies on:

- a frequency adverb on the verb ("usually", "normally", "typically", "always");
- a bare plural subject (no "the", "your", "my" before it) with a present or modal verb
  ("refunds are", "spaces can't", "tickets will"): a kind of thing, not this customer's.

A report of this chat's outcome uses the perfect or the past, or names the customer's own
thing ("your refund has been issued", "I've reserved a space for you"). This module only
recognises the general sentence; whether it matters is for the outcome reader to decide.
"""

from __future__ import annotations

from convsim_core.language import Clause
from convsim_core.lexicon import RESULT_WORDS, past_form

HABITUAL = frozenset(
    {"usually", "normally", "typically", "generally", "always", "often", "sometimes", "rarely"}
)
_PRESENT = frozenset(
    {"are", "is", "can", "will", "do", "does", "must", "need", "should", "get", "may", "might"}
)
_PERFECT = frozenset({"have", "has", "had"})
_LEADING = frozenset({"and", "but", "so", "or", "then", "also"})
_NOT_NOUNS = frozenset(
    {"this", "his", "its", "was", "has", "is", "as", "us", "yes", "thanks", "always", "perhaps",
     "sometimes", "plus", "ours", "yours", "hers", "theirs"}
)  # fmt: skip


def general_statement(clause: Clause) -> str | None:
    """The words that make ``clause`` a general statement, or ``None``: "usually" in
    "transcripts are usually sent within 3 days", "spaces can" in "spaces can't be reserved
    in advance". Said of the customer's own thing ("your tickets are on their way") it is
    not one, nor when the speaker says what they did ("I" in the clause)."""
    ws = clause.words
    if "i" in ws:
        return None  # "deposits are returned after inspection, so I can't return it today"
    for index, word in enumerate(ws):
        if word in HABITUAL and not _negated_before(clause, index):
            if index and ws[index - 1] in _PERFECT:
                continue  # "you've always paid on time": the customer's history
            return word
    for start in _segment_starts(clause):
        position = start
        while position < len(ws) and ws[position] in _LEADING:
            position += 1
        if position + 1 >= len(ws) or clause.segments[position + 1] != clause.segments[start]:
            continue
        noun = ws[position]
        if not _bare_plural(noun):
            continue
        verb = position + 1
        # "classes cancelled by us are refunded": a participle phrase may qualify the noun
        while verb < len(ws) and verb - position <= 4 and _qualifies(ws[verb]):
            verb += 1
        if verb >= len(ws) or clause.segments[verb] != clause.segments[position]:
            continue
        following = ws[verb + 1] if verb + 1 < len(ws) else ""
        if ws[verb] in _PRESENT and following not in RESULT_WORDS:
            return f"{noun} {ws[verb]}"  # not "tickets are confirmed": a result reached
    return None


_QUALIFIERS = frozenset(
    {"by", "in", "on", "from", "with", "for", "at", "of", "us", "them", "online"}
)


def _qualifies(word: str) -> bool:
    """A word of a phrase after a noun that qualifies it ("cancelled by us", "bought online")."""
    return word in _QUALIFIERS or past_form(word)


def _segment_starts(clause: Clause) -> list[int]:
    return [i for i, n in enumerate(clause.segments) if i == 0 or clause.segments[i - 1] != n]


def _bare_plural(word: str) -> bool:
    """A plural noun the way a general statement opens with one ("refunds", "spaces")."""
    return (
        len(word) > 3
        and word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
        and word not in _NOT_NOUNS
        and not word.isdigit()
    )


def _negated_before(clause: Clause, index: int) -> bool:
    """ "not always": the adverb is itself negated, which says nothing general."""
    return index > 0 and clause.words[index - 1] == "not"
