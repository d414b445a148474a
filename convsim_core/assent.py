"""How a reply answers: a yes, an acknowledgement, or a clause that tells nothing.

Turn-taking (:mod:`convsim_core.accepted`) needs to tell a customer accepting a proposal ("Yes,
that's right", "Go ahead") from one acknowledging information ("OK, great"), and an agent
clause that says something from one that is only courtesy ("Of course.", "You're welcome.").
General English, written once; it knows nothing of outcomes.
"""

from __future__ import annotations

from convsim_core.language import Clause, first_words

_YES_WORDS = frozenset(
    {"yes", "yeah", "yep", "yup", "sure", "correct", "right", "absolutely", "definitely",
     "exactly", "indeed", "confirm", "confirmed", "affirmative", "agree", "agreed", "proceed"}
)  # fmt: skip
"""Words that accept in so many words."""
_ACKNOWLEDGING = frozenset(
    {"ok", "okay", "great", "perfect", "good", "fine", "alright", "cool", "excellent",
     "wonderful", "awesome", "lovely"}
)  # fmt: skip
"""Words that take in what was said; a yes only when something was asked."""
_YES_PHRASES: tuple[tuple[str, ...], ...] = (
    ("that", "is", "correct"), ("that", "is", "right"), ("that", "is", "it"), ("that", "works"),
    ("works", "for", "me"), ("go", "ahead"), ("go", "for", "it"), ("please", "do"),
    ("do", "it"), ("do", "that"), ("book", "it"), ("i", "confirm"), ("i", "would", "like", "that"),
    ("that", "would", "be"), ("that", "is", "fine"), ("why", "not"), ("you", "got", "it"),
    ("i", "agree"),
)  # fmt: skip
_ACKNOWLEDGING_PHRASES: tuple[tuple[str, ...], ...] = (
    ("sounds", "good"), ("sounds", "great"), ("sounds", "perfect"), ("that", "sounds"),
    ("that", "suits"), ("that", "is", "good"), ("that", "is", "great"), ("that", "is", "perfect"),
)  # fmt: skip
_LEADING = frozenset({"please", "oh", "well", "ah"})


def _opening(text: str) -> tuple[str, ...]:
    """The words of the reply's first clause, without a leading "please"/"oh"/"well"."""
    ws = first_words(text)
    while ws and ws[0] in _LEADING and len(ws) > 1 and (ws[0], ws[1]) != ("please", "do"):
        ws = ws[1:]
    return ws


def _has(ws: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(ws[start : start + len(p)] == p for p in phrases for start in range(len(ws)))


def affirms(text: str) -> bool:
    """Whether a reply opens by saying yes or agreeing ("Yes, that's right", "Sounds good",
    "Go ahead", "OK"): the answer to a question the agent asked."""
    ws = _opening(text)
    if not ws or ws[0] == "no":
        return False
    if "not" in ws[:3] and not _has(ws[:3], (("why", "not"),)):
        return False
    return (
        ws[0] in _YES_WORDS
        or ws[0] in _ACKNOWLEDGING
        or any(ws[: len(p)] == p for p in (*_YES_PHRASES, *_ACKNOWLEDGING_PHRASES))
    )


def says_yes(text: str) -> bool:
    """A reply that accepts in so many words ("Yes", "That's correct", "Do that"), not only
    acknowledges ("OK", "Great, thanks", "Perfect."): an acknowledgement follows information,
    a yes answers a proposal, even one not asked as a question ("4 tickets for Friday.")."""
    if not affirms(text):
        return False
    ws = _opening(text)
    return not _YES_WORDS.isdisjoint(ws) or _has(ws, _YES_PHRASES)


_COURTESY = frozenset(
    {"you", "are", "welcome", "certainly", "of", "course", "will", "do", "got", "it", "all",
     "thanks", "thank", "no", "problem", "sure"}
)  # fmt: skip


def only_acknowledges(clause: Clause) -> bool:
    """ "Yes!", "Sure.", "Of course.", "You're welcome.": a clause that tells nothing."""
    return all(w in _YES_WORDS or w in _ACKNOWLEDGING or w in _COURTESY for w in clause.words)
