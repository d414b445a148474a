"""What the offline judge knows about one outcome, and what it read in one clause.

An :class:`OutcomeSense` is built once per outcome from its description, keywords and
``said_by`` (stem phrases, vocabulary groups, whether it is a failure outcome); a
:class:`Reading` is one clause's verdict on it, with the reason kept for "why".
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from convsim_core.language import (
    FAILURE_STEMS,
    NEGATORS,
    clauses,
    ngrams,
    normalise,
    stems,
    words,
)
from convsim_core.lexicon import (
    FAILURE_PHRASES,
    GROUPS,
    STOPWORDS,
    Group,
    past_form,
    redone,
)
from convsim_core.models import Outcome, ParticipantRole
from convsim_core.state_change import (
    changes_state,
)


@attrs.frozen(cache_hash=True)
class OutcomeSense:
    """What the offline judge knows about one outcome."""

    outcome: Outcome
    said_by: ParticipantRole | None
    keywords: tuple[tuple[str, ...], ...]
    keyword_text: tuple[str, ...]
    keyword_words: tuple[tuple[str, ...], ...]
    """Each keyword's words as written (``keyword_text`` read once here, not per message)."""
    groups: tuple[Group, ...]
    words: frozenset[str]
    """Content stems of the description that belong to no group."""
    failure: bool
    request_phrases: frozenset[tuple[str, ...]] = frozenset()
    """The vocabulary of the request itself (book, refund...), without "done" or "confirm":
    what a proposal to carry the request out speaks of."""
    primary: frozenset[str] = frozenset()
    """The groups of what the outcome is: its verb's ("was cancelled"), else the first group
    its description names ("got a *refund* for the order"). A general frame ("is on its
    way") reports the outcome only said of these: "your order is on its way" is no refund."""
    changes: bool = False
    """The description names a change of state ("was moved", "got switched"): every verb
    of the family reports it (:mod:`convsim_core.state_change`)."""
    actions: frozenset[str] = frozenset()
    """Groups of the description's verb ("The ticket was *changed*"): when there is one, the
    other groups ("ticket" is booking vocabulary) only say what the outcome is about, so
    "the train booked" does not report a change."""

    @property
    def general_request(self) -> bool:
        """About any request ("the request went through"), not one kind of request."""
        return _any_request(self.groups)

    @classmethod
    def build(
        cls, outcome: Outcome, keywords: Sequence[str], said_by: ParticipantRole | None
    ) -> OutcomeSense:
        # The description is the author's definition; the name (a slug) stands in without one.
        described_as = outcome.description or outcome.name.replace("_", " ")
        text = " ".join((described_as, *keywords))
        described = stems(text)
        grams = ngrams(described)
        groups = tuple(g for g in GROUPS if any(p in grams for p in g.phrases))
        in_groups = {s for g in groups for p in g.phrases for s in p}
        content = frozenset(
            s for s in stems(outcome.description) if s not in STOPWORDS and s not in in_groups
        )
        failure = (
            any(w in NEGATORS or w in FAILURE_STEMS for w in described)
            or any(p in grams for p in FAILURE_PHRASES)
            # "My account stays suspended", "I still have to pay the fine": the state the
            # customer wanted changed persists.
            or _persists(described_as)
        )
        actions = _actions(described_as, groups)
        spelled = [(stems(k), k) for k in keywords if stems(k)]
        spelled += [(v, k) for phrase, k in spelled for v in _redone_variants(phrase, k)]
        return cls(
            outcome=outcome,
            said_by=said_by,
            keywords=tuple(p for p, _ in spelled),
            keyword_text=tuple(k for _, k in spelled),
            keyword_words=tuple(tuple(words(normalise(k))) for _, k in spelled),
            groups=groups,
            words=content - {"not", "no", "never"},
            failure=failure,
            request_phrases=frozenset(
                phrase
                # An outcome about any request speaks of every kind of request.
                for group in (GROUPS if _any_request(groups) else groups)
                if not group.act and group.name not in ("complete", "request")
                for phrase in group.phrases
            ),
            actions=actions,
            changes=changes_state(stems(described_as)),
            primary=actions or _first_group(described_as, groups),
        )


