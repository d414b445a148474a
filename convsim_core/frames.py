"""Outcome-neutral frames of general English that say something went through or will not.

"It's on its way", "that went through", "you'll receive it within 5 days", "it has been
taken care of" report success whatever was asked; "the fee still stands", "there's nothing
I can do" report that it was not done. None names an outcome, so the outcome reader applies
them only to a clause that speaks of the outcome's own thing (its description's words,
keywords or vocabulary group): "A new card is on its way" reports "a replacement card was
sent", "Your pizza is on its way" does not.

A small lexicon written once as a support team speaks, never fitted to test dialogues.
"""

from __future__ import annotations

from convsim_core.language import Clause

UNDER_WAY: tuple[tuple[str, ...], ...] = (
    ("on", "its", "way"),
    ("on", "the", "way"),
    ("on", "their", "way"),
    ("en", "route"),
)
"""Frames of something under way to the customer ("it is on its way", "en route")."""
_ARRIVING: tuple[tuple[str, ...], ...] = (
    *UNDER_WAY,
    ("in", "the", "post"),
    ("in", "the", "mail"),
    ("be", "with", "you"),
)
"""Frames of something sent to the customer: a delivery, a replacement, money."""
_SUCCESS: tuple[tuple[str, ...], ...] = (
    *_ARRIVING,
    ("went", "through"), ("gone", "through"), ("has", "been", "processed"),
    ("been", "taken", "care", "of"), ("been", "dealt", "with"), ("been", "sorted"),
    ("been", "actioned"), ("been", "approved"), ("been", "completed"), ("been", "done"),
    ("is", "done"), ("is", "complete"), ("are", "done"), ("all", "set"), ("all", "sorted"),
    ("good", "to", "go"), ("is", "live"), ("now", "active"), ("is", "active"),
)  # fmt: skip
"""Frames that report a success on their own ("the card is on its way")."""

_RECEIVING = frozenset({"receive", "get", "see", "have"})
_PROMISE = frozenset({"will", "should"})
_PENDING = frozenset({"if", "unless", "once", "until", "when", "after", "whenever"})


SENDING = frozenset({"ship", "replace"})
"""Vocabulary groups of outcomes that send the customer something: an arrival reports them
even when the clause names only the thing ("a new card is on its way")."""


def arrival(frame: str) -> bool:
    """Whether a frame :func:`success_frame` found is something on its way to the customer
    ("on its way", "you will receive"), not a report that it was done."""
    return tuple(frame.split()) in _ARRIVING or frame.startswith("you ")


def success_frame(clause: Clause) -> str | None:
    """A general-English report that it went through: "the new card is on its way", "your
    payment went through", "the fee has been taken care of", "you'll receive the money
    within 5 days" (what the customer will receive is done on our side). Never negated,
    asked, offered or pending on a condition ("you'll receive it once we get the item")."""
    ws = clause.words
    if clause.is_offer or not _PENDING.isdisjoint(ws):
        return None
    for phrase in _SUCCESS:
        start = clause.find(phrase)
        if start is not None and clause.negated_at(start + len(phrase) - 1) is None:
            return " ".join(phrase)
    for index in range(len(ws) - 2):
        promised = ws[index] == "you" and ws[index + 1] in _PROMISE
        if promised and ws[index + 2] in _RECEIVING and clause.negated_at(index + 2) is None:
            return " ".join(ws[index : index + 3])  # "you will receive", "you should see"
    return None


_STAYS = frozenset({"stands", "stand", "remains", "remain", "applies", "apply", "stays", "stay"})
_DETERMINERS = frozenset({"your", "my", "our", "the", "a", "an", "this", "that", "his", "her"})


def still_stands(clause: Clause) -> str | None:
    """What was to be removed stays: "the fee stands", "the charge still applies", "the
    penalty will remain". A refusal when said with regret or in answer to the request."""
    ws = clause.words
    for index, word in enumerate(ws):
        if word in _STAYS and index and ws[index - 1] in _DETERMINERS:
            continue  # "enjoy the rest of your stay": the noun
        if word in _STAYS and index and clause.negated_at(index) is None:
            return " ".join(ws[index - 1 : index + 1])
    return None