def _redone_variants(phrase: tuple[str, ...], written: str) -> list[tuple[str, ...]]:
    """A keyword's past forms done again: "sent" also reads "resent", "booked" "rebooked"
    (an action done again is done; the reverse is not: "rebooked" is a change)."""
    spelled = words(normalise(written))
    if len(spelled) != len(phrase):
        return []
    found = []
    for index, (word, stemmed) in enumerate(zip(spelled, phrase, strict=True)):
        other = redone(stemmed) if past_form(word) else None
        if other is not None:
            found.append((*phrase[:index], other, *phrase[index + 1 :]))
    return found


_PERSISTS = frozenset({"still", "stays", "remains", "stands"})


_OWNERS = frozenset({"my", "your", "our", "the", "a", "an", "this", "that", "their"})


def _persists(description: str) -> bool:
    """ "My account stays suspended", "I still have to pay the fine": the state the customer
    wanted changed persists, a failure (not "the rest of my stays", a noun)."""
    ws = words(normalise(description))
    return any(w in _PERSISTS and (i == 0 or ws[i - 1] not in _OWNERS) for i, w in enumerate(ws))


_PASSIVE = frozenset({"was", "were", "been", "be", "is", "are", "got", "get"})


def _actions(description: str, groups: Sequence[Group]) -> frozenset[str]:
    """The groups of the verb a description reports ("was changed", "got moved"), besides
    completion words; empty when it reports none of its own ("went through")."""
    found: set[str] = set()
    for clause in clauses(description):
        for index in range(1, len(clause.words)):
            if clause.words[index - 1] not in _PASSIVE:
                continue
            for group in groups:
                if group.name != "complete" and any(
                    clause.stems[index : index + len(p)] == p for p in group.phrases
                ):
                    found.add(group.name)
    return frozenset(found)


def _first_group(description: str, groups: Sequence[Group]) -> frozenset[str]:
    """The group whose phrase comes first in the description, besides completion words."""
    said = stems(description)
    best: tuple[int, str] | None = None
    for group in groups:
        if group.name in ("complete", "request"):
            continue
        for phrase in group.phrases:
            for start in range(len(said) - len(phrase) + 1):
                earlier = best is None or start < best[0]
                if earlier and said[start : start + len(phrase)] == phrase:
                    best = (start, group.name)
    return frozenset({best[1]}) if best else frozenset()


def _any_request(groups: Sequence[Group]) -> bool:
    return any(g.name == "request" for g in groups) and not any(g.act for g in groups)


@attrs.frozen
class Reading:
    """One outcome found (or narrowly missed) in a clause."""

    outcome: Outcome
    score: float
    clause: str
    evidence: str
    """The phrase or words that decided it."""
    reason: str = ""
    """Why it did not count; empty for a hit."""
    refused: str = ""
    """For a success negated by inability ("we can't accept this claim"): the words that
    say so. The clause then reports the failure that is its counterpart."""
    verb: str = "said"
    """How the speaker conveyed it, for the rationale ("said", or "answered" a proposal)."""

    @property
    def is_hit(self) -> bool:
        return not self.reason


def related_failure(success: OutcomeSense, failures: Sequence[OutcomeSense]) -> OutcomeSense | None:
    """The failure outcome about the same thing as ``success``: the only one of ``failures``
    that shares its vocabulary ("we can't accept this claim" for "the claim was approved")."""
    related = [f for f in failures if shares_vocabulary(success, f)]
    return related[0] if len(related) == 1 else None


def shares_vocabulary(one: OutcomeSense, other: OutcomeSense) -> bool:
    if not one.words.isdisjoint(other.words - FAILURE_STEMS):
        return True
    return bool({g.name for g in one.groups} & {g.name for g in other.groups} - {"complete"})
